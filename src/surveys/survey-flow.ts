/**
 * The contract between the surveys code and `flows/survey.flow.yaml`: which steps the worker places a
 * conversation on, and which question the rating reader looks after. Checked once at start-up, so an edit of
 * the flow that breaks it stops Wasl with a clear message instead of misbehaving in front of a beneficiary.
 */
import type { FlowCatalog } from '../engine/flow-catalog';

export const SURVEY_FLOW = 'survey';
/** Frame variable that makes the flow's start step send the reminder instead of the introduction. */
export const SURVEY_REMINDER_VAR = 'reminder';
/** The 1–5 question; its options are 1..5 in order, then opt-out. */
export const SURVEY_RATE_STEP = 'rate';
export const SURVEY_OPT_OUT_VALUE = 'opt-out';
/** The rating question's template: channels that can show stars (email links, web chat buttons) look for it. */
export const SURVEY_RATING_TEMPLATE = 'survey.ask-rating';
/** The optional comment questions (after a low score, and otherwise). */
export const SURVEY_COMMENT_STEPS: readonly string[] = ['comment', 'comment-low'];

export function checkSurveyFlow(flows: FlowCatalog): void {
  const loaded = flows.get(SURVEY_FLOW);
  if (!loaded) throw new Error(`the surveys role needs flows/${SURVEY_FLOW}.flow.yaml`);
  const { steps } = loaded.flow;
  const problems: string[] = [];
  const start = steps[loaded.flow.start];
  if (start?.type === 'ask' || start?.type === 'review') problems.push(`the start step "${loaded.flow.start}" must not wait for an answer (the worker starts the flow there)`);
  const rate = steps[SURVEY_RATE_STEP];
  if (rate?.type !== 'ask' || rate.expect.kind !== 'choice') {
    problems.push(`step "${SURVEY_RATE_STEP}" must ask a choice`);
  } else {
    const values = rate.expect.options.map((o) => o.value);
    if (values.slice(0, 5).join(',') !== '1,2,3,4,5') problems.push(`step "${SURVEY_RATE_STEP}" must offer 1, 2, 3, 4, 5 first and in that order`);
    if (!values.includes(SURVEY_OPT_OUT_VALUE)) problems.push(`step "${SURVEY_RATE_STEP}" must offer "${SURVEY_OPT_OUT_VALUE}"`);
    if (rate.saveAs !== 'score') problems.push(`step "${SURVEY_RATE_STEP}" must save as "score"`);
    if (rate.template !== SURVEY_RATING_TEMPLATE) problems.push(`step "${SURVEY_RATE_STEP}" must use the template "${SURVEY_RATING_TEMPLATE}"`);
  }
  for (const step of SURVEY_COMMENT_STEPS) {
    const s = steps[step];
    if (s?.type !== 'ask' || s.expect.kind !== 'text') problems.push(`step "${step}" must ask for text (the comment)`);
  }
  if (problems.length) throw new Error(`flows/${SURVEY_FLOW}.flow.yaml: ${problems.join('; ')}`);
}
