import type { FaqFile } from './faq-schema';
import type { IntentName } from './intent-names';
import { textFeatures, type FeatureVector } from './text-features';

/** The FAQ entry chosen for a message. */
export interface FaqMatch {
  id: string;
  confidence: number;
}

/** Picks the FAQ entry for a normalised message, given the intent the classifier chose. */
export interface FaqMatcher {
  match(normalized: string, intent: IntentName, intentConfidence: number): FaqMatch | null;
}

function cosine(a: FeatureVector, b: FeatureVector): number {
  const [small, large] = a.size < b.size ? [a, b] : [b, a];
  let dot = 0;
  for (const [k, v] of small) dot += v * (large.get(k) ?? 0);
  return dot; // both vectors are L2-normalised by textFeatures
}

/**
 * Entries linked to an intent inherit the intent's confidence (the classifier, trained on far more lines,
 * is the better judge of *what* is asked); when an intent has several entries, question similarity picks
 * among them. Entries without an intent (e.g. data privacy) are found by similarity alone and only win
 * when their similarity beats the intent-linked candidate.
 */
export function buildFaqMatcher(faq: FaqFile, normalize: (text: string) => string): FaqMatcher {
  const entries = faq.entries.map((e) => ({
    id: e.id,
    intent: e.intent,
    questions: [...e.questions.ar, ...e.questions.en].map((q) => textFeatures(normalize(q))),
  }));
  const similarity = (features: FeatureVector, questions: FeatureVector[]): number =>
    Math.max(0, ...questions.map((q) => cosine(features, q)));

  return {
    match(normalized, intent, intentConfidence) {
      const features = textFeatures(normalized);
      let best: FaqMatch | null = null;
      let bestSimilarity = -1;
      for (const e of entries.filter((x) => x.intent === intent)) {
        const sim = similarity(features, e.questions);
        if (sim > bestSimilarity) {
          bestSimilarity = sim;
          best = { id: e.id, confidence: intentConfidence };
        }
      }
      for (const e of entries.filter((x) => x.intent === undefined)) {
        const sim = similarity(features, e.questions);
        if (sim >= 0.5 && sim > (best?.confidence ?? 0)) best = { id: e.id, confidence: sim };
      }
      return best;
    },
  };
}
