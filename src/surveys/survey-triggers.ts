/**
 * What the staff console calls. A request marked served → `surveyServedRequest`; a conversation resolved by a
 * researcher → `scheduleSurvey` (schedule-survey.ts); resolved without a survey → `waiveSurvey` with the reason
 * (abusive contact, wrong number…), which also stops the catch-up sweep from scheduling one later; "ask now" →
 * `sendSurveyNow`. All are idempotent: the first decision about a subject is the one that stands.
 */
import { desc, eq } from 'drizzle-orm';
import type { Db } from '../store/database';
import { conversations, requests, surveys } from '../store/schema';
import { scheduleSurvey, type ScheduleSurveyDeps, type SurveySubject } from './schedule-survey';

/** Schedules the survey of a request just marked served (call after the status change commits). */
export async function surveyServedRequest(deps: ScheduleSurveyDeps, requestId: number, servedByStaffId: number | null, servedAt?: Date): Promise<void> {
  const conversationId = await serviceConversationOf(deps.db, requestId);
  if (!conversationId) {
    deps.log.warn({ requestId }, 'served request has no conversation to survey in');
    return;
  }
  await scheduleSurvey(deps, { kind: 'request', id: requestId, conversationId, staffId: servedByStaffId }, { trigger: 'request-served', ...(servedAt ? { servedAt } : {}) });
}

/** A researcher's "ask for a rating now": no delay, but still never in quiet hours. */
export async function sendSurveyNow(deps: ScheduleSurveyDeps, subject: SurveySubject): Promise<void> {
  await scheduleSurvey(deps, subject, { trigger: 'manual', delayMinutes: 0 });
}

/**
 * Records that this subject gets no survey, and why. Returns false when a survey already exists for it (then
 * it is too late to waive: it may already have been sent).
 */
export async function waiveSurvey(
  deps: Pick<ScheduleSurveyDeps, 'db'>,
  subject: Pick<SurveySubject, 'kind' | 'id' | 'conversationId' | 'staffId'>,
  reason: string,
): Promise<boolean> {
  if (!reason.trim()) throw new Error(`waiving the survey of ${subject.kind} ${subject.id} needs a reason`);
  const [conv] = await deps.db.select({ beneficiaryId: conversations.beneficiaryId }).from(conversations).where(eq(conversations.id, subject.conversationId));
  const inserted = await deps.db
    .insert(surveys)
    .values({
      subjectKind: subject.kind,
      subjectId: String(subject.id),
      conversationId: subject.conversationId,
      beneficiaryId: conv?.beneficiaryId ?? null,
      requestId: subject.kind === 'request' ? subject.id : null,
      staffId: subject.staffId,
      trigger: 'manual',
      status: 'skipped',
      skipReason: `waived: ${reason.trim().slice(0, 300)}`,
    })
    .onConflictDoNothing({ target: [surveys.subjectKind, surveys.subjectId] })
    .returning({ id: surveys.id });
  return inserted.length > 0;
}

/** The request's own conversation, else the beneficiary's latest one. */
export async function serviceConversationOf(db: Db, requestId: number): Promise<number | null> {
  const [r] = await db.select({ conversationId: requests.conversationId, beneficiaryId: requests.beneficiaryId }).from(requests).where(eq(requests.id, requestId));
  if (!r) return null;
  if (r.conversationId) return r.conversationId;
  const [latest] = await db
    .select({ id: conversations.id })
    .from(conversations)
    .where(eq(conversations.beneficiaryId, r.beneficiaryId))
    .orderBy(desc(conversations.id))
    .limit(1);
  return latest?.id ?? null;
}
