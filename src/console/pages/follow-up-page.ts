/**
 * Follow-up tasks opened by ratings of 1–2, for supervisors: the beneficiary's comment, the service, who served
 * (supervisors may see it; the purpose is improving the service, not blame), and a form to close the task with
 * a note of what was done.
 */
import type { FollowUpTask } from '../../surveys/follow-up-tasks';
import { html } from '../html';
import { layout, t, type PageContext } from './layout';

export interface FollowUpView {
  status: 'open' | 'done';
  tasks: FollowUpTask[];
  staffNames: Map<number, string>;
  /** A note that failed validation, to show next to that task's field. */
  error?: { taskId: number; message: string; note: string };
  closedId?: number;
  /** The organisation's zone, for the dates shown. */
  timeZone: string;
}

export function followUpPage(ctx: PageContext, v: FollowUpView): string {
  const dateFmt = new Intl.DateTimeFormat(ctx.lang === 'ar' ? 'ar-SA-u-ca-gregory' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: v.timeZone });
  const name = (id: number | null) => (id === null ? t(ctx, 'unattributed') : (v.staffNames.get(id) ?? `#${id}`));
  return layout(
    ctx,
    t(ctx, 'followUps'),
    html`<h1>${t(ctx, 'followUps')}</h1>
<p class="meta">${t(ctx, 'followUpsIntro')}</p>
<nav class="tabs">
  <a href="/console/follow-ups" class="${v.status === 'open' ? 'active' : ''}">${t(ctx, 'openTasks')}</a>
  <a href="/console/follow-ups?status=done" class="${v.status === 'done' ? 'active' : ''}">${t(ctx, 'closedTasks')}</a>
</nav>
${v.closedId ? html`<p class="notice" role="status">${t(ctx, 'saved')}</p>` : ''}
${v.tasks.length === 0 ? html`<p class="meta" id="no-follow-ups">${t(ctx, 'noFollowUps')}</p>` : ''}
<ul class="notes" id="follow-ups">${v.tasks.map((task) => {
      const failed = v.error?.taskId === task.id ? v.error : undefined;
      return html`<li class="card follow-up" data-task-id="${task.id}">
  <dl class="facts">
    <dt>${t(ctx, 'rating')}</dt><dd class="score">${'★'.repeat(task.score)} (${task.score})</dd>
    <dt>${t(ctx, 'comment')}</dt><dd dir="auto" class="text comment">${task.comment ?? '—'}</dd>
    <dt>${t(ctx, 'serviceType')}</dt><dd>${task.requestType ?? t(ctx, 'conversationService')}</dd>
    <dt>${t(ctx, 'channel')}</dt><dd>${task.channel ?? ''}</dd>
    <dt>${t(ctx, 'researcher')}</dt><dd>${name(task.staffId)}</dd>
    <dt>${t(ctx, 'openedAt')}</dt><dd>${dateFmt.format(task.createdAt)}</dd>
    ${task.beneficiaryId ? html`<dt>${t(ctx, 'beneficiary')}</dt><dd><a href="/console/beneficiaries/${task.beneficiaryId}">#${task.beneficiaryId}</a>${task.conversationId ? html` · <a href="/console/conversations/${task.conversationId}">${t(ctx, 'inbox')} #${task.conversationId}</a>` : ''}</dd>` : ''}
    ${task.status === 'done' ? html`<dt>${t(ctx, 'closingNote')}</dt><dd dir="auto" class="text note">${task.note ?? '—'} <span class="meta">(${name(task.closedByStaffId)}${task.closedAt ? html`, ${dateFmt.format(task.closedAt)}` : ''})</span></dd>` : ''}
  </dl>
  ${task.status === 'open'
    ? html`<form method="post" action="/console/follow-ups/${task.id}/close" class="stack">
    <input type="hidden" name="_csrf" value="${ctx.csrfToken ?? ''}">
    <label for="note-${task.id}">${t(ctx, 'closingNote')}</label>
    <textarea id="note-${task.id}" name="note" rows="2" required maxlength="2000" dir="auto" ${failed ? html`aria-invalid="true" aria-describedby="note-${task.id}-error"` : ''}>${failed?.note ?? ''}</textarea>
    ${failed ? html`<span class="field-error" id="note-${task.id}-error">${failed.message}</span>` : ''}
    <button type="submit">${t(ctx, 'closeTask')}</button>
  </form>`
    : ''}
</li>`;
    })}</ul>`,
    { pageId: 'follow-ups' },
  );
}
