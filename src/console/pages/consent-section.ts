/**
 * A beneficiary's consents, on their record and on each of their data requests: the standing answer per purpose,
 * then every answer with the exact text the person saw (escaped: it was rendered from templates the organisation
 * edits, with the organisation's name in it), the channel and the time.
 */
import type { ConsentRecord } from '../../privacy/consent-history';
import { standingConsents } from '../../privacy/consent-history';
import { html, type SafeHtml } from '../html';
import { t, type PageContext } from './layout';

export const dateTimeFormat = (ctx: Pick<PageContext, 'lang'>, timeZone: string) =>
  new Intl.DateTimeFormat(ctx.lang === 'ar' ? 'ar-SA-u-ca-gregory' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone });

function consentRows(ctx: PageContext, rows: readonly ConsentRecord[], timeZone: string): SafeHtml {
  const fmt = dateTimeFormat(ctx, timeZone);
  return html`${rows.map(
    (c) => html`<tr data-purpose="${c.purpose}" data-answer="${c.answer}">
    <td>${t(ctx, c.purpose)}</td><td class="answer answer-${c.answer}">${t(ctx, c.answer)}</td>
    <td dir="auto" class="text consent-text" lang="${c.language}">${c.text}</td><td>${c.channel ?? '—'}</td><td>${fmt.format(new Date(c.at))}</td>
  </tr>`,
  )}`;
}

export function consentSection(ctx: PageContext, history: readonly ConsentRecord[], timeZone: string): SafeHtml {
  const head = html`<thead><tr><th>${t(ctx, 'consentPurpose')}</th><th>${t(ctx, 'consentAnswer')}</th><th>${t(ctx, 'consentText')}</th><th>${t(ctx, 'channel')}</th><th>${t(ctx, 'consentWhen')}</th></tr></thead>`;
  return html`<section class="card" id="consents">
  <h2>${t(ctx, 'consents')}</h2>
  ${history.length === 0
    ? html`<p class="meta" id="no-consents">${t(ctx, 'noConsents')}</p>`
    : html`<h3>${t(ctx, 'consentStanding')}</h3>
  <table class="table" id="consents-standing">${head}<tbody>${consentRows(ctx, standingConsents(history), timeZone)}</tbody></table>
  <details><summary>${t(ctx, 'consentHistory')} (${history.length})</summary>
    <table class="table" id="consents-history">${head}<tbody>${consentRows(ctx, history, timeZone)}</tbody></table>
  </details>`}
</section>`;
}
