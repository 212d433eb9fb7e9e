/**
 * Staff answering a data-subject request (a copy, a correction, a deletion, a withdrawal of consent): the one implementation behind both
 * the JSON API (`/api/data-requests`) and the console pages (`/console/privacy/requests`), so the two can never
 * disagree about the legal hold, the audit or what the beneficiary is told.
 *
 * Each close happens under a row lock on the request: of two supervisors acting at once, one wins and the other
 * gets a 409, and a deletion erases exactly once, in the same transaction that closes the request. The person is
 * told on their own channel (request-status.ts `tellBeneficiary`) except after a deletion, when no contact is left
 * to reach them by: the flow told them what would happen when they asked.
 */
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import type { Organisation } from '../config/organisation-schema';
import { ConflictError, InvalidInputError, NotFoundError } from '../console/console-errors';
import type { DocumentStore } from '../documents/document-store';
import type { Sealer } from '../identity/sealed-value';
import type { Queues } from '../queue/queues';
import { tellBeneficiary } from '../requests/request-status';
import { recordAudit } from '../staff/record-audit';
import type { Db, Tx } from '../store/database';
import { dataRequests } from '../store/schema';
import type { ReplyRenderer } from '../templating/render-reply';
import { exportBeneficiary } from './beneficiary-export';
import { formatDataRequestNumber } from './data-request-actions';
import { eraseBeneficiaryRecords } from './erase-beneficiary';
import { removeUnreferencedFiles } from './orphan-documents';

export interface DataRequestDeps {
  db: Db;
  documents: DocumentStore;
  sealer: Sealer;
  renderer: ReplyRenderer;
  organisation: Organisation;
  queues: Pick<Queues, 'enqueueSend'>;
  clock(): Date;
}

export type DataRequestRow = typeof dataRequests.$inferSelect;

/** How staff checked a correction before making it (the policy makes staff verify every change). */
export const correctionVerifications = ['document', 'phone-call', 'office-visit', 'chat'] as const;

/** What staff record when they complete a correction. */
export const correctionSchema = z.object({
  corrected: z.string().trim().min(3).max(1000),
  verifiedBy: z.enum(correctionVerifications),
});
export type Correction = z.infer<typeof correctionSchema>;

export const closingNoteSchema = z.string().trim().max(500);
export const rejectionSchema = z.object({ reason: z.string().trim().min(3).max(500) });
export type Rejection = z.infer<typeof rejectionSchema>;

export interface CompleteDataRequest {
  id: number;
  staffId: number;
  note?: string | undefined;
  /** Required for a correction: what was changed, and how it was checked. */
  correction?: Correction | undefined;
}

const closedError = (row: Pick<DataRequestRow, 'id' | 'status'>) =>
  new ConflictError(`data request ${formatDataRequestNumber(row.id)} is already ${row.status}`, 'CONSOLE_ERR_DATA_REQUEST_CLOSED', { id: row.id, status: row.status });

async function lockOpen(tx: Tx, id: number): Promise<DataRequestRow> {
  const [row] = await tx.select().from(dataRequests).where(eq(dataRequests.id, id)).for('update');
  if (!row) throw new NotFoundError('data request', id);
  if (row.status !== 'open') throw closedError(row);
  return row;
}

export async function findDataRequest(db: Db, id: number): Promise<DataRequestRow> {
  const [row] = await db.select().from(dataRequests).where(eq(dataRequests.id, id));
  if (!row) throw new NotFoundError('data request', id);
  return row;
}

/** The export of the request's beneficiary, audited as `data-request.export`, with the file name to offer. */
export async function exportForDataRequest(deps: DataRequestDeps, id: number, staffId: number) {
  const row = await findDataRequest(deps.db, id);
  const data = await exportBeneficiary(deps.db, deps.sealer, row.beneficiaryId, deps.clock());
  if (!data) throw new NotFoundError('beneficiary', row.beneficiaryId);
  await recordAudit(deps.db, { staffId, action: 'data-request.export', subjectKind: 'data-request', subjectId: row.id, beneficiaryId: row.beneficiaryId });
  return { fileName: `${formatDataRequestNumber(row.id)}-export.json`, data };
}

/** What the beneficiary is told when staff complete a request; after a deletion nothing is left to reach them by. */
const doneTemplate = {
  copy: 'data-request.copy-done',
  correction: 'data-request.correction-done',
  withdrawal: 'data-request.withdrawal-done',
} as const satisfies Record<Exclude<DataRequestRow['kind'], 'deletion'>, string>;

/** Done: the copy was sent, the correction made, the withdrawal acted on (a manual task like a copy), or — for a deletion — the data erased now, under the legal hold. */
export async function completeDataRequest(deps: DataRequestDeps, c: CompleteDataRequest): Promise<DataRequestRow> {
  const at = deps.clock();
  const { done, fileKeys, notice } = await deps.db.transaction(async (tx) => {
    const row = await lockOpen(tx, c.id);
    if (row.kind === 'correction' && !c.correction) {
      throw new InvalidInputError(`data request ${formatDataRequestNumber(row.id)} is a correction: say what was corrected and how it was checked`, { where: 'body.corrected' });
    }
    const outcome: Record<string, unknown> = { note: c.note || null };
    let fileKeys: string[] = [];
    if (row.kind === 'deletion') {
      const erased = await eraseBeneficiaryRecords(tx, row.beneficiaryId, at);
      Object.assign(outcome, erased.outcome);
      fileKeys = erased.fileKeys;
    }
    if (row.kind === 'correction' && c.correction) Object.assign(outcome, c.correction);
    const [done] = await tx.update(dataRequests).set({ status: 'done', outcome, completedAt: at, completedByStaffId: c.staffId }).where(eq(dataRequests.id, row.id)).returning();
    const notice =
      row.kind === 'deletion'
        ? null
        : await tellBeneficiary(tx, deps, {
            beneficiaryId: row.beneficiaryId,
            template: doneTemplate[row.kind],
            params: { dataRequestNumber: formatDataRequestNumber(row.id) },
            staffId: c.staffId,
          });
    await recordAudit(tx, {
      staffId: c.staffId,
      action: row.kind === 'deletion' ? 'data-request.erase' : 'data-request.complete',
      subjectKind: 'data-request',
      subjectId: row.id,
      beneficiaryId: row.beneficiaryId,
      // The audit log holds ids and actions, never the person's data: a correction's text stays on the request.
      details: {
        kind: row.kind,
        noticeMessageId: notice?.id ?? null,
        ...(row.kind === 'deletion' ? { held: outcome.requestsHeld, kept: outcome.kept } : {}),
        ...(c.correction ? { verifiedBy: c.correction.verifiedBy } : {}),
      },
    });
    return { done: done!, fileKeys, notice };
  });
  if (notice) await deps.queues.enqueueSend(notice);
  if (fileKeys.length) {
    const filesRemoved = await removeUnreferencedFiles(deps.db, deps.documents, fileKeys);
    const outcome = { ...(done.outcome as Record<string, unknown>), filesRemoved };
    await deps.db.update(dataRequests).set({ outcome }).where(eq(dataRequests.id, done.id));
    return { ...done, outcome };
  }
  return done;
}

/** Refused (e.g. the identity could not be checked), with the reason, which the beneficiary is told. */
export async function rejectDataRequest(deps: DataRequestDeps, r: { id: number; staffId: number; reason: string }): Promise<DataRequestRow> {
  const { done, notice } = await deps.db.transaction(async (tx) => {
    const row = await lockOpen(tx, r.id);
    const [done] = await tx
      .update(dataRequests)
      .set({ status: 'rejected', outcome: { reason: r.reason }, completedAt: deps.clock(), completedByStaffId: r.staffId })
      .where(eq(dataRequests.id, row.id))
      .returning();
    const notice = await tellBeneficiary(tx, deps, {
      beneficiaryId: row.beneficiaryId,
      template: 'data-request.rejected',
      params: { dataRequestNumber: formatDataRequestNumber(row.id), reason: r.reason },
      staffId: r.staffId,
    });
    await recordAudit(tx, {
      staffId: r.staffId,
      action: 'data-request.reject',
      subjectKind: 'data-request',
      subjectId: row.id,
      beneficiaryId: row.beneficiaryId,
      details: { reason: r.reason, noticeMessageId: notice?.id ?? null },
    });
    return { done: done!, notice };
  });
  if (notice) await deps.queues.enqueueSend(notice);
  return done;
}

/** The console's dependencies, as this module needs them. */
export function dataRequestDeps(deps: Omit<DataRequestDeps, 'organisation' | 'clock'> & { content: { organisation: Organisation }; clock?: () => Date }): DataRequestDeps {
  return { ...deps, organisation: deps.content.organisation, clock: deps.clock ?? (() => new Date()) };
}
