/** The requests list (filters, overdue first) and one request with its status change form. */
import { requestStatuses } from '../../store/schema';
import { staffRequestStatuses } from '../../requests/request-status';
import type { RequestDetail, RequestListQuery, RequestSummary } from '../request-queries';
import { html } from '../html';
import { layout, t, type PageContext } from './layout';

export function requestsPage(ctx: PageContext, q: RequestListQuery, rows: RequestSummary[]): string {
  return layout(
    ctx,
    t(ctx, 'requests'),
    html`<h1>${t(ctx, 'requests')}</h1>
<form method="get" action="/console/requests" class="row filters">
  <label>${t(ctx, 'status')} <select name="status"><option value="">${t(ctx, 'all')}</option>${requestStatuses.map((s) => html`<option value="${s}" ${q.status === s ? html`selected` : ''}>${s}</option>`)}</select></label>
  <label>${t(ctx, 'type')} <input name="type" value="${q.type ?? ''}" size="12"></label>
  <label>${t(ctx, 'dueDate')} ≤ <input type="date" name="dueTo" value="${q.dueTo ?? ''}"></label>
  <label class="row"><input type="checkbox" name="overdue" value="true" ${q.overdue === 'true' ? html`checked` : ''}> ${t(ctx, 'overdue')}</label>
  <button type="submit">${t(ctx, 'filter')}</button>
</form>
<table class="table">
  <thead><tr><th>${t(ctx, 'reference')}</th><th>${t(ctx, 'beneficiary')}</th><th>${t(ctx, 'type')}</th><th>${t(ctx, 'status')}</th><th>${t(ctx, 'dueDate')}</th></tr></thead>
  <tbody>${rows.map(
    (r) => html`<tr class="${r.overdue ? 'overdue' : ''}">
      <td><a href="/console/requests/${r.id}">${r.referenceNumber}</a></td>
      <td dir="auto">${r.applicantName ?? ''}</td><td>${r.type}</td><td>${r.status}</td>
      <td>${r.dueDate ?? '—'} ${r.overdue ? html`<span class="tag tag-urgent">${t(ctx, 'overdue')}</span>` : ''}${r.decidedLate ? html`<span class="tag">${t(ctx, 'decidedLate')}</span>` : ''}</td>
    </tr>`,
  )}</tbody>
</table>`,
    { pageId: 'requests' },
  );
}

export function requestPage(ctx: PageContext, r: RequestDetail): string {
  return layout(
    ctx,
    r.referenceNumber,
    html`<h1>${r.referenceNumber} <small>${r.type}</small></h1>
<dl class="facts">
  <dt>${t(ctx, 'status')}</dt><dd id="request-status">${r.status}</dd>
  <dt>${t(ctx, 'dueDate')}</dt><dd>${r.dueDate ?? '—'} ${r.overdue ? html`<span class="tag tag-urgent">${t(ctx, 'overdue')}</span>` : ''}${r.decidedLate ? html`<span class="tag">${t(ctx, 'decidedLate')}</span>` : ''}</dd>
  <dt>${t(ctx, 'beneficiary')}</dt><dd><a href="/console/beneficiaries/${r.beneficiaryId}">#${r.beneficiaryId}</a></dd>
  <dt>${t(ctx, 'nationalId')}</dt><dd dir="ltr">${r.nationalIdMasked}</dd>
</dl>
<section class="card">
  <h2>${t(ctx, 'changeStatus')}</h2>
  <form data-api="/api/requests/${r.id}/status" data-reload class="stack" id="status-form">
    <select name="status">${staffRequestStatuses.map((s) => html`<option value="${s}">${s}</option>`)}</select>
    <textarea name="reason" rows="2" required placeholder="${t(ctx, 'reason')}" dir="auto"></textarea>
    <button type="submit">${t(ctx, 'changeStatus')}</button>
  </form>
</section>
<h2>${t(ctx, 'answers')}</h2>
<dl class="facts">${Object.entries(r.answers).map(([k, v]) => html`<dt>${k}</dt><dd dir="auto">${typeof v === 'object' ? JSON.stringify(v) : String(v)}</dd>`)}</dl>
<h2>${t(ctx, 'attestation')}</h2>
<pre class="attestation" dir="auto">${JSON.stringify(r.attestation, null, 2)}</pre>
<h2>${t(ctx, 'documents')}</h2>
<ul>${r.documents.map((d) => html`<li><a href="/api/requests/${r.id}/documents/${d.id}">${d.fileName ?? `#${d.id}`}</a> <span class="meta">${d.mimeType} · ${Math.ceil(d.sizeBytes / 1024)} KB</span></li>`)}</ul>
<details class="card"><summary>${t(ctx, 'attach')}</summary>
  <p class="meta">${t(ctx, 'attachNote')}</p>
  <form data-api="/api/requests/${r.id}/documents" data-reload data-file class="row"><input type="file" name="file" accept="image/jpeg,image/png,image/webp,application/pdf" required><button type="submit" class="secondary">${t(ctx, 'attach')}</button></form>
</details>
<h2>${t(ctx, 'statusHistory')}</h2>
<ol class="history">${r.history.map((h) => html`<li><span class="meta">${h.at.slice(0, 16).replace('T', ' ')} · ${h.staffName ?? '—'}</span> ${h.from ?? '∅'} → ${h.to}<div dir="auto">${h.reason ?? ''}</div></li>`)}</ol>`,
    { pageId: 'request' },
  );
}
