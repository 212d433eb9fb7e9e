/**
 * `GET /console/reports`: the survey reports page for every signed-in staff member. Its figures come from
 * `surveyReport` (the same SQL as `GET /api/reports/surveys`), which leaves out the per-researcher figures for
 * researchers; the page renders only what it is given.
 */
import type { FastifyInstance } from 'fastify';
import { reportFiltersSchema, surveyReport } from '../../reports/survey-report';
import { recordAudit } from '../../staff/record-audit';
import type { ConsoleDeps } from '../console-deps';
import { InvalidInputError } from '../console-errors';
import { reportsPage } from '../pages/report-page';
import { rolePages } from './role-pages';
import { z } from 'zod';

export function registerReportPageRoutes(app: FastifyInstance, deps: ConsoleDeps): void {
  const { page } = rolePages(deps);
  const timezone = deps.content.organisation.timezone;
  app.get(
    '/console/reports',
    page('researcher', async (req, _reply, ctx) => {
      // An empty date box submits `from=`; it means "no bound", not a bad date.
      const raw = Object.fromEntries(Object.entries((req.query ?? {}) as Record<string, string>).filter(([k, v]) => v !== '' && k !== 'lang'));
      const filters = reportFiltersSchema.safeParse(raw);
      if (!filters.success) throw new InvalidInputError(`invalid report filters: ${z.prettifyError(filters.error)}`, { where: 'query' });
      const report = await surveyReport({ db: deps.db, timezone }, { role: ctx.me.role }, filters.data);
      // Who looked at colleagues' ratings is recorded, as for GET /api/staff/ratings.
      if (report.byResearcher) await recordAudit(deps.db, { staffId: ctx.me.id, action: 'ratings.view', subjectKind: 'staff', subjectId: '-', details: { page: 'reports' } });
      return reportsPage(ctx, filters.data, report, timezone);
    }),
  );
}
