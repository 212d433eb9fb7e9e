/**
 * The data-subject requests (PDPL) for supervisors: the list (open or closed, overdue first), one request with
 * what the beneficiary wrote, their consents and the action its kind needs, and the deliberate second step
 * before an erasure. Plain HTML forms posting the session's CSRF token; a rejected field is shown beside it.
 */
import { correctionVerifications } from '../../privacy/answer-data-request';
import type { ErasureHold } from '../../privacy/erase-beneficiary';
import type { DataRequestDetail, DataRequestSummary } from '../data-request-queries';
import type { FieldErrors } from '../form-errors';
import { html, type SafeHtml } from '../html';
import type { UiKey } from '../ui-text';
import { consentSection, dateTimeFormat } from './consent-section';
import { fieldError, invalid } from './form-fields';
import { layout, t, type PageContext } from './layout';

const kindKey: Record<DataRequestSummary['kind'], UiKey> = { copy: 'kindCopy', correction: 'kindCorrection', deletion: 'kindDeletion', withdrawal: 'kindWithdrawal' };
const statusKey: Record<DataRequestSummary['status'], UiKey> = { open: 'drOpen', done: 'drDone', rejected: 'drRejected' };
const verificationKey: Record<(typeof correctionVerifications)[number], UiKey> = {
  document: 'verifiedDocument',
  'phone-call': 'phone-call',
  'office-visit': 'verifiedOfficeVisit',
  chat: 'verifiedChat',
};

const dayForms: Record<Intl.LDMLPluralRule, UiKey> = { zero: 'daysZero', one: 'daysOne', two: 'daysTwo', few: 'daysFew', many: 'daysMany', other: 'daysOther' };
/** "40 يومًا", "3 أيام", "يومان": Arabic has six plural forms. */
function daysText(ctx: PageContext, n: number): string {
  return t(ctx, dayForms[new Intl.PluralRules(ctx.lang).select(n)]).replace('#', String(n));
}

export const dataRequestPath = (id: number) => `/console/privacy/requests/${id}`;

/** A form that failed: its field errors and what was typed. */
export interface FormState {
  errors: FieldErrors;
  values: Record<string, string>;
}
const empty: FormState = { errors: {}, values: {} };

/** A labelled text area with its error beside it, keeping what was typed. */
function textArea(id: string, name: string, label: string, state: FormState, size: { rows: number; max: number }): SafeHtml {
  const error = state.errors[name];
  return html`<label for="${id}">${label}</label>
    <textarea id="${id}" name="${name}" rows="${size.rows}" maxlength="${size.max}" dir="auto" ${invalid(id, error)}>${state.values[name] ?? ''}</textarea>
    ${fieldError(id, error)}`;
}
const NOTE = { rows: 2, max: 500 };
const csrfField = (ctx: PageContext) => html`<input type="hidden" name="_csrf" value="${ctx.csrfToken ?? ''}">`;

function personLink(ctx: PageContext, d: DataRequestSummary): SafeHtml {
  return html`<a href="/console/beneficiaries/${d.beneficiaryId}" dir="auto">${d.beneficiaryName ?? `#${d.beneficiaryId}`}</a>${d.beneficiaryErased ? html` <span class="tag">${t(ctx, 'erasedPerson')}</span>` : ''}`;
}

function dueCell(ctx: PageContext, d: DataRequestSummary): SafeHtml {
  return html`<span dir="ltr">${d.dueDate}</span>${d.overdue ? html` <span class="tag tag-urgent overdue-tag">${t(ctx, 'drOverdue')}</span>` : ''}`;
}

export function dataRequestsPage(ctx: PageContext, v: { status: 'open' | 'closed'; rows: DataRequestSummary[] }): string {
  return layout(
    ctx,
    t(ctx, 'privacyRequests'),
    html`<h1>${t(ctx, 'privacyRequests')}</h1>
<p class="meta">${t(ctx, 'privacyIntro')}</p>
<nav class="tabs">
  <a href="/console/privacy/requests" class="${v.status === 'open' ? 'active' : ''}">${t(ctx, 'openTasks')}</a>
  <a href="/console/privacy/requests?status=closed" class="${v.status === 'closed' ? 'active' : ''}">${t(ctx, 'closedRequests')}</a>
</nav>
${v.rows.length === 0 ? html`<p class="meta" id="no-data-requests">${t(ctx, 'noDataRequests')}</p>` : ''}
<table class="table" id="data-requests">
  <thead><tr><th>${t(ctx, 'reference')}</th><th>${t(ctx, 'kind')}</th><th>${t(ctx, 'beneficiary')}</th><th>${t(ctx, 'channel')}</th><th>${t(ctx, 'age')}</th><th>${t(ctx, 'answerBy')}</th><th>${t(ctx, 'status')}</th></tr></thead>
  <tbody>${v.rows.map(
    (d) => html`<tr data-request-id="${d.id}" data-kind="${d.kind}" class="${d.overdue ? 'overdue' : ''}">
    <td><a href="${dataRequestPath(d.id)}">${d.number}</a></td><td>${t(ctx, kindKey[d.kind])}</td><td>${personLink(ctx, d)}</td>
    <td>${d.channel ?? '—'}</td><td>${daysText(ctx, d.ageDays)}</td><td>${dueCell(ctx, d)}</td><td>${t(ctx, statusKey[d.status])}</td>
  </tr>`,
  )}</tbody>
</table>`,
    { pageId: 'data-requests' },
  );
}

/** What an erasure keeps and what it removes, shown on the request and again on the confirmation step. */
function holdSection(ctx: PageContext, hold: ErasureHold): SafeHtml {
  return html`<section class="card hold" id="legal-hold">
  <h2>${t(ctx, 'legalHold')}</h2>
  <p>${hold.requestsHeld.length ? t(ctx, 'heldRequests') : t(ctx, 'noHeldRequests')}</p>
  ${hold.requestsHeld.length ? html`<ul id="held-requests">${hold.requestsHeld.map((r) => html`<li><a href="/console/requests/${r.id}">${r.referenceNumber}</a> <span class="tag">${r.status}</span></li>`)}</ul>` : ''}
  <ul><li>${t(ctx, 'keptAudit')}</li><li>${t(ctx, 'keptConsents')}</li></ul>
  <h3>${t(ctx, 'willErase')}</h3>
  <p>${t(ctx, 'willEraseList')}</p>
  ${hold.requestsAnonymised.length ? html`<p>${t(ctx, 'anonymisedRequests')} ${hold.requestsAnonymised.map((r) => html`<span class="tag">${r.referenceNumber}</span>`)}</p>` : ''}
</section>`;
}

function outcomeSection(ctx: PageContext, d: DataRequestDetail, timeZone: string): SafeHtml {
  const o = d.outcome;
  const list = (v: unknown) => (Array.isArray(v) && v.length ? v.map((x) => html`<span class="tag">${String(x)}</span>`) : '—');
  const text = (v: unknown) => (typeof v === 'string' && v ? v : null);
  const verified = text(o.verifiedBy) as keyof typeof verificationKey | null;
  return html`<section class="card" id="outcome">
  <h2>${t(ctx, 'outcome')}</h2>
  <dl class="facts">
    <dt>${t(ctx, 'status')}</dt><dd id="data-request-status">${t(ctx, statusKey[d.status])}</dd>
    <dt>${t(ctx, 'completedBy')}</dt><dd dir="auto">${d.completedByName ?? '—'}${d.completedAt ? html` · ${dateTimeFormat(ctx, timeZone).format(d.completedAt)}` : ''}</dd>
    ${text(o.reason) ? html`<dt>${t(ctx, 'reason')}</dt><dd dir="auto" class="text">${text(o.reason)}</dd>` : ''}
    ${text(o.corrected) ? html`<dt>${t(ctx, 'correctedWhat')}</dt><dd dir="auto" class="text">${text(o.corrected)}</dd>` : ''}
    ${verified && verificationKey[verified] ? html`<dt>${t(ctx, 'verifiedBy')}</dt><dd>${t(ctx, verificationKey[verified])}</dd>` : ''}
    ${text(o.note) ? html`<dt>${t(ctx, 'closingNote')}</dt><dd dir="auto" class="text">${text(o.note)}</dd>` : ''}
    ${d.kind === 'deletion' && d.status === 'done'
      ? html`<dt>${t(ctx, 'erasedMessages')}</dt><dd>${String(o.messages ?? 0)}</dd>
    <dt>${t(ctx, 'documentsRemoved')}</dt><dd>${String(o.documentsRemoved ?? 0)}</dd>
    <dt>${t(ctx, 'anonymisedRequests')}</dt><dd>${list(o.requestsAnonymised)}</dd>
    <dt>${t(ctx, 'legalHold')}</dt><dd id="held-after">${list(o.requestsHeld)}<ul><li>${t(ctx, 'keptAudit')}</li><li>${t(ctx, 'keptConsents')}</li></ul></dd>`
      : ''}
  </dl>
</section>`;
}

function actionsSection(ctx: PageContext, d: DataRequestDetail, forms: DataRequestForms): SafeHtml {
  const csrf = csrfField(ctx);
  const base = dataRequestPath(d.id);
  const note = forms.complete ?? empty;
  const fix = forms.correction ?? empty;
  const rej = forms.reject ?? empty;
  const byKind = {
    copy: html`<section class="card" id="copy-actions">
  <p><a class="button-link" id="download-export" href="${base}/export" download>${t(ctx, 'downloadExport')}</a></p>
  <p class="meta">${t(ctx, 'exportHint')}</p>
  <form method="post" action="${base}/complete" class="stack" novalidate>${csrf}
    ${textArea('complete-note', 'note', t(ctx, 'closingNoteOptional'), note, NOTE)}
    <button type="submit" id="mark-copy-sent">${t(ctx, 'markCopySent')}</button>
  </form>
</section>`,
    correction: html`<section class="card" id="correction-actions">
  <form method="post" action="${base}/correction" class="stack" novalidate>${csrf}
    ${textArea('correction-corrected', 'corrected', t(ctx, 'correctedWhat'), fix, { rows: 3, max: 1000 })}
    <label for="correction-verifiedBy">${t(ctx, 'verifiedBy')}</label>
    <select id="correction-verifiedBy" name="verifiedBy" ${invalid('correction-verifiedBy', fix.errors.verifiedBy)}><option value=""></option>${correctionVerifications.map(
      (v) => html`<option value="${v}" ${fix.values.verifiedBy === v ? html`selected` : ''}>${t(ctx, verificationKey[v])}</option>`,
    )}</select>
    ${fieldError('correction-verifiedBy', fix.errors.verifiedBy)}
    ${textArea('correction-note', 'note', t(ctx, 'closingNoteOptional'), fix, NOTE)}
    <button type="submit" id="complete-correction">${t(ctx, 'completeCorrection')}</button>
  </form>
</section>`,
    // A withdrawal of consent is a manual task like a copy: staff stop any open application, then record it.
    withdrawal: html`<section class="card" id="withdrawal-actions">
  <p class="meta">${t(ctx, 'withdrawalHint')}</p>
  <form method="post" action="${base}/complete" class="stack" novalidate>${csrf}
    ${textArea('complete-note', 'note', t(ctx, 'closingNoteOptional'), note, NOTE)}
    <button type="submit" id="mark-withdrawal-handled">${t(ctx, 'markWithdrawalHandled')}</button>
  </form>
</section>`,
    deletion: html`${d.hold ? holdSection(ctx, d.hold) : ''}
<p><a class="button-link" id="continue-to-erase" href="${base}/erase">${t(ctx, 'continueToErase')}</a></p>`,
  };
  return html`${byKind[d.kind]}
<details class="card" id="reject" ${rej.errors.reason ? html`open` : ''}><summary>${t(ctx, 'rejectRequest')}</summary>
  <form method="post" action="${base}/reject" class="stack" novalidate>${csrf}
    ${textArea('reject-reason', 'reason', t(ctx, 'reason'), rej, NOTE)}
    <button type="submit" class="secondary" id="reject-submit">${t(ctx, 'rejectRequest')}</button>
  </form>
</details>`;
}

export interface DataRequestForms {
  complete?: FormState;
  correction?: FormState;
  reject?: FormState;
}

export interface DataRequestView {
  detail: DataRequestDetail;
  timeZone: string;
  forms?: DataRequestForms;
  notice?: string;
  error?: string;
}

function requestFacts(ctx: PageContext, d: DataRequestDetail, timeZone: string): SafeHtml {
  return html`<dl class="facts">
  <dt>${t(ctx, 'beneficiary')}</dt><dd>${personLink(ctx, d)}</dd>
  <dt>${t(ctx, 'channel')}</dt><dd>${d.channel ?? '—'}</dd>
  <dt>${t(ctx, 'openedAt')}</dt><dd>${dateTimeFormat(ctx, timeZone).format(d.createdAt)} (${daysText(ctx, d.ageDays)})</dd>
  <dt>${t(ctx, 'answerBy')}</dt><dd id="due">${dueCell(ctx, d)}</dd>
  <dt>${t(ctx, 'status')}</dt><dd><span class="tag" id="status-tag">${t(ctx, statusKey[d.status])}</span></dd>
</dl>`;
}

const title = (ctx: PageContext, d: DataRequestSummary) => `${d.number} · ${t(ctx, kindKey[d.kind])}`;
const banner = (v: { notice?: string | undefined; error?: string | undefined }) =>
  html`${v.notice ? html`<p class="notice" role="status" id="notice">${v.notice}</p>` : ''}${v.error ? html`<p class="flash error" role="alert" id="page-error">${v.error}</p>` : ''}`;

export function dataRequestPage(ctx: PageContext, v: DataRequestView): string {
  const d = v.detail;
  return layout(
    ctx,
    title(ctx, d),
    html`<h1>${title(ctx, d)}</h1>
${banner(v)}
${requestFacts(ctx, d, v.timeZone)}
<section class="card" id="asked">
  <h2>${t(ctx, 'whatWasAsked')}</h2>
  ${d.asked.length
    ? html`<ol class="history">${d.asked.map((m) => html`<li class="msg msg-in"><div class="text" dir="auto">${m.text}</div><span class="meta">${m.channel} · ${dateTimeFormat(ctx, v.timeZone).format(m.at)}</span></li>`)}</ol>`
    : html`<p class="meta">${t(ctx, 'noAskedText')}</p>`}
</section>
${d.status === 'open' ? actionsSection(ctx, d, v.forms ?? {}) : outcomeSection(ctx, d, v.timeZone)}
${consentSection(ctx, d.consents, v.timeZone)}`,
    { pageId: 'data-request' },
  );
}

export interface ErasureConfirmView {
  detail: DataRequestDetail;
  timeZone: string;
  form?: FormState;
}

/** The deliberate second step: the hold again, the identity check ticked and the request's number typed. */
export function erasureConfirmPage(ctx: PageContext, v: ErasureConfirmView): string {
  const d = v.detail;
  const f = v.form ?? empty;
  const base = dataRequestPath(d.id);
  return layout(
    ctx,
    `${t(ctx, 'confirmErasure')} · ${d.number}`,
    html`<h1>${t(ctx, 'confirmErasure')} · ${d.number}</h1>
${requestFacts(ctx, d, v.timeZone)}
${d.hold ? holdSection(ctx, d.hold) : ''}
<section class="card">
  <p class="error"><strong>${t(ctx, 'cannotUndo')}</strong></p>
  <form method="post" action="${base}/erase" class="stack" id="erase-form" novalidate>${csrfField(ctx)}
    <label class="row"><input type="checkbox" id="erase-identityChecked" name="identityChecked" value="on" ${f.values.identityChecked === 'on' ? html`checked` : ''} ${invalid('erase-identityChecked', f.errors.identityChecked)}> ${t(ctx, 'identityChecked')}</label>
    ${fieldError('erase-identityChecked', f.errors.identityChecked)}
    <label for="erase-confirmNumber">${t(ctx, 'typeNumberToConfirm')}: <strong dir="ltr">${d.number}</strong></label>
    <input id="erase-confirmNumber" name="confirmNumber" dir="ltr" autocomplete="off" value="${f.values.confirmNumber ?? ''}" ${invalid('erase-confirmNumber', f.errors.confirmNumber)}>
    ${fieldError('erase-confirmNumber', f.errors.confirmNumber)}
    <div class="row"><button type="submit" class="danger" id="erase-now">${t(ctx, 'eraseNow')}</button> <a href="${base}">${t(ctx, 'cancel')}</a></div>
  </form>
</section>`,
    { pageId: 'erase-confirm' },
  );
}
