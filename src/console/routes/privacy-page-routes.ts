/**
 * `/console/privacy/requests`: the pages supervisors use to answer data-subject requests — the same role and the
 * same code (privacy/answer-data-request.ts) as the JSON API `/api/data-requests`. Every view and download is
 * audited; an erasure needs a second, deliberate step (the hold shown again, the identity check ticked, the
 * request's number typed). A request closed meanwhile answers 409 with the page saying so.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  closingNoteSchema,
  completeDataRequest,
  correctionSchema,
  dataRequestDeps,
  exportForDataRequest,
  findDataRequest,
  rejectDataRequest,
  rejectionSchema,
} from '../../privacy/answer-data-request';
import { formatDataRequestNumber } from '../../privacy/data-request-actions';
import { recordAudit } from '../../staff/record-audit';
import type { StaffPrincipal } from '../../staff/staff-roles';
import type { dataRequestKinds } from '../../store/schema';
import { toAsciiDigits } from '../../text/ascii-digits';
import { idParams } from '../api-route';
import type { ConsoleDeps } from '../console-deps';
import { ConflictError } from '../console-errors';
import { dataRequestListQuerySchema, getDataRequestDetail, listDataRequests } from '../data-request-queries';
import { fieldErrors } from '../form-errors';
import { t } from '../pages/layout';
import { dataRequestPage, dataRequestPath, dataRequestsPage, erasureConfirmPage, type DataRequestForms } from '../pages/data-request-pages';
import { rolePages, type SignedInPage } from './role-pages';

const completeFormSchema = z.object({ note: closingNoteSchema.default('') });
const correctionFormSchema = correctionSchema.extend({ note: closingNoteSchema.default('') });

/** The second step of an erasure, worded in the page's language. */
function erasureConfirmSchema(ctx: SignedInPage, number: string) {
  return z.object({
    identityChecked: z
      .string()
      .default('')
      .refine((v) => v === 'on', t(ctx, 'identityRequired')),
    // Typed on an Arabic keyboard too: «dr-١٢» is DR-12.
    confirmNumber: z
      .string()
      .default('')
      .transform((v) => toAsciiDigits(v).trim().toUpperCase())
      .refine((v) => v === number, t(ctx, 'numberMismatch')),
  });
}

const KIND_MISMATCH = 'CONSOLE_ERR_DATA_REQUEST_KIND';
type Kind = (typeof dataRequestKinds)[number];

export function registerPrivacyPageRoutes(app: FastifyInstance, deps: ConsoleDeps): void {
  const { page, form } = rolePages(deps);
  const answering = dataRequestDeps(deps);
  const timeZone = deps.content.organisation.timezone;
  const rule = () => ({ answerWithinDays: deps.content.organisation.dataRequests.answerWithinDays, timeZone, now: answering.clock() });
  const detailOf = (id: number) => getDataRequestDetail(deps.db, id, rule());
  const fields = (req: FastifyRequest) => (req.body ?? {}) as Record<string, string>;
  const auditView = (me: StaffPrincipal, id: number, beneficiaryId: number) =>
    recordAudit(deps.db, { staffId: me.id, action: 'data-request.view', subjectKind: 'data-request', subjectId: id, beneficiaryId });

  /** The request page again, as a form's answer (its status set by the caller). */
  const again = async (ctx: SignedInPage, id: number, extra: { forms?: DataRequestForms; error?: string }) =>
    dataRequestPage(ctx, { detail: await detailOf(id), timeZone, ...extra });

  /** Runs an action meant for one kind of request; a closed request or the wrong kind is a 409 page, nothing done. */
  async function act(reply: FastifyReply, ctx: SignedInPage, id: number, kinds: readonly Kind[], run: () => Promise<{ status: string }>) {
    try {
      const row = await findDataRequest(deps.db, id);
      if (!kinds.includes(row.kind)) throw new ConflictError(`data request ${formatDataRequestNumber(id)} is a ${row.kind}, not a ${kinds.join(' or ')}`, KIND_MISMATCH, { id, kind: row.kind });
      const done = await run();
      return reply.redirect(`${dataRequestPath(id)}?done=${done.status}`, 303);
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
      return reply.code(409).send(await again(ctx, id, { error: t(ctx, err.code === KIND_MISMATCH ? 'wrongKind' : 'closedMeanwhile') }));
    }
  }

  /** A form of the request page: validated (a 400 page with the errors beside the fields), then `act`. */
  const formAction = <S extends z.ZodType>(schema: S, name: keyof DataRequestForms, kinds: readonly Kind[], run: (id: number, me: StaffPrincipal, form: z.infer<S>) => Promise<{ status: string }>) =>
    form('supervisor', async (req, reply, ctx) => {
      const { id } = idParams.parse(req.params);
      const parsed = schema.safeParse(fields(req));
      if (!parsed.success) return reply.code(400).send(await again(ctx, id, { forms: { [name]: { errors: fieldErrors(parsed.error, ctx.lang), values: fields(req) } } }));
      return act(reply, ctx, id, kinds, () => run(id, ctx.me, parsed.data));
    });

  app.get(
    '/console/privacy/requests',
    page('supervisor', async (req, _reply, ctx) => {
      const q = dataRequestListQuerySchema.parse(req.query ?? {});
      return dataRequestsPage(ctx, { status: q.status, rows: await listDataRequests(deps.db, q, rule()) });
    }),
  );

  app.get(
    '/console/privacy/requests/:id',
    page('supervisor', async (req, _reply, ctx) => {
      const { id } = idParams.parse(req.params);
      const detail = await detailOf(id);
      await auditView(ctx.me, id, detail.beneficiaryId);
      const done = (req.query as { done?: string }).done;
      const notice = done === 'done' ? t(ctx, 'requestDone') : done === 'rejected' ? t(ctx, 'requestRejected') : undefined;
      return dataRequestPage(ctx, { detail, timeZone, ...(notice ? { notice } : {}) });
    }),
  );

  app.get(
    '/console/privacy/requests/:id/export',
    page('supervisor', async (req, reply, ctx) => {
      const { id } = idParams.parse(req.params);
      const { fileName, data } = await exportForDataRequest(answering, id, ctx.me.id);
      return reply.type('application/json; charset=utf-8').header('content-disposition', `attachment; filename="${fileName}"`).send(JSON.stringify(data, null, 2));
    }),
  );

  app.post(
    '/console/privacy/requests/:id/complete',
    formAction(completeFormSchema, 'complete', ['copy', 'withdrawal'], (id, me, f) => completeDataRequest(answering, { id, staffId: me.id, note: f.note })),
  );

  app.post(
    '/console/privacy/requests/:id/correction',
    formAction(correctionFormSchema, 'correction', ['correction'], (id, me, { note, ...correction }) => completeDataRequest(answering, { id, staffId: me.id, note, correction })),
  );

  app.get(
    '/console/privacy/requests/:id/erase',
    page('supervisor', async (req, reply, ctx) => {
      const { id } = idParams.parse(req.params);
      const detail = await detailOf(id);
      if (detail.kind !== 'deletion' || detail.status !== 'open') return reply.redirect(dataRequestPath(id), 303);
      await auditView(ctx.me, id, detail.beneficiaryId);
      return erasureConfirmPage(ctx, { detail, timeZone });
    }),
  );

  app.post(
    '/console/privacy/requests/:id/erase',
    form('supervisor', async (req, reply, ctx) => {
      const { id } = idParams.parse(req.params);
      const parsed = erasureConfirmSchema(ctx, formatDataRequestNumber(id)).safeParse(fields(req));
      if (!parsed.success) {
        const detail = await detailOf(id);
        // Closed meanwhile: the 409 page, not a form to fill in again.
        if (detail.status !== 'open') return reply.code(409).send(await again(ctx, id, { error: t(ctx, 'closedMeanwhile') }));
        const values = { identityChecked: fields(req).identityChecked ?? '', confirmNumber: fields(req).confirmNumber ?? '' };
        return reply.code(400).send(erasureConfirmPage(ctx, { detail, timeZone, form: { errors: fieldErrors(parsed.error, ctx.lang), values } }));
      }
      return act(reply, ctx, id, ['deletion'], () => completeDataRequest(answering, { id, staffId: ctx.me.id }));
    }),
  );

  app.post(
    '/console/privacy/requests/:id/reject',
    formAction(rejectionSchema, 'reject', ['copy', 'correction', 'deletion', 'withdrawal'], (id, me, f) => rejectDataRequest(answering, { id, staffId: me.id, reason: f.reason })),
  );
}
