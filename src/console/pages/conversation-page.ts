/** One conversation: history with delivery ticks, why the bot handed off, collected data, requests, and every action. */
import type { ConversationDetail } from '../../conversations/conversation-queries';
import { acceptedDocumentTypes } from '../../documents/document-store';
import type { ChannelName } from '../../messages/channel-name';
import { fileDelivery } from '../../messages/file-delivery';
import { hasRole } from '../../staff/staff-roles';
import { html, type SafeHtml } from '../html';
import type { UiKey } from '../ui-text';
import { layout, statusLabel, t, type PageContext } from './layout';

const ticks: Record<string, string> = { queued: '🕓', sent: '✓', delivered: '✓✓', read: '✓✓', failed: '⚠', skipped: '⊘' };

export function historyList(ctx: PageContext, d: ConversationDetail): SafeHtml {
  return html`<ol class="history">${d.history.map((m) => {
    const who = m.author === 'beneficiary' ? t(ctx, 'you') : m.author === 'staff' ? (m.staffName ?? t(ctx, 'staff')) : t(ctx, m.author as UiKey);
    const status = m.direction === 'out' ? html`<span class="tick tick-${m.status}" title="${t(ctx, m.status as UiKey) ?? m.status}">${ticks[m.status] ?? ''} ${t(ctx, m.status as UiKey) ?? m.status}</span>` : '';
    return html`<li class="msg msg-${m.direction} by-${m.author}" data-message-id="${m.id}">
      <div class="meta"><span>${who}</span> · <span>${m.channel}</span> · <time datetime="${m.at}">${m.at.slice(0, 16).replace('T', ' ')}</time> ${status}</div>
      <div class="text" dir="auto">${m.text ?? ''}</div>
      ${m.attachments ? html`<div class="meta">📎 ${m.attachments}</div>` : ''}
      ${m.file ? html`<div class="meta file-sent">📎 <span dir="auto">${m.file.fileName}</span> · ${m.file.mimeType} · ${Math.ceil(m.file.sizeBytes / 1024)} KB</div>` : ''}
      ${m.error ? html`<div class="meta error">${m.error}</div>` : ''}
    </li>`;
  })}</ol>`;
}

export function conversationHeader(ctx: PageContext, d: ConversationDetail): SafeHtml {
  const c = d.conversation;
  return html`<div class="conv-head">
    <h1><a href="/console/beneficiaries/${c.beneficiary.id}" dir="auto">${c.beneficiary.name ?? c.beneficiary.displayName ?? `${t(ctx, 'beneficiary')} ${c.beneficiary.id}`}</a> <small>#${c.id}</small></h1>
    <dl class="facts">
      <dt>${t(ctx, 'status')}</dt><dd id="conv-status" data-status="${c.status}">${statusLabel(ctx, c.status)}</dd>
      <dt>${t(ctx, 'assignee')}</dt><dd id="conv-assignee">${c.assignee?.name ?? '—'}</dd>
      <dt>${t(ctx, 'handoffReason')}</dt><dd>${c.handoffReason ?? '—'} ${c.handoffPriority ? html`(${c.handoffPriority})` : ''} ${c.queue !== 'shared' ? html`<span class="tag tag-${c.queue}">${t(ctx, c.queue)}</span>` : ''}</dd>
      ${c.researcherGender === 'female' || c.researcherGender === 'male'
        ? html`<dt>${t(ctx, 'researcherPreference')}</dt><dd><span class="tag" id="conv-preference" data-gender="${c.researcherGender}">${t(ctx, c.researcherGender === 'female' ? 'femaleRequested' : 'maleRequested')}</span></dd>`
        : ''}
      ${c.resolutionNote ? html`<dt>${t(ctx, 'reason')}</dt><dd dir="auto">${c.resolutionNote}</dd>` : ''}
    </dl>
  </div>`;
}

export interface ConversationPageExtras {
  staff: { id: number; name: string }[];
  flows: string[];
  canned: { key: string; text: string }[];
}

export function conversationPage(ctx: PageContext, d: ConversationDetail, x: ConversationPageExtras): string {
  const c = d.conversation;
  const me = ctx.me!;
  const mine = c.status === 'human' && c.assignee?.id === me.id;
  const supervisor = hasRole(me.role, 'supervisor');
  const mayAct = mine || supervisor;
  const api = `/api/conversations/${c.id}`;
  return layout(
    ctx,
    `#${c.id}`,
    html`<div class="conversation" data-conversation-id="${c.id}">
  <section id="conv-header">${conversationHeader(ctx, d)}</section>
  <section class="actions card">
    ${c.status === 'waiting' ? html`<form data-api="${api}/claim" data-reload><button type="submit" id="claim">${t(ctx, 'claim')}</button></form>` : ''}
    ${c.status === 'human' && mayAct ? html`<form data-api="${api}/release" data-reload><button type="submit" class="secondary">${t(ctx, 'release')}</button></form>` : ''}
    ${(c.status === 'human' && mayAct) || (c.status === 'waiting' && supervisor)
      ? html`<form data-api="${api}/transfer" data-reload class="row">
      <select name="toStaffId" data-number>${x.staff.filter((s) => s.id !== me.id).map((s) => html`<option value="${s.id}">${s.name}</option>`)}</select>
      <button type="submit" class="secondary">${t(ctx, 'transfer')}</button></form>`
      : ''}
    ${c.status !== 'resolved'
      ? html`<form data-api="${api}/preference" data-reload class="row"><label class="row">${t(ctx, 'researcherPreference')}
      <select name="researcherGender" data-nullable>
        <option value="" ${c.researcherGender ? '' : 'selected'}>${t(ctx, 'noPreference')}</option>
        <option value="female" ${c.researcherGender === 'female' ? 'selected' : ''}>${t(ctx, 'female')}</option>
        <option value="male" ${c.researcherGender === 'male' ? 'selected' : ''}>${t(ctx, 'male')}</option>
      </select></label>
      <button type="submit" class="secondary">${t(ctx, 'setPreference')}</button></form>`
      : ''}
  </section>
  <div class="columns">
    <section class="main-col">
      <h2>${t(ctx, 'history')}</h2>
      <div id="history">${historyList(ctx, d)}</div>
      ${mine
        ? html`<form data-api="${api}/reply" data-reload class="stack reply" id="reply-form">
        <label class="row">${t(ctx, 'canned')}
          <select id="canned"><option value=""></option>${x.canned.map((k) => html`<option value="${k.text}">${k.text.slice(0, 60)}</option>`)}</select></label>
        <textarea name="text" id="reply-text" rows="3" required placeholder="${t(ctx, 'replyPlaceholder')}" dir="auto"></textarea>
        <button type="submit" id="send-reply">${t(ctx, 'reply')}</button>
      </form>
      ${fileDelivery[c.channel as ChannelName] === 'none'
        ? html`<p class="meta">${t(ctx, 'attachRefusedSms')}</p>`
        : html`<form data-api="${api}/attachments" data-reload data-file class="row" id="attach-form">
        <input type="file" name="file" accept="${acceptedDocumentTypes.join(',')}" required>
        <input type="text" name="caption" maxlength="1000" placeholder="${t(ctx, 'attachCaption')}" dir="auto">
        <button type="submit" class="secondary" id="send-file">${t(ctx, 'attachSend')}</button>
      </form>`}`
        : ''}
      ${mayAct && ['human', 'waiting'].includes(c.status)
        ? html`<div class="card stack">
        <form data-api="${api}/resolve" data-reload class="stack" id="resolve-form">
          <label class="row"><input type="checkbox" name="survey" checked data-bool> ${t(ctx, 'withSurvey')}</label>
          <input type="text" name="reason" placeholder="${t(ctx, 'reasonNoSurvey')}" dir="auto">
          <button type="submit" id="resolve">${t(ctx, 'resolve')}</button>
        </form>
        <form data-api="${api}/hand-back" data-reload class="row">
          <label>${t(ctx, 'intoFlow')} <select name="flow"><option value="">${t(ctx, 'noFlow')}</option>${x.flows.map((f) => html`<option value="${f}">${f}</option>`)}</select></label>
          <button type="submit" class="secondary">${t(ctx, 'handBack')}</button>
        </form>
      </div>`
        : ''}
    </section>
    <aside class="side-col">
      <h2>${t(ctx, 'collected')}</h2>
      ${d.flow
        ? html`<p class="meta">${d.flow.id} › ${d.flow.step}</p><dl class="facts">${Object.entries(d.flow.data).map(([k, v]) => html`<dt>${k}</dt><dd dir="auto">${String(v)}</dd>`)}</dl>`
        : html`<p class="meta">—</p>`}
      <h2>${t(ctx, 'requests')}</h2>
      <ul>${d.requests.map((r) => html`<li><a href="/console/requests/${r.id}">${r.referenceNumber}</a> · ${r.type} · ${r.status}</li>`)}</ul>
      <h2>${t(ctx, 'notes')}</h2>
      <ul class="notes">${d.notes.map((n) => html`<li><span class="meta">${n.staffName} · ${n.at.slice(0, 16).replace('T', ' ')}</span><div dir="auto">${n.text}</div></li>`)}</ul>
      <form data-api="${api}/notes" data-reload class="stack">
        <textarea name="text" rows="2" required placeholder="${t(ctx, 'note')}" dir="auto"></textarea>
        <button type="submit" class="secondary">${t(ctx, 'addNote')}</button>
      </form>
    </aside>
  </div>
</div>`,
    { pageId: 'conversation' },
  );
}
