/**
 * CSV export of answered surveys, one row each — for spreadsheets, so it starts with a UTF-8 byte order mark
 * (Excel otherwise shows Arabic as mojibake) and defuses cells that a spreadsheet would run as a formula.
 */
import { sql } from 'drizzle-orm';
import type { ReportContext, ReportFilters } from './survey-report';
import { canSeeStaffFigures, type StaffViewer } from './viewer';

const BOM = '\uFEFF';

export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let s = value instanceof Date ? value.toISOString() : String(value);
  // "=cmd()", "+1", "-1", "@x" would be evaluated by Excel/LibreOffice (CSV injection).
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export async function surveysCsv(ctx: ReportContext, viewer: Pick<StaffViewer, 'role'>, f: ReportFilters = {}): Promise<string> {
  const parts = [sql`s.sent_at is not null`];
  if (f.from) parts.push(sql`(s.sent_at at time zone ${ctx.timezone})::date >= ${f.from}::date`);
  if (f.to) parts.push(sql`(s.sent_at at time zone ${ctx.timezone})::date <= ${f.to}::date`);
  if (f.channel) parts.push(sql`s.channel = ${f.channel}`);
  if (f.requestType) parts.push(sql`r.type = ${f.requestType}`);
  const result = (await ctx.db.execute(sql`
    select s.id, s.subject_kind, s.sent_at, s.answered_at, s.status, s.channel, coalesce(r.type, 'conversation') as request_type,
           s.score, s.comment, s.staff_id
    from surveys s left join requests r on r.id = s.request_id
    where ${sql.join(parts, sql` and `)}
    order by s.sent_at, s.id`)) as { rows: Record<string, unknown>[] };
  const staff = canSeeStaffFigures(viewer);
  const header = ['survey_id', 'subject', 'sent_at', 'answered_at', 'status', 'channel', 'request_type', 'score', 'comment', ...(staff ? ['staff_id'] : [])];
  const lines = result.rows.map((r) =>
    [r.id, r.subject_kind, r.sent_at && new Date(r.sent_at as string), r.answered_at && new Date(r.answered_at as string), r.status, r.channel, r.request_type, r.score, r.comment, ...(staff ? [r.staff_id] : [])]
      .map(csvCell)
      .join(','),
  );
  return BOM + [header.join(','), ...lines].join('\r\n') + '\r\n';
}
