/**
 * The survey reports page. Every figure comes from reports/survey-report.ts (computed in SQL) and is shown twice:
 * drawn by chart.js (public/console/reports.js) and written out in a table, which is what screen readers and
 * printouts use. The page never computes a figure itself; it only formats them. Per-researcher figures are
 * rendered only when the report carries them (supervisors and admins, policy practice 3).
 */
import type { Figures, ReportFilters, SurveyReport } from '../../reports/survey-report';
import { chartScriptUrl } from '../chart-asset';
import { html, SafeHtml } from '../html';
import { layout, t, type PageContext } from './layout';


function numberFormat(ctx: PageContext, opts: Intl.NumberFormatOptions): Intl.NumberFormat {
  return new Intl.NumberFormat(ctx.lang === 'ar' ? 'ar-SA' : 'en-GB', opts);
}

/** A figure cell: formatted for people, the raw value in `data-value` for scripts and tests. */
function cell(ctx: PageContext, value: number | null, kind: 'percent' | 'average' | 'count'): SafeHtml {
  if (value === null) return html`<td data-value="">—</td>`;
  const f =
    kind === 'percent'
      ? numberFormat(ctx, { style: 'percent', maximumFractionDigits: 1 })
      : numberFormat(ctx, { maximumFractionDigits: kind === 'average' ? 2 : 0 });
  return html`<td data-value="${value}">${f.format(value)}</td>`;
}

const figureHeads = (ctx: PageContext) =>
  html`<th>${t(ctx, 'reportSent')}</th><th>${t(ctx, 'reportAnswered')}</th><th>${t(ctx, 'responseRate')}</th><th>${t(ctx, 'csat')}</th><th>${t(ctx, 'average')}</th>`;
const figureCells = (ctx: PageContext, f: Figures) =>
  html`${cell(ctx, f.sent, 'count')}${cell(ctx, f.answered, 'count')}${cell(ctx, f.responseRate, 'percent')}${cell(ctx, f.csat, 'percent')}${cell(ctx, f.average, 'average')}`;

/** One grouped section: a chart and the same numbers as a table. */
function groupedSection(ctx: PageContext, id: string, title: string, keyHead: string, rows: { label: string; figures: Figures }[]): SafeHtml {
  return html`<section class="card report-section" id="${id}">
  <h2 id="${id}-title">${title}</h2>
  ${rows.length
    ? html`<div class="chart"><canvas id="${id}-chart" role="img" aria-labelledby="${id}-title" aria-describedby="${id}-table"></canvas></div>
  <table class="table figures" id="${id}-table">
    <thead><tr><th>${keyHead}</th>${figureHeads(ctx)}</tr></thead>
    <tbody>${rows.map((r) => html`<tr><th scope="row" dir="auto">${r.label}</th>${figureCells(ctx, r.figures)}</tr>`)}</tbody>
  </table>`
    : html`<p class="meta">${t(ctx, 'noData')}</p>`}
</section>`;
}

/** Labels the chart script needs, in the page's language (it builds no text of its own). */
function chartLabels(ctx: PageContext) {
  return {
    csat: t(ctx, 'csat'),
    responseRate: t(ctx, 'responseRate'),
    average: t(ctx, 'average'),
    count: t(ctx, 'count'),
    rating: t(ctx, 'rating'),
  };
}

/**
 * The report as data for the chart script, in a non-executable JSON block (allowed by the CSP, unlike an inline
 * script). `<` is escaped so a comment or a staff name can never close the element.
 */
function chartData(ctx: PageContext, report: SurveyReport, labelOf: { requestType(v: string): string; researcher(name: string | null): string }): SafeHtml {
  const data = {
    lang: ctx.lang,
    dir: ctx.lang === 'ar' ? 'rtl' : 'ltr',
    locale: ctx.lang === 'ar' ? 'ar-SA' : 'en-GB',
    labels: chartLabels(ctx),
    distribution: report.summary.distribution,
    trendWeek: report.trend.week,
    trendMonth: report.trend.month,
    byChannel: report.byChannel.map((r) => ({ ...r, label: r.channel })),
    byRequestType: report.byRequestType.map((r) => ({ ...r, label: labelOf.requestType(String(r.requestType)) })),
    ...(report.byResearcher ? { byResearcher: report.byResearcher.map((r) => ({ ...r, label: labelOf.researcher(r.staffName as string | null) })) } : {}),
  };
  const json = JSON.stringify(data).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
  return html`<script type="application/json" id="report-data">${new SafeHtml(json)}</script>`;
}

function figuresOf(r: Figures): Figures {
  return { sent: r.sent, answered: r.answered, responseRate: r.responseRate, csat: r.csat, average: r.average };
}

export function reportsPage(ctx: PageContext, filters: ReportFilters, report: SurveyReport, timeZone: string): string {
  const query = new URLSearchParams(Object.entries(filters).filter((e): e is [string, string] => typeof e[1] === 'string' && e[1] !== '')).toString();
  const csvHref = `/api/reports/surveys/export.csv${query ? `?${query}` : ''}`;
  const labelOf = {
    requestType: (v: string) => (v === 'conversation' ? t(ctx, 'conversationService') : v),
    researcher: (name: string | null) => name ?? t(ctx, 'unattributed'),
  };
  const s = report.summary;
  const dateFmt = new Intl.DateTimeFormat(ctx.lang === 'ar' ? 'ar-SA-u-ca-gregory' : 'en-GB', { dateStyle: 'medium', timeZone });
  return layout(
    ctx,
    t(ctx, 'reports'),
    html`<h1>${t(ctx, 'reports')}</h1>
<p class="meta">${t(ctx, 'reportPolicy')}</p>
<form method="get" action="/console/reports" class="row filters" id="report-filters">
  <label>${t(ctx, 'reportFrom')} <input type="date" name="from" value="${filters.from ?? ''}"></label>
  <label>${t(ctx, 'reportTo')} <input type="date" name="to" value="${filters.to ?? ''}"></label>
  ${filters.channel ? html`<input type="hidden" name="channel" value="${filters.channel}">` : ''}
  ${filters.requestType ? html`<input type="hidden" name="requestType" value="${filters.requestType}">` : ''}
  <button type="submit">${t(ctx, 'filter')}</button>
  <a class="button-link" id="csv-export" href="${csvHref}" download>${t(ctx, 'exportCsv')}</a>
</form>
<section class="card" id="summary">
  <table class="table figures" id="summary-table">
    <thead><tr>${figureHeads(ctx)}</tr></thead>
    <tbody><tr>${figureCells(ctx, s)}</tr></tbody>
  </table>
</section>
<section class="card report-section" id="distribution">
  <h2 id="distribution-title">${t(ctx, 'distribution')}</h2>
  <div class="chart"><canvas id="distribution-chart" role="img" aria-labelledby="distribution-title" aria-describedby="distribution-table"></canvas></div>
  <table class="table figures" id="distribution-table">
    <thead><tr><th>${t(ctx, 'rating')}</th><th>${t(ctx, 'count')}</th></tr></thead>
    <tbody>${(['5', '4', '3', '2', '1'] as const).map((k) => html`<tr><th scope="row">${'★'.repeat(Number(k))} ${numberFormat(ctx, {}).format(Number(k))}</th>${cell(ctx, s.distribution[k], 'count')}</tr>`)}</tbody>
  </table>
</section>
${groupedSection(ctx, 'trend-week', t(ctx, 'trendWeek'), t(ctx, 'period'), report.trend.week.map((r) => ({ label: String(r.period), figures: figuresOf(r) })))}
${groupedSection(ctx, 'trend-month', t(ctx, 'trendMonth'), t(ctx, 'period'), report.trend.month.map((r) => ({ label: String(r.period), figures: figuresOf(r) })))}
${groupedSection(ctx, 'by-channel', t(ctx, 'byChannel'), t(ctx, 'channel'), report.byChannel.map((r) => ({ label: String(r.channel), figures: figuresOf(r) })))}
${groupedSection(ctx, 'by-request-type', t(ctx, 'byRequestType'), t(ctx, 'serviceType'), report.byRequestType.map((r) => ({ label: labelOf.requestType(String(r.requestType)), figures: figuresOf(r) })))}
${report.byResearcher
  ? groupedSection(ctx, 'by-researcher', t(ctx, 'byResearcher'), t(ctx, 'researcher'), report.byResearcher.map((r) => ({ label: labelOf.researcher(r.staffName as string | null), figures: figuresOf(r) })))
  : ''}
<section class="card" id="comments">
  <h2>${t(ctx, 'comments')}</h2>
  ${report.comments.length
    ? html`<table class="table">
    <thead><tr><th>${t(ctx, 'answeredAt')}</th><th>${t(ctx, 'rating')}</th><th>${t(ctx, 'channel')}</th><th>${t(ctx, 'serviceType')}</th><th>${t(ctx, 'comment')}</th></tr></thead>
    <tbody>${report.comments.map(
      (c) => html`<tr class="comment" data-survey-id="${c.surveyId}"><td>${dateFmt.format(new Date(c.answeredAt))}</td><td data-value="${c.score}">${numberFormat(ctx, {}).format(c.score)}</td><td>${c.channel ?? ''}</td><td>${labelOf.requestType(c.requestType)}</td><td dir="auto" class="text">${c.comment}</td></tr>`,
    )}</tbody>
  </table>`
    : html`<p class="meta">${t(ctx, 'noComments')}</p>`}
</section>
${chartData(ctx, report, labelOf)}`,
    { pageId: 'reports', scripts: [chartScriptUrl(), '/console/assets/reports.js'] },
  );
}
