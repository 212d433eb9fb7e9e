/**
 * `/api/requests`: list (overdue first), one request with answers, documents, attestation and history, status
 * changes that tell the beneficiary, and files staff store on a request (kept on the record, not sent; a file for
 * the beneficiary is sent from their conversation, `POST /api/conversations/:id/attachments`).
 */
import { and, eq } from 'drizzle-orm';
import { z } from 'zod';
import { acceptedDocumentTypes, MAX_DOCUMENT_BYTES } from '../../documents/document-store';
import { changeRequestStatus, staffRequestStatusSchema } from '../../requests/request-status';
import { recordAudit } from '../../staff/record-audit';
import { requestDocuments, requests } from '../../store/schema';
import { idParams, type ApiRegistry } from '../api-route';
import type { ConsoleDeps } from '../console-deps';
import { InvalidInputError, NotFoundError } from '../console-errors';
import type { LiveEvents } from '../live-events';
import { getRequestDetail, listRequests, localToday, requestDetailSchema, requestListQuerySchema, requestSummarySchema } from '../request-queries';

export function registerRequestRoutes(api: ApiRegistry, deps: ConsoleDeps, events: LiveEvents): void {
  const clock = deps.clock ?? (() => new Date());
  const today = () => localToday(clock(), deps.content.organisation.timezone);

  api.add({
    method: 'GET',
    url: '/api/requests',
    summary: 'Requests, filtered by status/type/due date; overdue first',
    tag: 'requests',
    query: requestListQuerySchema,
    response: z.object({ requests: z.array(requestSummarySchema) }),
    handler: async ({ query }) => ({ requests: await listRequests(deps.db, query, today()) }),
  });

  api.add({
    method: 'GET',
    url: '/api/requests/:id',
    summary: 'One request: answers, documents, attestation, status history (national ID masked)',
    tag: 'requests',
    params: idParams,
    response: requestDetailSchema,
    handler: async ({ me, params }) => {
      const detail = await getRequestDetail(deps.db, deps.sealer, params.id, today());
      await recordAudit(deps.db, { staffId: me.id, action: 'request.view', subjectKind: 'request', subjectId: params.id, beneficiaryId: detail.beneficiaryId });
      return detail;
    },
  });

  api.add({
    method: 'POST',
    url: '/api/requests/:id/status',
    summary: 'Change the status with a reason; the beneficiary is told on their channel in their language',
    tag: 'requests',
    params: idParams,
    body: z.object({ status: staffRequestStatusSchema, reason: z.string().trim().min(2).max(1000) }),
    response: z.object({ requestId: z.number(), from: z.string(), to: z.string(), noticeMessageId: z.number().nullable(), surveyScheduled: z.boolean() }),
    handler: async ({ me, params, body }) => {
      const r = await changeRequestStatus(
        { db: deps.db, queues: deps.queues, renderer: deps.renderer, organisation: deps.content.organisation, clock, ...(deps.scheduleSurvey ? { scheduleSurvey: deps.scheduleSurvey } : {}) },
        { requestId: params.id, to: body.status, reason: body.reason, actorStaffId: me.id },
      );
      await events.publish({ type: 'request.updated', requestId: r.requestId, ...(r.notice ? { conversationId: r.notice.conversationId } : {}) });
      return { requestId: r.requestId, from: r.from, to: r.to, noticeMessageId: r.notice?.id ?? null, surveyScheduled: r.surveyScheduled };
    },
  });

  api.add({
    method: 'GET',
    url: '/api/requests/:id/documents/:documentId',
    summary: 'Download one document (the view is audited)',
    tag: 'requests',
    params: z.object({ id: z.coerce.number().int().positive(), documentId: z.coerce.number().int().positive() }),
    handler: async ({ me, params, reply }) => {
      const [row] = await deps.db
        .select({ d: requestDocuments, beneficiaryId: requests.beneficiaryId })
        .from(requestDocuments)
        .innerJoin(requests, eq(requests.id, requestDocuments.requestId))
        .where(and(eq(requestDocuments.id, params.documentId), eq(requestDocuments.requestId, params.id)));
      if (!row) throw new NotFoundError('document', params.documentId);
      const bytes = await deps.documents.read(row.d.storageKey);
      await recordAudit(deps.db, { staffId: me.id, action: 'document.view', subjectKind: 'document', subjectId: row.d.id, beneficiaryId: row.beneficiaryId, details: { requestId: params.id } });
      const name = (row.d.fileName ?? `document-${row.d.id}`).replace(/[^\w.\-]+/g, '_');
      // Served as an attachment with a fixed type: a beneficiary's file is never rendered as a page of ours.
      return reply
        .header('content-type', row.d.mimeType)
        .header('content-disposition', `attachment; filename="${name}"`)
        .header('x-content-type-options', 'nosniff')
        .send(bytes);
    },
  });

  api.add({
    method: 'POST',
    url: '/api/requests/:id/documents',
    summary: 'Store a file on a request (kept on the record, not sent; POST /api/conversations/:id/attachments sends one to the beneficiary)',
    tag: 'requests',
    params: idParams,
    body: z.object({
      fileName: z.string().trim().min(1).max(200),
      mimeType: z.enum(acceptedDocumentTypes),
      base64: z.string().max(Math.ceil((MAX_DOCUMENT_BYTES * 4) / 3) + 4),
    }),
    response: z.object({ documentId: z.number(), sentToBeneficiary: z.literal(false), note: z.string() }),
    status: 201,
    handler: async ({ me, params, body }) => {
      const [req] = await deps.db.select({ id: requests.id, beneficiaryId: requests.beneficiaryId }).from(requests).where(eq(requests.id, params.id));
      if (!req) throw new NotFoundError('request', params.id);
      const bytes = Buffer.from(body.base64, 'base64');
      if (bytes.length === 0 || bytes.length > MAX_DOCUMENT_BYTES) throw new InvalidInputError('the file is empty or larger than 10 MB');
      const storageKey = await deps.documents.save(bytes);
      const [doc] = await deps.db
        .insert(requestDocuments)
        .values({ requestId: req.id, fileName: body.fileName, mimeType: body.mimeType, sizeBytes: bytes.length, storageKey })
        .returning({ id: requestDocuments.id });
      await recordAudit(deps.db, { staffId: me.id, action: 'document.attach', subjectKind: 'document', subjectId: doc!.id, beneficiaryId: req.beneficiaryId, details: { requestId: req.id } });
      return { documentId: doc!.id, sentToBeneficiary: false as const, note: 'stored on the request, not sent; to send a file to the beneficiary use POST /api/conversations/:id/attachments' };
    },
  });
}
