/**
 * Scheduling surveys for a whole campaign at once (a Ramadan food-basket distribution: 100,000 served
 * requests). Same guarantees as scheduleSurvey — one row per subject (insert … on conflict do nothing) and one
 * job per subject (the same job ids) — but in batches: one multi-row insert and one `addBulk` per batch, so
 * the engine's own queries and jobs keep flowing between batches. Due times are spread over a window so the
 * prompts (and the replies) do not all arrive in the same minute.
 */
import { inArray } from 'drizzle-orm';
import { surveyJobId } from '../queue/queues';
import { requests, surveys } from '../store/schema';
import { surveyJobName, surveyJobOptions, type ScheduleSurveyDeps } from './schedule-survey';
import { nextAllowedTime } from './survey-timing';

export interface CampaignOptions {
  /** Subjects per batch (one insert, one addBulk). */
  batchSize?: number;
  /** First due time: `delayMinutes` after now (profile default), then spread over this many minutes. */
  delayMinutes?: number;
  spreadMinutes?: number;
  /** Called after each batch, e.g. to report progress. */
  onBatch?(scheduled: number): void;
}

/** Schedules one survey per served request id; returns how many were new. */
export async function scheduleRequestSurveys(deps: ScheduleSurveyDeps, requestIds: number[], opts: CampaignOptions = {}): Promise<number> {
  const now = (deps.clock ?? (() => new Date()))();
  const settings = deps.organisation.surveys;
  const batchSize = opts.batchSize ?? 1000;
  const first = now.getTime() + (opts.delayMinutes ?? settings.delayMinutes) * 60_000;
  const spreadMs = (opts.spreadMinutes ?? 0) * 60_000;
  let created = 0;
  for (let i = 0; i < requestIds.length; i += batchSize) {
    const ids = requestIds.slice(i, i + batchSize);
    const owners = await deps.db
      .select({ id: requests.id, beneficiaryId: requests.beneficiaryId, conversationId: requests.conversationId })
      .from(requests)
      .where(inArray(requests.id, ids));
    const values = owners.map((r, k) => ({
      subjectKind: 'request' as const,
      subjectId: String(r.id),
      conversationId: r.conversationId,
      beneficiaryId: r.beneficiaryId,
      requestId: r.id,
      trigger: 'request-served',
      status: 'scheduled' as const,
      scheduledFor: nextAllowedTime(new Date(first + (spreadMs * (i + k)) / Math.max(1, requestIds.length)), settings, deps.organisation.timezone),
    }));
    if (values.length === 0) continue;
    const inserted = await deps.db
      .insert(surveys)
      .values(values)
      .onConflictDoNothing({ target: [surveys.subjectKind, surveys.subjectId] })
      .returning({ id: surveys.id, subjectId: surveys.subjectId, scheduledFor: surveys.scheduledFor });
    await deps.queues.surveys.addBulk(
      inserted.map((s) => ({
        name: surveyJobName('send'),
        data: { surveyId: s.id, step: 'send' as const },
        opts: surveyJobOptions(surveyJobId({ kind: 'request', id: s.subjectId }), s.scheduledFor!.getTime() - now.getTime()),
      })),
    );
    created += inserted.length;
    opts.onBatch?.(created);
    // Let the engine's work interleave: one batch is a few milliseconds of database and Redis time.
    await new Promise((r) => setImmediate(r));
  }
  return created;
}
