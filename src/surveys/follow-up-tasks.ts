/**
 * Follow-up tasks opened by low ratings, for the console's supervisor page. They exist to improve a service,
 * not to blame anyone (policy practice 3): only supervisors and admins list them, with the researcher concerned.
 */
import { and, asc, eq } from 'drizzle-orm';
import type { StaffViewer } from '../reports/viewer';
import { canSeeStaffFigures } from '../reports/viewer';
import type { Db } from '../store/database';
import { followUpTasks, requests, surveys } from '../store/schema';

export interface FollowUpTask {
  id: number;
  surveyId: number;
  score: number;
  comment: string | null;
  beneficiaryId: number | null;
  conversationId: number | null;
  staffId: number | null;
  channel: string | null;
  requestType: string | null;
  status: 'open' | 'done';
  createdAt: Date;
  /** Set when a supervisor closed the task. */
  note: string | null;
  closedAt: Date | null;
  closedByStaffId: number | null;
}

export class FollowUpAccessError extends Error {
  constructor(role: string) {
    super(`follow-up tasks are for supervisors and admins; a ${role} cannot see them`);
    this.name = 'FollowUpAccessError';
  }
}

/** Open (or all) follow-up tasks, oldest first. Throws FollowUpAccessError for researchers. */
export async function listFollowUpTasks(db: Db, viewer: StaffViewer, opts: { status?: 'open' | 'done' | 'all'; limit?: number } = {}): Promise<FollowUpTask[]> {
  if (!canSeeStaffFigures(viewer)) throw new FollowUpAccessError(viewer.role);
  const status = opts.status ?? 'open';
  const rows = await db
    .select({
      id: followUpTasks.id,
      surveyId: followUpTasks.surveyId,
      score: followUpTasks.score,
      comment: followUpTasks.comment,
      beneficiaryId: followUpTasks.beneficiaryId,
      conversationId: followUpTasks.conversationId,
      staffId: followUpTasks.staffId,
      channel: surveys.channel,
      requestType: requests.type,
      status: followUpTasks.status,
      createdAt: followUpTasks.createdAt,
      note: followUpTasks.note,
      closedAt: followUpTasks.closedAt,
      closedByStaffId: followUpTasks.closedByStaffId,
    })
    .from(followUpTasks)
    .innerJoin(surveys, eq(surveys.id, followUpTasks.surveyId))
    .leftJoin(requests, eq(requests.id, surveys.requestId))
    .where(status === 'all' ? undefined : eq(followUpTasks.status, status))
    .orderBy(asc(followUpTasks.createdAt), asc(followUpTasks.id))
    .limit(Math.min(opts.limit ?? 200, 1000));
  return rows;
}

/** Marks a task done with the supervisor's note; false when it was not open. */
export async function closeFollowUpTask(db: Db, viewer: StaffViewer & { id: number }, taskId: number, note: string, now = new Date()): Promise<boolean> {
  if (!canSeeStaffFigures(viewer)) throw new FollowUpAccessError(viewer.role);
  const done = await db
    .update(followUpTasks)
    .set({ status: 'done', closedAt: now, closedByStaffId: viewer.id, note: note.trim().slice(0, 2000) || null })
    .where(and(eq(followUpTasks.id, taskId), eq(followUpTasks.status, 'open')))
    .returning({ id: followUpTasks.id });
  return done.length > 0;
}
