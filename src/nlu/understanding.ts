import { z } from 'zod';
import { extractEntities } from './extract-entities';
import { buildFaqMatcher } from './faq-matcher';
import type { FaqFile } from './faq-schema';
import { defaultHandoffPolicy, type HandoffPolicy } from './handoff-policy-schema';
import { intentNames, type IntentName } from './intent-names';
import { trainIntentMatcher, type ExtraTrainingLine, type ScoredIntent } from './intent-matcher';
import type { IntentsFile } from './intents-schema';
import { normalizeArabic } from './normalize-arabic';
import { compileUrgentDetector } from './urgent-detector';

export { intentNames, type IntentName } from './intent-names';
export type { IntentsFile } from './intents-schema';
export type { FaqFile } from './faq-schema';

/** What Wasl understood from one beneficiary message. */
export const understandingResultSchema = z.object({
  intent: z.enum(intentNames),
  /** Calibrated probability (0..1) that `intent` is right. */
  confidence: z.number(),
  runnerUp: z.object({ intent: z.enum(intentNames), confidence: z.number() }).nullable(),
  faq: z.object({ id: z.string(), confidence: z.number() }).nullable(),
  entities: z.object({
    referenceNumbers: z.array(z.string()),
    nationalIds: z.array(z.string()),
    mobiles: z.array(z.string()),
  }),
  /** True when the classifier or the keyword safety net sees a present danger; always paired with intent urgent_human. */
  urgent: z.boolean(),
});
export type UnderstandingResult = z.infer<typeof understandingResultSchema>;

/** A trained understanding model; `understand` is synchronous and never throws on user text. */
export interface Understanding {
  understand(text: string): UnderstandingResult;
}

/** Confidence reported when only the keyword safety net (not the classifier) flags a crisis. */
const KEYWORD_URGENT_CONFIDENCE = 0.9;
/** Confidence for a message none of whose words the model knows (keyboard mash, an unsupported language). */
const UNKNOWN_WORDS_CONFIDENCE = 0.7;
/** Confidence for a message that is only a reference number: it can only be a status question. */
const BARE_REFERENCE_CONFIDENCE = 0.85;

/**
 * Trains the intent classifier and compiles the urgent safety net from `flows/intents.yaml` and
 * `flows/faq.yaml` (FAQ questions with an `intent` also serve as training lines). Takes well under 3 s.
 *
 * @param input.policy - optional handoff policy: its `extraUrgentKeywords` join the urgent phrases and
 *   `urgentProbabilityAbove` sets how readily the classifier alone flags urgency.
 */
export async function buildUnderstanding(input: {
  intents: IntentsFile;
  faq: FaqFile;
  policy?: HandoffPolicy;
}): Promise<Understanding> {
  const policy = input.policy ?? defaultHandoffPolicy;
  const faqLines: ExtraTrainingLine[] = input.faq.entries.flatMap((e) =>
    e.intent ? [...e.questions.ar, ...e.questions.en].map((text) => ({ intent: e.intent!, text })) : [],
  );
  const matcher = trainIntentMatcher(input.intents, normalizeArabic, faqLines);
  const urgentDetector = compileUrgentDetector(input.intents.urgent, policy.extraUrgentKeywords);
  const faqMatcher = buildFaqMatcher(input.faq, normalizeArabic);

  return {
    understand(text) {
      const normalized = normalizeArabic(text);
      const entities = extractEntities(text);
      const { ranked, coverage } = matcher.predict(normalized);
      const keyword = urgentDetector(normalized);
      const urgentScore = ranked.find((r) => r.intent === 'urgent_human')?.confidence ?? 0;
      const urgent = keyword.urgent || ranked[0]!.intent === 'urgent_human' || urgentScore >= policy.urgentProbabilityAbove;

      let best: ScoredIntent;
      let runnerUp: ScoredIntent | null;
      if (urgent) {
        best = { intent: 'urgent_human', confidence: keyword.urgent ? Math.max(urgentScore, KEYWORD_URGENT_CONFIDENCE) : urgentScore };
        runnerUp = ranked.find((r) => r.intent !== 'urgent_human') ?? null;
      } else if (coverage === 0 && entities.referenceNumbers.length === 0) {
        // Not one word the model has seen in any form (keyboard mash, another language): nothing to act on.
        best = { intent: 'unclear', confidence: Math.max(UNKNOWN_WORDS_CONFIDENCE, ranked.find((r) => r.intent === 'unclear')?.confidence ?? 0) };
        runnerUp = ranked.find((r) => r.intent !== 'unclear') ?? null;
      } else if (isBareReference(normalized, entities.referenceNumbers.length)) {
        best = { intent: 'request_status', confidence: BARE_REFERENCE_CONFIDENCE };
        runnerUp = ranked.find((r) => r.intent !== 'request_status') ?? null;
      } else {
        best = ranked[0]!;
        runnerUp = ranked[1] ?? null;
      }
      return {
        intent: best.intent,
        confidence: round(best.confidence),
        runnerUp: runnerUp ? { intent: runnerUp.intent, confidence: round(runnerUp.confidence) } : null,
        faq: urgent ? null : faqMatcher.match(normalized, best.intent, best.confidence),
        entities,
        urgent,
      };
    },
  };
}

/** A message made of nothing but a reference number (and maybe "رقم"/"طلب") asks for that request's status. */
function isBareReference(normalized: string, referenceCount: number): boolean {
  if (referenceCount === 0) return false;
  const rest = normalized
    .replace(/\breq\s*\d+/g, ' ')
    .replace(/\d+/g, ' ')
    .replace(/(^|\s)(رقم|طلب|طلبي|الطلب|ref|no|number|\?)(?=\s|$)/g, ' ')
    .trim();
  return rest.length === 0;
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
