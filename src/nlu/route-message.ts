import type { HandoffPolicy } from './handoff-policy-schema';
import type { IntentName } from './intent-names';
import type { UnderstandingResult } from './understanding';

/** Intents answered from flows/faq.yaml. */
export const faqIntents: ReadonlySet<IntentName> = new Set([
  'required_documents',
  'processing_time',
  'contact_info',
  'eligibility',
  'aid_types',
]);

/**
 * Flow ids started for flow intents (the `id:` of a file in flows/). `rating` and `update-data` have no
 * flow file yet; the engine must add them or map these ids to its own.
 */
export const flowForIntent = {
  apply_support: 'intake',
  request_status: 'status',
  rate_service: 'rating',
  volunteer: 'volunteer',
  update_data: 'update-data',
  complaint: 'complaint',
  data_request: 'data-request',
} as const satisfies Partial<Record<IntentName, string>>;
export type FlowIntent = keyof typeof flowForIntent;

/** Intents worth offering in a clarifying question (never "unclear", a greeting or a crisis). */
const OFFERABLE: ReadonlySet<IntentName> = new Set<IntentName>([
  'apply_support', 'required_documents', 'request_status', 'processing_time', 'talk_to_human', 'complaint',
  'rate_service', 'volunteer', 'contact_info', 'update_data', 'eligibility', 'aid_types', 'data_request',
]);

/** What the engine should do with a message. `countsAsMiss` marks the answers that feed "second miss → human". */
export type RouteDecision =
  | { route: 'urgent_human'; priority: 'urgent'; reason: 'danger'; countsAsMiss: false }
  | { route: 'human'; priority: 'normal'; reason: 'asked_for_human'; countsAsMiss: false }
  | { route: 'clarify'; options: IntentName[]; reason: 'low_confidence' | 'unclear'; countsAsMiss: true }
  | { route: 'answer_faq'; faqId: string; intent: IntentName; countsAsMiss: false }
  | { route: 'start_flow'; flow: (typeof flowForIntent)[FlowIntent]; intent: FlowIntent; countsAsMiss: false }
  | { route: 'reply'; intent: 'greeting'; countsAsMiss: false };

/** The route values that put a person in the loop (now, or after one clarifying question). */
export const handoffRoutes: ReadonlySet<RouteDecision['route']> = new Set(['urgent_human', 'human', 'clarify']);

function clarifyOptions(result: UnderstandingResult): IntentName[] {
  const candidates = [
    { intent: result.intent, confidence: result.confidence },
    ...(result.runnerUp ? [result.runnerUp] : []),
  ];
  return candidates.filter((c) => OFFERABLE.has(c.intent) && c.confidence >= 0.1).map((c) => c.intent);
}

/**
 * Decides the next step for an understood message, in priority order:
 * urgent → a person at once, with priority; an explicit wish for a person → human; a complaint → the
 * complaint flow, which records it and always hands it to a person with high priority; `unclear` or confidence below `clarifyBelow` → one clarifying
 * question offering the top two intents (the engine hands over on the second miss, keyed on its own state);
 * greetings → a short reply; FAQ intents → the FAQ answer when its confidence reaches `answerAbove`;
 * everything else starts its flow.
 */
export function routeMessage(result: UnderstandingResult, policy: HandoffPolicy): RouteDecision {
  if (result.urgent || result.intent === 'urgent_human') {
    return { route: 'urgent_human', priority: 'urgent', reason: 'danger', countsAsMiss: false };
  }
  if (result.intent === 'talk_to_human') {
    return { route: 'human', priority: 'normal', reason: 'asked_for_human', countsAsMiss: false };
  }
  // A grievance is never met with "did you mean…?": even a weak complaint reading goes to the complaint flow.
  if (result.intent === 'complaint') {
    return { route: 'start_flow', flow: flowForIntent.complaint, intent: 'complaint', countsAsMiss: false };
  }
  if (result.intent === 'unclear') {
    return { route: 'clarify', options: clarifyOptions(result), reason: 'unclear', countsAsMiss: true };
  }
  if (result.confidence < policy.clarifyBelow) {
    return { route: 'clarify', options: clarifyOptions(result), reason: 'low_confidence', countsAsMiss: true };
  }
  if (result.intent === 'greeting') return { route: 'reply', intent: 'greeting', countsAsMiss: false };
  if (faqIntents.has(result.intent)) {
    if (result.faq && result.faq.confidence >= policy.answerAbove) {
      return { route: 'answer_faq', faqId: result.faq.id, intent: result.intent, countsAsMiss: false };
    }
    return { route: 'clarify', options: clarifyOptions(result), reason: 'low_confidence', countsAsMiss: true };
  }
  const intent = result.intent as FlowIntent;
  return { route: 'start_flow', flow: flowForIntent[intent], intent, countsAsMiss: false };
}
