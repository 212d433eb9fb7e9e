/**
 * `GET /api/reports/surveys…`: the figures of survey-report.ts as JSON for the console's charts, and a CSV
 * export. Authentication belongs to the console: it passes its preHandler, which sets `request.staff`
 * (`{ id, role }`, reports/viewer.ts). A request without it is refused here too, so a wiring mistake fails
 * closed. Researchers get every figure except the per-researcher ones (policy practice 3).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerHookHandler } from 'fastify';
import { z } from 'zod';
import type { Db } from '../store/database';
import { surveysCsv } from './survey-csv';
import {
  reportFiltersSchema,
  surveyComments,
  surveyReport,
  surveySummary,
  surveyTrend,
  surveysByChannel,
  surveysByRequestType,
  surveysByResearcher,
  type ReportContext,
} from './survey-report';
import { canSeeStaffFigures, staffViewerSchema, type RequestWithStaff, type StaffViewer } from './viewer';

export interface ReportRouteDeps {
  db: Db;
  /** The organisation's time zone (`organisation.timezone`). */
  timezone: string;
}

export function registerReportRoutes(app: FastifyInstance, deps: ReportRouteDeps, authenticate: preHandlerHookHandler): void {
  const ctx: ReportContext = { db: deps.db, timezone: deps.timezone };
  const base = '/api/reports/surveys';

  /** The viewer and filters of a request, or a reply already sent (401/400). */
  const prepare = (request: FastifyRequest, reply: FastifyReply) => {
    const viewer = staffViewerSchema.safeParse((request as RequestWithStaff).staff);
    if (!viewer.success) {
      void reply.code(401).send({ error: 'not signed in' });
      return null;
    }
    const filters = reportFiltersSchema.safeParse(request.query ?? {});
    if (!filters.success) {
      void reply.code(400).send({ error: 'bad filters', details: z.treeifyError(filters.error) });
      return null;
    }
    return { viewer: viewer.data as StaffViewer, filters: filters.data };
  };
  const route = (path: string, handler: (p: NonNullable<ReturnType<typeof prepare>>, request: FastifyRequest, reply: FastifyReply) => Promise<unknown>) =>
    app.get(`${base}${path}`, { preHandler: authenticate }, async (request, reply) => {
      const p = prepare(request, reply);
      if (!p) return reply;
      return handler(p, request, reply);
    });

  route('', ({ viewer, filters }) => surveyReport(ctx, viewer, filters));
  route('/summary', ({ filters }) => surveySummary(ctx, filters));
  route('/trend', async ({ filters }, request, reply) => {
    const period = z.enum(['week', 'month']).safeParse((request.query as { period?: unknown }).period ?? 'week');
    if (!period.success) return reply.code(400).send({ error: 'period must be week or month' });
    return surveyTrend(ctx, period.data, filters);
  });
  route('/by-channel', ({ filters }) => surveysByChannel(ctx, filters));
  route('/by-request-type', ({ filters }) => surveysByRequestType(ctx, filters));
  route('/by-researcher', async ({ viewer, filters }, _request, reply) => {
    if (!canSeeStaffFigures(viewer)) return reply.code(403).send({ error: 'per-researcher figures are for supervisors' });
    return surveysByResearcher(ctx, viewer, filters);
  });
  route('/comments', ({ viewer, filters }) => surveyComments(ctx, viewer, filters));
  route('/export.csv', async ({ viewer, filters }, _request, reply) => {
    const csv = await surveysCsv(ctx, viewer, filters);
    return reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', 'attachment; filename="surveys.csv"')
      .send(csv);
  });
}
