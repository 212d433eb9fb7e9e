/** The inbox: waiting (urgent first, then the longest wait), mine, all open, resolved. Refreshed live by console.js. */
import type { ConversationSummary } from '../../conversations/conversation-queries';
import { html, type SafeHtml } from '../html';
import { layout, statusLabel, t, type PageContext } from './layout';

const views = ['waiting', 'mine', 'open', 'resolved'] as const;

export function inboxList(ctx: PageContext, rows: ConversationSummary[]): SafeHtml {
  if (rows.length === 0) return html`<p class="empty">${t(ctx, 'noConversations')}</p>`;
  return html`<ul class="conversations">${rows.map(
    (c) => html`<li class="conv queue-${c.queue}" data-conversation-id="${c.id}">
      <a href="/console/conversations/${c.id}">
        <span class="who" dir="auto">${c.beneficiary.name ?? c.beneficiary.displayName ?? `#${c.beneficiary.id}`}</span>
        <span class="tags">
          ${c.queue !== 'shared' ? html`<span class="tag tag-${c.queue}">${t(ctx, c.queue)}</span>` : ''}
          ${c.researcherGender === 'female' ? html`<span class="tag">${t(ctx, 'femaleRequested')}</span>` : c.researcherGender === 'male' ? html`<span class="tag">${t(ctx, 'maleRequested')}</span>` : ''}
          <span class="tag">${c.channel}</span>
          <span class="tag">${statusLabel(ctx, c.status)}</span>
          ${c.assignee ? html`<span class="tag">${c.assignee.name}</span>` : ''}
        </span>
        <span class="preview" dir="auto">${c.lastMessage ?? ''}</span>
        ${c.handedOffAt && c.status === 'waiting' ? html`<span class="since" data-since="${c.handedOffAt}">${t(ctx, 'waited')} ${Math.round((c.waitingSeconds ?? 0) / 60)} ${t(ctx, 'minutes')}</span>` : ''}
      </a>
    </li>`,
  )}</ul>`;
}

export function inboxPage(ctx: PageContext, view: (typeof views)[number], rows: ConversationSummary[]): string {
  return layout(
    ctx,
    t(ctx, 'inbox'),
    html`<nav class="tabs">${views.map((v) => html`<a href="/console?view=${v}" class="${v === view ? 'active' : ''}">${t(ctx, v)}</a>`)}</nav>
<section id="inbox" data-view="${view}">
  <div id="inbox-list">${inboxList(ctx, rows)}</div>
</section>`,
    { pageId: 'inbox' },
  );
}
