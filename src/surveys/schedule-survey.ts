/**
 * Scheduling one satisfaction survey per served subject (a request served, a conversation resolved). Two guards
 * make "exactly one" hold under duplicate events, retries and restarts: the `surveys` row is unique on
 * (subject_kind, subject_id), and the delayed job's id is derived from the subject (`survey-request-123`), so a
 * second call finds both already there. The worker checks the row's status under a lock before sending, so
 * even a job re-added after BullMQ removed the first one (ENGINEERING.md §3.3) sends nothing twice.
 */
import { and, eq } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Organisation } from '../config/organisation-schema';
import { surveyJobId, type Queues, type SurveyJob } from '../queue/queues';
import type { Db } from '../store/database';
import { conversations, requests, surveys } from '../store/schema';
import { surveyDueTime } from './survey-timing';

export const surveyJobName = (step: SurveyJob['step']) => `survey.${step}`;

export interface SurveySubject {
  kind: 'conversation' | 'request';
  id: number;
  /** The conversation the service happened in (the prompt itself goes to the beneficiary's latest one). */
  conversationId: number;
  /** Who served, as known now; replaced by the conversation's assignee when the prompt is sent, if any. */
  staffId: number | null;
}

export type SurveyTrigger = 'request-served' | 'conversation-resolved' | 'bot-answered' | 'manual';

export interface ScheduleSurveyDeps {
  db: Db;
  queues: Queues;
  log: Logger;
  organisation: Organisation;
  clock?: () => Date;
}

export interface ScheduleSurveyOptions {
  /** Defaults from the subject kind: request → request-served, conversation → conversation-resolved. */
  trigger?: SurveyTrigger;
  /** Minutes to wait; defaults to the profile's `surveys.delayMinutes` (a researcher's "ask now" passes 0). */
  delayMinutes?: number;
  /** When the service ended, if earlier than now (a late catch-up counts the delay from then). */
  servedAt?: Date;
}

/** Keeps finished jobs a week, so an id re-added soon after is still a no-op; the row guards beyond that. */
export const surveyJobOptions = (jobId: string, delayMs: number) => ({
  jobId,
  delay: Math.max(0, delayMs),
  attempts: 8,
  backoff: { type: 'exponential' as const, delay: 5_000 },
  removeOnComplete: { age: 7 * 24 * 3600 },
  removeOnFail: { age: 30 * 24 * 3600 },
});

/**
 * Schedules the one survey of `subject`: a `surveys` row and a delayed job on the `surveys` queue, due after the
 * profile's delay and outside quiet hours (Asia/Riyadh by default). Safe to call any number of times, also
 * concurrently: the second call changes nothing. Call it after the transaction that served the subject commits.
 */
export async function scheduleSurvey(deps: ScheduleSurveyDeps, subject: SurveySubject, options: ScheduleSurveyOptions = {}): Promise<void> {
  const now = (deps.clock ?? (() => new Date()))();
  const settings = deps.organisation.surveys;
  const base = options.servedAt && options.servedAt < now ? options.servedAt : now;
  let due = surveyDueTime(base, settings, deps.organisation.timezone, options.delayMinutes ?? settings.delayMinutes);
  if (due < now) due = surveyDueTime(now, settings, deps.organisation.timezone, 0);
  const trigger = options.trigger ?? (subject.kind === 'request' ? 'request-served' : 'conversation-resolved');

  const owner = await subjectOwner(deps.db, subject);
  if (!owner) throw new Error(`cannot schedule a survey for ${subject.kind} ${subject.id}: it does not exist`);

  const [inserted] = await deps.db
    .insert(surveys)
    .values({
      subjectKind: subject.kind,
      subjectId: String(subject.id),
      conversationId: subject.conversationId,
      beneficiaryId: owner.beneficiaryId,
      requestId: owner.requestId,
      staffId: subject.staffId,
      trigger,
      status: 'scheduled',
      scheduledFor: due,
    })
    .onConflictDoNothing({ target: [surveys.subjectKind, surveys.subjectId] })
    .returning({ id: surveys.id, scheduledFor: surveys.scheduledFor });

  // An existing row still waiting may have lost its job to a crash between the insert and the add: add it again
  // (a no-op while the job exists). A row in any other state has had its one chance.
  const row =
    inserted ??
    (await deps.db
      .select({ id: surveys.id, scheduledFor: surveys.scheduledFor })
      .from(surveys)
      .where(and(eq(surveys.subjectKind, subject.kind), eq(surveys.subjectId, String(subject.id)), eq(surveys.status, 'scheduled')))
      .then((r) => r[0]));
  if (!row) return;
  const at = row.scheduledFor ?? due;
  const jobId = surveyJobId(subject, 'send');
  await deps.queues.surveys.add(surveyJobName('send'), { surveyId: row.id, step: 'send' }, surveyJobOptions(jobId, at.getTime() - now.getTime()));
  if (inserted) deps.log.info({ surveyId: row.id, subject: `${subject.kind}-${subject.id}`, due: at.toISOString(), trigger }, 'survey scheduled');
}

async function subjectOwner(db: Db, subject: SurveySubject): Promise<{ beneficiaryId: number; requestId: number | null } | null> {
  if (subject.kind === 'request') {
    const [r] = await db.select({ beneficiaryId: requests.beneficiaryId }).from(requests).where(eq(requests.id, subject.id)).limit(1);
    return r ? { beneficiaryId: r.beneficiaryId, requestId: subject.id } : null;
  }
  const [c] = await db
    .select({ beneficiaryId: conversations.beneficiaryId })
    .from(conversations)
    .where(eq(conversations.id, subject.id))
    .limit(1);
  return c ? { beneficiaryId: c.beneficiaryId, requestId: null } : null;
}
