/**
 * Data-subject requests as the console lists and shows them. Each has a due date: the day the organisation must
 * have answered by (`dataRequests.answerWithinDays` of the profile, 30 by default as the PDPL's regulation sets),
 * counted in the organisation's time zone from the day it was asked. Open ones past it are marked (and, being the
 * oldest, come first).
 */
import { and, asc, desc, eq, inArray, lte, sql } from 'drizzle-orm';
import { z } from 'zod';
import { consentHistory, type ConsentRecord } from '../privacy/consent-history';
import { formatDataRequestNumber } from '../privacy/data-request-actions';
import { erasureHold, type ErasureHold } from '../privacy/erase-beneficiary';
import type { Db } from '../store/database';
import { beneficiaries, contacts, dataRequests, messages, staff } from '../store/schema';
import { NotFoundError } from './console-errors';
import { localToday } from './request-queries';

export const dataRequestListQuerySchema = z.object({ status: z.enum(['open', 'closed']).catch('open') });
export type DataRequestListQuery = z.infer<typeof dataRequestListQuerySchema>;

export interface DueRule {
  answerWithinDays: number;
  timeZone: string;
  now: Date;
}

const DAY_MS = 24 * 3600 * 1000;

/** The local date by which a request made at `createdAt` must be answered. */
export function dataRequestDueDate(createdAt: Date, rule: Pick<DueRule, 'answerWithinDays' | 'timeZone'>): string {
  return localToday(new Date(createdAt.getTime() + rule.answerWithinDays * DAY_MS), rule.timeZone);
}

export interface DataRequestSummary {
  id: number;
  number: string;
  kind: (typeof dataRequests.$inferSelect)['kind'];
  status: (typeof dataRequests.$inferSelect)['status'];
  channel: string | null;
  beneficiaryId: number;
  beneficiaryName: string | null;
  beneficiaryErased: boolean;
  createdAt: Date;
  completedAt: Date | null;
  ageDays: number;
  dueDate: string;
  /** Still open after its due date. */
  overdue: boolean;
}

type Row = typeof dataRequests.$inferSelect;
// The name the person gave, or failing that what their channel calls them (a request from chat may come first).
const nameSql = sql<string | null>`coalesce(${beneficiaries.fullName}, (select c.display_name from ${contacts} c where c.beneficiary_id = ${beneficiaries.id} and c.display_name is not null order by c.last_seen_at desc limit 1))`;

function summarise(r: Row, person: { name: string | null; erasedAt: Date | null }, rule: DueRule): DataRequestSummary {
  const dueDate = dataRequestDueDate(r.createdAt, rule);
  return {
    id: r.id,
    number: formatDataRequestNumber(r.id),
    kind: r.kind,
    status: r.status,
    channel: r.channel,
    beneficiaryId: r.beneficiaryId,
    beneficiaryName: person.name,
    beneficiaryErased: person.erasedAt !== null,
    createdAt: r.createdAt,
    completedAt: r.completedAt,
    ageDays: Math.max(0, Math.floor(((r.completedAt ?? rule.now).getTime() - r.createdAt.getTime()) / DAY_MS)),
    dueDate,
    overdue: r.status === 'open' && dueDate < localToday(rule.now, rule.timeZone),
  };
}

/**
 * Open: oldest first — which is overdue first, since every request has the same period to be answered in.
 * Closed: the latest closed first.
 */
export async function listDataRequests(db: Db, q: DataRequestListQuery, rule: DueRule): Promise<DataRequestSummary[]> {
  const rows = await db
    .select({ r: dataRequests, name: nameSql, erasedAt: beneficiaries.erasedAt })
    .from(dataRequests)
    .innerJoin(beneficiaries, eq(beneficiaries.id, dataRequests.beneficiaryId))
    .where(q.status === 'open' ? eq(dataRequests.status, 'open') : inArray(dataRequests.status, ['done', 'rejected']))
    .orderBy(q.status === 'open' ? asc(dataRequests.createdAt) : desc(dataRequests.completedAt))
    .limit(500);
  return rows.map(({ r, name, erasedAt }) => summarise(r, { name, erasedAt }, rule));
}

export interface AskedMessage {
  text: string;
  channel: string;
  at: Date;
}

export interface DataRequestDetail extends DataRequestSummary {
  outcome: Record<string, unknown>;
  completedByName: string | null;
  /** The beneficiary's own words in the chat that opened the request, up to the moment it was opened. */
  asked: AskedMessage[];
  consents: ConsentRecord[];
  /** For an open deletion: what the erasure would keep and anonymise, by the rule the erasure applies. */
  hold: ErasureHold | null;
}

const ASKED_MESSAGES = 6;

export async function getDataRequestDetail(db: Db, id: number, rule: DueRule): Promise<DataRequestDetail> {
  const [found] = await db
    .select({ r: dataRequests, name: nameSql, erasedAt: beneficiaries.erasedAt })
    .from(dataRequests)
    .innerJoin(beneficiaries, eq(beneficiaries.id, dataRequests.beneficiaryId))
    .where(eq(dataRequests.id, id));
  if (!found) throw new NotFoundError('data request', id);
  const { r } = found;
  const asked = r.conversationId
    ? await db
        .select({ text: messages.text, channel: messages.channel, at: messages.createdAt })
        .from(messages)
        .where(and(eq(messages.conversationId, r.conversationId), eq(messages.direction, 'in'), lte(messages.createdAt, r.createdAt)))
        .orderBy(desc(messages.id))
        .limit(ASKED_MESSAGES)
    : [];
  const [closer] = r.completedByStaffId ? await db.select({ name: staff.name }).from(staff).where(eq(staff.id, r.completedByStaffId)) : [];
  return {
    ...summarise(r, { name: found.name, erasedAt: found.erasedAt }, rule),
    outcome: r.outcome as Record<string, unknown>,
    completedByName: closer?.name ?? null,
    asked: asked.filter((m): m is AskedMessage => m.text !== null).reverse(),
    consents: await consentHistory(db, r.beneficiaryId),
    hold: r.kind === 'deletion' && r.status === 'open' ? await erasureHold(db, r.beneficiaryId) : null,
  };
}
