/**
 * The one place the surveys touch a beneficiary's message before the engine sees it (called by
 * pipeline/drain-conversation.ts for every message). At the survey's rating question it turns what people send —
 * "⭐⭐⭐⭐", "5/5", "٤ من ٥", "ممتاز", "stop surveys" — into the option number the engine's choice question takes,
 * and after one re-ask it closes the survey quietly so the message is handled like any other. The stored message
 * keeps its original text; only the engine's input changes.
 */
import { z } from 'zod';
import type { ConversationState } from '../engine/conversation-state';
import { isSurveyOptOut, parseRating } from './parse-rating';
import { SURVEY_COMMENT_STEPS, SURVEY_FLOW, SURVEY_RATE_STEP } from './survey-flow';

const surveyLinkSchema = z.object({ surveyLink: z.object({ surveyId: z.number(), kind: z.enum(['rating', 'comment']) }) });

/**
 * Whether a stored message may reach the engine: typed words always; a star-link click or a comment sent from
 * the survey's web page only while that survey waits for exactly that answer — so a second click, or a click
 * after the beneficiary answered by text, records nothing and is never read as a menu choice.
 */
export function surveyLinkApplies(state: ConversationState, payload: unknown): boolean {
  const parsed = surveyLinkSchema.safeParse(payload);
  if (!parsed.success) return true;
  const { surveyId, kind } = parsed.data.surveyLink;
  const frame = state.frame;
  if (frame?.flow !== SURVEY_FLOW || Number(frame.data.surveyId) !== surveyId || frame.offeringHuman) return false;
  return kind === 'rating' ? frame.step === SURVEY_RATE_STEP : SURVEY_COMMENT_STEPS.includes(frame.step);
}

/** Option number of "opt-out" on the rating question (after 1..5). */
const OPT_OUT_NUMBER = '6';

export function prepareSurveyAnswer(state: ConversationState, text: string): { state: ConversationState; text: string } {
  const frame = state.frame;
  if (frame?.flow !== SURVEY_FLOW || frame.step !== SURVEY_RATE_STEP || frame.offeringHuman) return { state, text };
  const score = parseRating(text);
  if (score !== null) return { state, text: String(score) };
  if (isSurveyOptOut(text)) return { state, text: OPT_OUT_NUMBER };
  // The engine re-asks once (the step's `invalid`); a second answer that is not a rating ends the survey without
  // another word about it, and the message goes on to be understood as whatever it is.
  if (frame.attempts >= 1) return { state: { ...state, frame: null }, text };
  return { state, text };
}
