/**
 * Follow-up tasks from low ratings (1–2), for supervisors and admins: the page `/console/follow-ups` with a
 * close-with-a-note form, and the same as JSON (`/api/follow-up-tasks`). Every close is audited.
 */
import { eq, inArray } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { recordAudit } from '../../staff/record-audit';
import type { StaffPrincipal } from '../../staff/staff-roles';
import { followUpTasks, staff } from '../../store/schema';
import { closeFollowUpTask, listFollowUpTasks } from '../../surveys/follow-up-tasks';
import { idParams, type ApiRegistry } from '../api-route';
import type { ConsoleDeps } from '../console-deps';
import { ConflictError } from '../console-errors';
import { fieldErrors } from '../form-errors';
import { followUpPage } from '../pages/follow-up-page';
import { rolePages, type SignedInPage } from './role-pages';

export const closeFollowUpSchema = z.object({ note: z.string().trim().min(1, 'write what was done').max(2000) });
const listQuerySchema = z.object({ status: z.enum(['open', 'done', 'all']).default('open') });

export function registerFollowUpRoutes(app: FastifyInstance, api: ApiRegistry, deps: ConsoleDeps): void {
  const clock = deps.clock ?? (() => new Date());
  const { page, form } = rolePages(deps);

  /** Closes a task and audits it; a ConflictError when it was not open (closed meanwhile, or no such task). */
  async function close(me: StaffPrincipal, taskId: number, note: string): Promise<void> {
    const done = await closeFollowUpTask(deps.db, me, taskId, note, clock());
    if (!done) throw new ConflictError(`follow-up task ${taskId} is not open`, 'FOLLOW_UP_ERR_NOT_OPEN', { taskId });
    const [task] = await deps.db.select({ beneficiaryId: followUpTasks.beneficiaryId }).from(followUpTasks).where(eq(followUpTasks.id, taskId));
    await recordAudit(deps.db, { staffId: me.id, action: 'follow-up-task.close', subjectKind: 'follow-up-task', subjectId: taskId, beneficiaryId: task?.beneficiaryId ?? null });
  }

  async function render(ctx: SignedInPage, status: 'open' | 'done', extra: { error?: { taskId: number; message: string; note: string }; closedId?: number } = {}) {
    const tasks = await listFollowUpTasks(deps.db, ctx.me, { status });
    const ids = [...new Set(tasks.flatMap((t) => [t.staffId, t.closedByStaffId]).filter((id): id is number => id !== null))];
    const names = ids.length ? await deps.db.select({ id: staff.id, name: staff.name }).from(staff).where(inArray(staff.id, ids)) : [];
    return followUpPage(ctx, { status, tasks, staffNames: new Map(names.map((n) => [n.id, n.name])), timeZone: deps.content.organisation.timezone, ...extra });
  }

  app.get(
    '/console/follow-ups',
    page('supervisor', async (req, _reply, ctx) => {
      const q = req.query as { status?: string; closed?: string };
      const closedId = Number(q.closed);
      return render(ctx, q.status === 'done' ? 'done' : 'open', Number.isInteger(closedId) && closedId > 0 ? { closedId } : {});
    }),
  );

  app.post(
    '/console/follow-ups/:id/close',
    form('supervisor', async (req, reply, ctx) => {
      const { id } = idParams.parse(req.params);
      const body = closeFollowUpSchema.safeParse(req.body ?? {});
      if (!body.success) {
        const note = String((req.body as { note?: unknown } | undefined)?.note ?? '');
        reply.code(400);
        return render(ctx, 'open', { error: { taskId: id, message: fieldErrors(body.error, ctx.lang).note ?? 'invalid note', note } });
      }
      await close(ctx.me, id, body.data.note);
      return reply.redirect(`/console/follow-ups?closed=${id}`, 303);
    }),
  );

  const taskSchema = z.object({
    id: z.number(),
    surveyId: z.number(),
    score: z.number(),
    comment: z.string().nullable(),
    beneficiaryId: z.number().nullable(),
    conversationId: z.number().nullable(),
    staffId: z.number().nullable(),
    channel: z.string().nullable(),
    requestType: z.string().nullable(),
    status: z.enum(['open', 'done']),
    createdAt: z.string(),
    note: z.string().nullable(),
    closedAt: z.string().nullable(),
    closedByStaffId: z.number().nullable(),
  });

  api.add({
    method: 'GET',
    url: '/api/follow-up-tasks',
    summary: 'Follow-up tasks opened by ratings of 1–2, oldest first (supervisors)',
    tag: 'surveys',
    role: 'supervisor',
    query: listQuerySchema,
    response: z.object({ tasks: z.array(taskSchema) }),
    handler: async ({ me, query }) => {
      const tasks = await listFollowUpTasks(deps.db, me, { status: query.status });
      return { tasks: tasks.map((t) => ({ ...t, createdAt: t.createdAt.toISOString(), closedAt: t.closedAt?.toISOString() ?? null })) };
    },
  });

  api.add({
    method: 'POST',
    url: '/api/follow-up-tasks/:id/close',
    summary: 'Close a follow-up task with a note of what was done (supervisors)',
    tag: 'surveys',
    role: 'supervisor',
    params: idParams,
    body: closeFollowUpSchema,
    status: 204,
    handler: async ({ me, params, body }) => {
      await close(me, params.id, body.note);
    },
  });
}
