/**
 * The survey flow's actions (`survey.record`, `survey.opt-out`), run by the engine inside the drain's
 * transaction: the answer, the follow-up task of a low score and the new conversation state commit together.
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { ActionHandler } from '../engine/action-context';
import { normalizeArabic } from '../nlu/normalize-arabic';
import type { Tx } from '../store/database';
import { beneficiaries, followUpTasks, surveys } from '../store/schema';
import { isSurveyOptOut } from './parse-rating';

/** Answers to "any remark?" that are not a remark. */
const NOT_A_COMMENT = new Set(
  ['لا', 'لا شكرا', 'لا شكرًا', 'شكرا', 'شكرًا', 'لا يوجد', 'لايوجد', 'ما في', 'مافي', 'لا شي', 'لا شيء', 'خلاص', 'no', 'no thanks', 'nothing', 'none', 'thanks', 'thank you', '-', '.'].map(
    (w) => normalizeArabic(w).replace(/[\p{P}\p{S}]+/gu, '').trim(),
  ),
);

export function cleanComment(raw: unknown): string | null {
  if (typeof raw !== 'string') return null;
  const text = raw.trim().slice(0, 2000);
  const key = normalizeArabic(text).replace(/[\p{P}\p{S}]+/gu, '').trim();
  return text && !NOT_A_COMMENT.has(key) ? text : null;
}

async function openSurvey(tx: Tx, surveyId: number, beneficiaryId: number) {
  if (!Number.isInteger(surveyId) || surveyId <= 0) return null;
  const [row] = await tx
    .select()
    .from(surveys)
    .where(and(eq(surveys.id, surveyId), inArray(surveys.status, ['sent', 'answered'])))
    .for('update');
  // A survey belongs to one beneficiary; a frame that somehow points elsewhere records nothing.
  return row && row.beneficiaryId === beneficiaryId ? row : null;
}

export const recordSurveyAnswer: ActionHandler = async (ctx, call) => {
  const survey = await openSurvey(ctx.tx, Number(call.frame.data.surveyId), ctx.beneficiaryId);
  if (!survey) return { outcome: 'closed' };
  const score = Number(call.frame.data.score);
  if (!Number.isInteger(score) || score < 1 || score > 5) return { outcome: 'closed' };
  const rawComment = call.frame.data.comment;
  if (typeof rawComment === 'string' && isSurveyOptOut(rawComment)) await setOptOut(ctx.tx, ctx.beneficiaryId);
  const comment = typeof rawComment === 'string' && !isSurveyOptOut(rawComment) ? cleanComment(rawComment) : null;

  await ctx.tx
    .update(surveys)
    .set({ score, status: 'answered', answeredAt: survey.answeredAt ?? ctx.now, ...(comment !== null ? { comment } : {}) })
    .where(eq(surveys.id, survey.id));

  if (score <= ctx.organisation.surveys.followUpAtOrBelow) {
    await ctx.tx
      .insert(followUpTasks)
      .values({
        surveyId: survey.id,
        beneficiaryId: survey.beneficiaryId,
        conversationId: survey.conversationId,
        staffId: survey.staffId,
        score,
        comment: comment ?? survey.comment,
      })
      .onConflictDoUpdate({
        target: followUpTasks.surveyId,
        // The comment arrives one message after the score: the task gains it; a closed task stays closed.
        set: { comment: sql`coalesce(excluded.comment, ${followUpTasks.comment})`, score: sql`excluded.score` },
      });
  }
  return { outcome: 'recorded' };
};

export const optOutOfSurveys: ActionHandler = async (ctx, call) => {
  await setOptOut(ctx.tx, ctx.beneficiaryId);
  const survey = await openSurvey(ctx.tx, Number(call.frame.data.surveyId), ctx.beneficiaryId);
  if (survey?.status === 'sent') {
    await ctx.tx.update(surveys).set({ status: 'skipped', skipReason: 'opted-out' }).where(eq(surveys.id, survey.id));
  }
  return { outcome: 'done' };
};

async function setOptOut(tx: Tx, beneficiaryId: number): Promise<void> {
  await tx.update(beneficiaries).set({ surveyOptOut: true }).where(eq(beneficiaries.id, beneficiaryId));
}
