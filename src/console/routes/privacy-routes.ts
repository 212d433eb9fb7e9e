/**
 * `/api/data-requests`: the data-subject requests beneficiaries made on any channel (a copy, a correction, a
 * deletion), as tasks for supervisors. The export is generated on demand for staff to send once the person's
 * identity is checked; completing a deletion erases the person's data (privacy/erase-beneficiary.ts). Every
 * step is audited.
 */
import { asc, eq } from 'drizzle-orm';
import { z } from 'zod';
import {
  closingNoteSchema,
  completeDataRequest,
  correctionSchema,
  dataRequestDeps,
  exportForDataRequest,
  rejectDataRequest,
  rejectionSchema,
} from '../../privacy/answer-data-request';
import { formatDataRequestNumber } from '../../privacy/data-request-actions';
import { dataRequestKinds, dataRequests, dataRequestStatuses } from '../../store/schema';
import { idParams, type ApiRegistry } from '../api-route';
import type { ConsoleDeps } from '../console-deps';

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
  const answering = dataRequestDeps(deps);

  api.add({
    method: 'GET',
    url: '/api/data-requests',
    summary: 'Data-subject requests (copy, correction, deletion, withdrawal of consent), oldest first',
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
      const { fileName, data } = await exportForDataRequest(answering, params.id, me.id);
      reply.header('content-disposition', `attachment; filename="${fileName}"`);
      return data;
    },
  });

  api.add({
    method: 'POST',
    url: '/api/data-requests/:id/complete',
    summary:
      'Mark a request done: the copy was sent, the correction made (say what and how it was checked), the withdrawal of consent acted on, or — for a deletion — erase the data now. The beneficiary is told, except after a deletion',
    tag: 'privacy',
    role: 'supervisor',
    params: idParams,
    body: z.object({ note: closingNoteSchema.optional(), ...correctionSchema.partial().shape }).optional(),
    response: dataRequestSchema,
    handler: async ({ me, params, body }) => {
      const correction = correctionSchema.safeParse(body ?? {});
      return summary(await completeDataRequest(answering, { id: params.id, staffId: me.id, note: body?.note, correction: correction.success ? correction.data : undefined }));
    },
  });

  api.add({
    method: 'POST',
    url: '/api/data-requests/:id/reject',
    summary: 'Refuse a request (e.g. the identity could not be checked), with the reason the beneficiary is told',
    tag: 'privacy',
    role: 'supervisor',
    params: idParams,
    body: rejectionSchema,
    response: dataRequestSchema,
    handler: async ({ me, params, body }) => summary(await rejectDataRequest(answering, { id: params.id, staffId: me.id, reason: body.reason })),
  });
}
