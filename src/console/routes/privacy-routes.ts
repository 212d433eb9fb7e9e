/**
 * `/api/data-requests`: the data-subject requests beneficiaries made on any channel (a copy, a correction, a
 * deletion), as tasks for supervisors. The export is generated on demand for staff to send once the person's
 * identity is checked; completing a deletion erases the person's data (privacy/erase-beneficiary.ts). Every
 * step is audited.
 */
import { and, asc, eq } from 'drizzle-orm';
import { z } from 'zod';
import { exportBeneficiary } from '../../privacy/beneficiary-export';
import { formatDataRequestNumber } from '../../privacy/data-request-actions';
import { eraseBeneficiary } from '../../privacy/erase-beneficiary';
import { recordAudit } from '../../staff/record-audit';
import { dataRequestKinds, dataRequests, dataRequestStatuses } from '../../store/schema';
import { idParams, type ApiRegistry } from '../api-route';
import type { ConsoleDeps } from '../console-deps';
import { ConflictError, NotFoundError } from '../console-errors';

const dataRequestSchema = z.object({
  id: z.number(),
  number: z.string(),
  beneficiaryId: z.number(),
  kind: z.enum(dataRequestKinds),
  status: z.enum(dataRequestStatuses),
  channel: z.string().nullable(),
  createdAt: z.date(),
  completedAt: z.date().nullable(),
  outcome: z.record(z.string(), z.unknown()),
});

type Row = typeof dataRequests.$inferSelect;
const summary = (r: Row) => ({
  id: r.id,
  number: formatDataRequestNumber(r.id),
  beneficiaryId: r.beneficiaryId,
  kind: r.kind,
  status: r.status,
  channel: r.channel,
  createdAt: r.createdAt,
  completedAt: r.completedAt,
  outcome: r.outcome as Record<string, unknown>,
});

export function registerPrivacyRoutes(api: ApiRegistry, deps: ConsoleDeps): void {
  const now = () => (deps.clock ?? (() => new Date()))();
  const find = async (id: number) => {
    const [row] = await deps.db.select().from(dataRequests).where(eq(dataRequests.id, id));
    if (!row) throw new NotFoundError('data request', id);
    return row;
  };

  api.add({
    method: 'GET',
    url: '/api/data-requests',
    summary: 'Data-subject requests (copy, correction, deletion), oldest first',
    tag: 'privacy',
    role: 'supervisor',
    query: z.object({ status: z.enum([...dataRequestStatuses, 'all']).default('open') }),
    response: z.object({ dataRequests: z.array(dataRequestSchema) }),
    handler: async ({ query }) => {
      const rows = await deps.db
        .select()
        .from(dataRequests)
        .where(query.status === 'all' ? undefined : eq(dataRequests.status, query.status))
        .orderBy(asc(dataRequests.createdAt))
        .limit(500);
      return { dataRequests: rows.map(summary) };
    },
  });

  api.add({
    method: 'GET',
    url: '/api/data-requests/:id/export',
    summary: "Everything held about the request's beneficiary, across all their contacts, as JSON (audited)",
    tag: 'privacy',
    role: 'supervisor',
    params: idParams,
    handler: async ({ me, params, reply }) => {
      const row = await find(params.id);
      const data = await exportBeneficiary(deps.db, deps.sealer, row.beneficiaryId, now());
      if (!data) throw new NotFoundError('beneficiary', row.beneficiaryId);
      await recordAudit(deps.db, { staffId: me.id, action: 'data-request.export', subjectKind: 'data-request', subjectId: row.id, beneficiaryId: row.beneficiaryId });
      reply.header('content-disposition', `attachment; filename="${formatDataRequestNumber(row.id)}-export.json"`);
      return data;
    },
  });

  api.add({
    method: 'POST',
    url: '/api/data-requests/:id/complete',
    summary: 'Mark a request done: the copy was sent, the correction made, or — for a deletion — erase the data now',
    tag: 'privacy',
    role: 'supervisor',
    params: idParams,
    body: z.object({ note: z.string().trim().max(500).optional() }).optional(),
    response: dataRequestSchema,
    handler: async ({ me, params, body }) => {
      const row = await find(params.id);
      if (row.status !== 'open') throw new ConflictError(`data request ${params.id} is already ${row.status}`, 'CONSOLE_ERR_DATA_REQUEST_CLOSED');
      const at = now();
      const outcome: Record<string, unknown> = { note: body?.note ?? null };
      if (row.kind === 'deletion') Object.assign(outcome, await eraseBeneficiary(deps.db, deps.documents, row.beneficiaryId, at));
      const [done] = await deps.db
        .update(dataRequests)
        .set({ status: 'done', outcome, completedAt: at, completedByStaffId: me.id })
        .where(and(eq(dataRequests.id, row.id), eq(dataRequests.status, 'open')))
        .returning();
      await recordAudit(deps.db, {
        staffId: me.id,
        action: row.kind === 'deletion' ? 'data-request.erase' : 'data-request.complete',
        subjectKind: 'data-request',
        subjectId: row.id,
        beneficiaryId: row.beneficiaryId,
        details: { kind: row.kind, ...(row.kind === 'deletion' ? { held: outcome.requestsHeld, kept: outcome.kept } : {}) },
      });
      return summary(done ?? row);
    },
  });

  api.add({
    method: 'POST',
    url: '/api/data-requests/:id/reject',
    summary: 'Refuse a request (e.g. the identity could not be checked), with the reason',
    tag: 'privacy',
    role: 'supervisor',
    params: idParams,
    body: z.object({ reason: z.string().trim().min(3).max(500) }),
    response: dataRequestSchema,
    handler: async ({ me, params, body }) => {
      const row = await find(params.id);
      if (row.status !== 'open') throw new ConflictError(`data request ${params.id} is already ${row.status}`, 'CONSOLE_ERR_DATA_REQUEST_CLOSED');
      const [done] = await deps.db
        .update(dataRequests)
        .set({ status: 'rejected', outcome: { reason: body.reason }, completedAt: now(), completedByStaffId: me.id })
        .where(and(eq(dataRequests.id, row.id), eq(dataRequests.status, 'open')))
        .returning();
      if (!done) throw new ConflictError(`data request ${params.id} was closed meanwhile`, 'CONSOLE_ERR_DATA_REQUEST_CLOSED');
      await recordAudit(deps.db, { staffId: me.id, action: 'data-request.reject', subjectKind: 'data-request', subjectId: row.id, beneficiaryId: row.beneficiaryId, details: { reason: body.reason } });
      return summary(done);
    },
  });
}
