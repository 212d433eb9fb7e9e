/**
 * Satisfaction figures, computed in SQL (policy practice 3/4/5: reports per service type and channel, and the
 * beneficiaries' own words). Definitions, so every screen and export agrees:
 *   sent          surveys whose prompt went out in the period (by `sent_at`)
 *   answered      of those, the ones with a rating
 *   responseRate  answered / sent
 *   csat          share of ratings that are 4 or 5, among answered
 *   average       mean rating, among answered
 * Weeks start on Sunday and months on the 1st, in the organisation's time zone (Asia/Riyadh by default).
 * Per-researcher figures are returned only to supervisors and admins.
 */
import { sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../store/database';
import { canSeeStaffFigures, type StaffViewer } from './viewer';

export const reportFiltersSchema = z.object({
  /** Inclusive local date (YYYY-MM-DD) in the organisation's time zone. */
  from: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional(),
  /** Inclusive local date. */
  to: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional(),
  channel: z.string().min(1).max(40).optional(),
  requestType: z.string().min(1).max(60).optional(),
});
export type ReportFilters = z.infer<typeof reportFiltersSchema>;

export interface Figures {
  sent: number;
  answered: number;
  /** 0–1, null when nothing was sent. */
  responseRate: number | null;
  /** 0–1, null when nothing was answered. */
  csat: number | null;
  average: number | null;
}
export interface Summary extends Figures {
  /** Count of each rating 1..5. */
  distribution: Record<'1' | '2' | '3' | '4' | '5', number>;
}
export type Grouped<K extends string> = (Figures & Record<K, string | number | null>)[];

export interface ReportContext {
  db: Db;
  /** The organisation's IANA zone, for dates and weeks. */
  timezone: string;
}

const round = (n: number | null, digits = 4) => (n === null ? null : Math.round(n * 10 ** digits) / 10 ** digits);

function where(f: ReportFilters, tz: string): SQL {
  const parts: SQL[] = [sql`s.sent_at is not null`];
  if (f.from) parts.push(sql`(s.sent_at at time zone ${tz})::date >= ${f.from}::date`);
  if (f.to) parts.push(sql`(s.sent_at at time zone ${tz})::date <= ${f.to}::date`);
  if (f.channel) parts.push(sql`s.channel = ${f.channel}`);
  if (f.requestType) parts.push(sql`r.type = ${f.requestType}`);
  return sql.join(parts, sql` and `);
}

const figuresSql = sql`
  count(*)::int as sent,
  count(s.score)::int as answered,
  count(*) filter (where s.score >= 4)::int as satisfied,
  avg(s.score)::float8 as average`;

interface FigureRow {
  sent: number;
  answered: number;
  satisfied: number;
  average: number | null;
}

function figures(row: FigureRow): Figures {
  const sent = Number(row.sent);
  const answered = Number(row.answered);
  return {
    sent,
    answered,
    responseRate: sent ? round(answered / sent) : null,
    csat: answered ? round(Number(row.satisfied) / answered) : null,
    average: row.average === null ? null : round(Number(row.average), 2),
  };
}

async function rows<T>(db: Db, query: SQL): Promise<T[]> {
  return ((await db.execute(query)) as { rows: T[] }).rows;
}

const from = sql`from surveys s left join requests r on r.id = s.request_id`;

export async function surveySummary(ctx: ReportContext, f: ReportFilters = {}): Promise<Summary> {
  const [row] = await rows<FigureRow & Record<`d${1 | 2 | 3 | 4 | 5}`, number>>(
    ctx.db,
    sql`select ${figuresSql},
      count(*) filter (where s.score = 1)::int as d1, count(*) filter (where s.score = 2)::int as d2,
      count(*) filter (where s.score = 3)::int as d3, count(*) filter (where s.score = 4)::int as d4,
      count(*) filter (where s.score = 5)::int as d5
      ${from} where ${where(f, ctx.timezone)}`,
  );
  return {
    ...figures(row!),
    distribution: { '1': Number(row!.d1), '2': Number(row!.d2), '3': Number(row!.d3), '4': Number(row!.d4), '5': Number(row!.d5) },
  };
}

/** Figures per week (starting Sunday) or month, oldest first; `period` is the local start date. */
export async function surveyTrend(ctx: ReportContext, period: 'week' | 'month', f: ReportFilters = {}): Promise<Grouped<'period'>> {
  const local = sql`(s.sent_at at time zone ${ctx.timezone})`;
  // date_trunc's weeks start on Monday; the Saudi week starts on Sunday.
  const bucket = period === 'week' ? sql`(date_trunc('week', ${local} + interval '1 day') - interval '1 day')::date` : sql`date_trunc('month', ${local})::date`;
  const result = await rows<FigureRow & { period: string | Date }>(
    ctx.db,
    sql`select to_char(${bucket}, 'YYYY-MM-DD') as period, ${figuresSql} ${from} where ${where(f, ctx.timezone)} group by 1 order by 1`,
  );
  return result.map((r) => ({ period: String(r.period), ...figures(r) }));
}

export async function surveysByChannel(ctx: ReportContext, f: ReportFilters = {}): Promise<Grouped<'channel'>> {
  const result = await rows<FigureRow & { channel: string }>(
    ctx.db,
    sql`select coalesce(s.channel, 'unknown') as channel, ${figuresSql} ${from} where ${where(f, ctx.timezone)} group by 1 order by 1`,
  );
  return result.map((r) => ({ channel: r.channel, ...figures(r) }));
}

/** By the request's type; surveys about a conversation (no request) are grouped as `conversation`. */
export async function surveysByRequestType(ctx: ReportContext, f: ReportFilters = {}): Promise<Grouped<'requestType'>> {
  const result = await rows<FigureRow & { request_type: string }>(
    ctx.db,
    sql`select coalesce(r.type, 'conversation') as request_type, ${figuresSql} ${from} where ${where(f, ctx.timezone)} group by 1 order by 1`,
  );
  return result.map((r) => ({ requestType: r.request_type, ...figures(r) }));
}

export class ReportAccessError extends Error {
  constructor(role: string) {
    super(`per-researcher figures are for supervisors and admins; a ${role} cannot see them`);
    this.name = 'ReportAccessError';
  }
}

/** Supervisors and admins only (policy practice 3); throws ReportAccessError for anyone else. */
export async function surveysByResearcher(ctx: ReportContext, viewer: Pick<StaffViewer, 'role'>, f: ReportFilters = {}): Promise<Grouped<'staffId' | 'staffName'>> {
  if (!canSeeStaffFigures(viewer)) throw new ReportAccessError(viewer.role);
  const result = await rows<FigureRow & { staff_id: string | number | null; staff_name: string | null }>(
    ctx.db,
    sql`select s.staff_id, st.name as staff_name, ${figuresSql}
      ${from} left join staff st on st.id = s.staff_id
      where ${where(f, ctx.timezone)} group by s.staff_id, st.name order by s.staff_id nulls last`,
  );
  return result.map((r) => ({ staffId: r.staff_id === null ? null : Number(r.staff_id), staffName: r.staff_name, ...figures(r) }));
}

export interface SurveyComment {
  surveyId: number;
  answeredAt: string;
  score: number;
  comment: string;
  channel: string | null;
  requestType: string;
  /** Only for supervisors and admins. */
  staffId?: number | null;
}

/** The beneficiaries' own words, newest first. */
export async function surveyComments(ctx: ReportContext, viewer: Pick<StaffViewer, 'role'>, f: ReportFilters = {}, limit = 500): Promise<SurveyComment[]> {
  const result = await rows<{ id: string | number; answered_at: string | Date; score: number; comment: string; channel: string | null; request_type: string; staff_id: string | number | null }>(
    ctx.db,
    sql`select s.id, s.answered_at, s.score, s.comment, s.channel, coalesce(r.type, 'conversation') as request_type, s.staff_id
      ${from} where ${where(f, ctx.timezone)} and s.comment is not null and s.score is not null
      order by s.answered_at desc, s.id desc limit ${Math.min(Math.max(limit, 1), 5000)}`,
  );
  const staff = canSeeStaffFigures(viewer);
  return result.map((r) => ({
    surveyId: Number(r.id),
    answeredAt: new Date(r.answered_at).toISOString(),
    score: Number(r.score),
    comment: r.comment,
    channel: r.channel,
    requestType: r.request_type,
    ...(staff ? { staffId: r.staff_id === null ? null : Number(r.staff_id) } : {}),
  }));
}

export interface SurveyReport {
  summary: Summary;
  trend: { week: Grouped<'period'>; month: Grouped<'period'> };
  byChannel: Grouped<'channel'>;
  byRequestType: Grouped<'requestType'>;
  /** Absent for researchers. */
  byResearcher?: Grouped<'staffId' | 'staffName'>;
  comments: SurveyComment[];
}

/** Everything the console's report page shows, as JSON for its charts. */
export async function surveyReport(ctx: ReportContext, viewer: Pick<StaffViewer, 'role'>, f: ReportFilters = {}): Promise<SurveyReport> {
  const [summary, week, month, byChannel, byRequestType, comments] = await Promise.all([
    surveySummary(ctx, f),
    surveyTrend(ctx, 'week', f),
    surveyTrend(ctx, 'month', f),
    surveysByChannel(ctx, f),
    surveysByRequestType(ctx, f),
    surveyComments(ctx, viewer, f, 100),
  ]);
  const report: SurveyReport = { summary, trend: { week, month }, byChannel, byRequestType, comments };
  if (canSeeStaffFigures(viewer)) report.byResearcher = await surveysByResearcher(ctx, viewer, f);
  return report;
}
