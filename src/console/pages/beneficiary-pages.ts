/** A beneficiary's record (with off-line contacts, consents and the audited ID reveal) and the search page. */
import { hasRole } from '../../staff/staff-roles';
import { offlineContactKinds } from '../../store/schema';
import type { BeneficiaryDetail } from '../beneficiary-queries';
import { html } from '../html';
import { consentSection } from './consent-section';
import { layout, statusLabel, t, type PageContext } from './layout';

export function beneficiaryPage(ctx: PageContext, b: BeneficiaryDetail, timeZone: string): string {
  const supervisor = ctx.me ? hasRole(ctx.me.role, 'supervisor') : false;
  return layout(
    ctx,
    b.fullName ?? `#${b.id}`,
    html`<h1 dir="auto">${b.fullName ?? `#${b.id}`}</h1>
<dl class="facts">
  <dt>${t(ctx, 'mobile')}</dt><dd dir="ltr">${b.mobile ?? '—'}</dd>
  <dt>${t(ctx, 'nationalId')}</dt><dd><span id="national-id" dir="ltr">${b.nationalIdMasked || '—'}</span>
    ${supervisor && b.nationalIdMasked ? html` <button type="button" class="link" id="reveal" data-reveal="/api/beneficiaries/${b.id}/national-id/reveal">${t(ctx, 'reveal')}</button>` : ''}</dd>
  <dt>${t(ctx, 'contacts')}</dt><dd>${b.contacts.map((c) => html`<span class="tag">${c.channel}${c.displayName ? html` · <bdi>${c.displayName}</bdi>` : ''}</span>`)}</dd>
</dl>
<div class="columns">
<section class="main-col">
  <h2>${t(ctx, 'inbox')}</h2>
  <ul>${b.conversations.map((c) => html`<li><a href="/console/conversations/${c.id}">#${c.id}</a> · ${c.channel} · ${statusLabel(ctx, c.status)} · ${c.createdAt.slice(0, 10)}</li>`)}</ul>
  <h2>${t(ctx, 'requests')}</h2>
  <ul>${b.requests.map((r) => html`<li><a href="/console/requests/${r.id}">${r.referenceNumber}</a> · ${r.type} · ${r.status}</li>`)}</ul>
  <h2>${t(ctx, 'offline')}</h2>
  <ol class="history">${b.offlineContacts.map((o) => html`<li><span class="meta">${t(ctx, o.kind)} · ${o.occurredAt.slice(0, 16).replace('T', ' ')} · ${o.staffName}</span><div dir="auto">${o.summary}</div></li>`)}</ol>
  <form data-api="/api/beneficiaries/${b.id}/offline-contacts" data-reload class="stack card">
    <label>${t(ctx, 'kind')} <select name="kind">${offlineContactKinds.map((k) => html`<option value="${k}">${t(ctx, k)}</option>`)}</select></label>
    <textarea name="summary" rows="3" required placeholder="${t(ctx, 'summary')}" dir="auto"></textarea>
    <button type="submit">${t(ctx, 'logContact')}</button>
  </form>
  ${consentSection(ctx, b.consents, timeZone)}
</section>
<aside class="side-col">
  <h2>${t(ctx, 'notes')}</h2>
  <ul class="notes">${b.notes.map((n) => html`<li><span class="meta">${n.staffName} · ${n.at.slice(0, 16).replace('T', ' ')}</span><div dir="auto">${n.text}</div></li>`)}</ul>
  <form data-api="/api/beneficiaries/${b.id}/notes" data-reload class="stack">
    <textarea name="text" rows="2" required placeholder="${t(ctx, 'note')}" dir="auto"></textarea>
    <button type="submit" class="secondary">${t(ctx, 'addNote')}</button>
  </form>
</aside>
</div>`,
    { pageId: 'beneficiary' },
  );
}

export function searchPage(ctx: PageContext, q: string, results: { id: number; fullName: string | null; mobile: string | null; matchedBy: string }[] | null): string {
  return layout(
    ctx,
    t(ctx, 'search'),
    html`<h1>${t(ctx, 'search')}</h1>
<form method="get" action="/console/search" class="row"><input name="q" value="${q}" minlength="2" required dir="auto"><button type="submit">${t(ctx, 'go')}</button></form>
${results
  ? html`<ul>${results.map((r) => html`<li><a href="/console/beneficiaries/${r.id}" dir="auto">${r.fullName ?? `#${r.id}`}</a> <span class="meta" dir="ltr">${r.mobile ?? ''}</span> <span class="tag">${r.matchedBy}</span></li>`)}</ul>`
  : ''}`,
    { pageId: 'search' },
  );
}
