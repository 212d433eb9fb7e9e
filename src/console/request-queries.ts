/**
 * Requests as the console lists and shows them. Overdue ones come first: a committee decision still pending past
 * the due date the beneficiary was promised, or one taken after it, is flagged (policy step 5).
 */
import { and, asc, desc, eq, gte, inArray, lte, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import type { Sealer } from '../identity/sealed-value';
import type { Db } from '../store/database';
import { requestDocuments, requests, requestStatuses, requestStatusHistory, staff } from '../store/schema';
import { NotFoundError } from './console-errors';
import { maskNationalId } from './mask-national-id';

/** Still waiting for the committee: past the due date these are overdue. */
export const pendingStatuses = ['submitted', 'under-review', 'needs-info'] as const;

export const requestListQuerySchema = z.object({
  status: z.enum(requestStatuses).optional(),
  type: z.string().max(60).optional(),
  dueFrom: z.iso.date().optional(),
  dueTo: z.iso.date().optional(),
  overdue: z.enum(['true', 'false']).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
export type RequestListQuery = z.infer<typeof requestListQuerySchema>;

export const requestSummarySchema = z.object({
  id: z.number(),
  referenceNumber: z.string(),
  type: z.string(),
  status: z.string(),
  beneficiaryId: z.number(),
  applicantName: z.string().nullable(),
  dueDate: z.string().nullable(),
  submittedAt: z.string(),
  /** Pending and past the due date. */
  overdue: z.boolean(),
  /** Decided (approved/rejected) after the due date. */
  decidedLate: z.boolean(),
});
export type RequestSummary = z.infer<typeof requestSummarySchema>;

/** Today's date where the organisation is (due dates are local dates). */
export function localToday(now: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
}

const decidedAt = sql<string | null>`(select max(h.at) from ${requestStatusHistory} h where h.request_id = ${requests.id} and h.to_status in ('approved', 'rejected'))`;

export async function listRequests(db: Db, q: RequestListQuery, today: string): Promise<RequestSummary[]> {
  const overdueSql = sql<boolean>`(${requests.dueDate} < ${today} and ${requests.status} in ('submitted', 'under-review', 'needs-info'))`;
  const where: SQL[] = [];
  if (q.status) where.push(eq(requests.status, q.status));
  if (q.type) where.push(eq(requests.type, q.type));
  if (q.dueFrom) where.push(gte(requests.dueDate, q.dueFrom));
  if (q.dueTo) where.push(lte(requests.dueDate, q.dueTo));
  if (q.overdue === 'true') where.push(overdueSql);
  const rows = await db
    .select({ r: requests, overdue: overdueSql, decidedAt })
    .from(requests)
    .where(and(...where))
    .orderBy(desc(overdueSql), asc(requests.dueDate), desc(requests.id))
    .limit(q.limit);
  return rows.map(({ r, overdue, decidedAt: at }) => summariseRequest(r, Boolean(overdue), at));
}

function summariseRequest(r: typeof requests.$inferSelect, overdue: boolean, decidedAtValue: string | Date | null): RequestSummary {
  const decided = decidedAtValue ? new Date(decidedAtValue).toISOString().slice(0, 10) : null;
  return {
    id: r.id,
    referenceNumber: r.referenceNumber,
    type: r.type,
    status: r.status,
    beneficiaryId: r.beneficiaryId,
    applicantName: typeof (r.answers as Record<string, unknown>).name === 'string' ? ((r.answers as Record<string, string>).name ?? null) : null,
    dueDate: r.dueDate,
    submittedAt: r.submittedAt.toISOString(),
    overdue,
    decidedLate: Boolean(decided && r.dueDate && decided > r.dueDate && ['approved', 'rejected'].includes(r.status)),
  };
}

export const requestDetailSchema = requestSummarySchema.extend({
  answers: z.record(z.string(), z.unknown()),
  nationalIdMasked: z.string(),
  attestation: z.unknown(),
  documentsRequired: z.unknown(),
  conversationId: z.number().nullable(),
  documents: z.array(z.object({ id: z.number(), fileName: z.string().nullable(), mimeType: z.string(), sizeBytes: z.number(), at: z.string() })),
  history: z.array(z.object({ from: z.string().nullable(), to: z.string(), reason: z.string().nullable(), staffName: z.string().nullable(), at: z.string() })),
});
export type RequestDetail = z.infer<typeof requestDetailSchema>;

export async function getRequestDetail(db: Db, sealer: Sealer, id: number, today: string): Promise<RequestDetail> {
  const overdueSql = sql<boolean>`(${requests.dueDate} < ${today} and ${inArray(requests.status, [...pendingStatuses])})`;
  const [row] = await db.select({ r: requests, overdue: overdueSql, decidedAt }).from(requests).where(eq(requests.id, id));
  if (!row) throw new NotFoundError('request', id);
  const docs = await db.select().from(requestDocuments).where(eq(requestDocuments.requestId, id)).orderBy(asc(requestDocuments.id));
  const history = await db
    .select({ h: requestStatusHistory, staffName: staff.name })
    .from(requestStatusHistory)
    .leftJoin(staff, eq(staff.id, requestStatusHistory.actorStaffId))
    .where(eq(requestStatusHistory.requestId, id))
    .orderBy(asc(requestStatusHistory.at), asc(requestStatusHistory.id));
  const r = row.r;
  return {
    ...summariseRequest(r, Boolean(row.overdue), row.decidedAt),
    answers: r.answers as Record<string, unknown>,
    nationalIdMasked: maskNationalId(sealer, r.nationalIdSealed),
    attestation: r.attestation,
    documentsRequired: r.documentsRequired,
    conversationId: r.conversationId,
    documents: docs.map((d) => ({ id: d.id, fileName: d.fileName, mimeType: d.mimeType, sizeBytes: d.sizeBytes, at: d.createdAt.toISOString() })),
    history: history.map(({ h, staffName }) => ({ from: h.fromStatus, to: h.toStatus, reason: h.reason, staffName, at: h.at.toISOString() })),
  };
}
