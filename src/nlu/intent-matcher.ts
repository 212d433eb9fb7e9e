import type { IntentsFile } from './intents-schema';
import { intentNames, type IntentName } from './intent-names';
import { trainSoftmaxClassifier, softmax, type SoftmaxClassifier } from './softmax-classifier';
import { textFeatures, type FeatureVector } from './text-features';

/** One scored intent. */
export interface ScoredIntent {
  intent: IntentName;
  confidence: number;
}

/** Classifier output for one normalised message, best first. */
export interface IntentPrediction {
  ranked: ScoredIntent[];
  /** Share of the message's words the model has seen in training in any form (0 for an empty message). */
  coverage: number;
}

/** A trained intent classifier; `predict` is synchronous and takes normalised text. */
export interface IntentMatcher {
  predict(normalized: string): IntentPrediction;
}

/** Extra labelled lines, e.g. the FAQ questions that name an intent. */
export interface ExtraTrainingLine {
  intent: IntentName;
  text: string;
}

/**
 * Softmax temperature that turns the classifier's scores into confidences that mean what they say
 * (of the messages given confidence ~0.8, ~80% are right). Fitted on the dev set by minimising expected
 * calibration error (0.4–1.0 swept; 0.5 was best on both the dev set and a separate self-written held-out
 * set) with the model trained only on flows/intents.yaml; see ADR 0005 and `nlu-eval`.
 */
export const calibrationTemperature = 0.5;

/**
 * Trains the intent classifier from the intents file. `normalize` is injected so the same folding
 * is applied to training lines and messages.
 */
export function trainIntentMatcher(
  intents: IntentsFile,
  normalize: (text: string) => string,
  extra: readonly ExtraTrainingLine[] = [],
): IntentMatcher {
  const lines: ExtraTrainingLine[] = [...extra];
  for (const name of intentNames) for (const text of intents.intents[name] ?? []) lines.push({ intent: name, text });
  const model: SoftmaxClassifier = trainSoftmaxClassifier(
    lines.map((l) => ({ features: textFeatures(normalize(l.text)), label: l.intent })),
  );
  // Whether the model knows a word depends only on the word, and people reuse a small vocabulary, so the answer
  // is remembered instead of building a feature vector per word per message. Bounded so odd input cannot grow it.
  const knownWords = new Map<string, boolean>();
  const isKnown = (word: string): boolean => {
    let known = knownWords.get(word);
    if (known === undefined) {
      known = ['w:', 'l:', 'e:', 'p:'].some((p) => model.knows(`${p}${word}`)) || wordKnownByStem(model, word);
      if (knownWords.size >= KNOWN_WORDS_CACHE_SIZE) knownWords.clear();
      knownWords.set(word, known);
    }
    return known;
  };
  return {
    predict(normalized) {
      const features = messageFeatures(normalized);
      const probs = softmax(model.logits(features), calibrationTemperature);
      const ranked = model.labels
        .map((label, i) => ({ intent: label as IntentName, confidence: probs[i]! }))
        .sort((a, b) => b.confidence - a.confidence);
      let words = 0;
      let known = 0;
      for (const w of normalized.split(' ')) {
        if (w.length === 0 || w === '?') continue;
        words++;
        if (isKnown(w)) known++;
      }
      return { ranked, coverage: words === 0 ? 0 : known / words };
    },
  };
}

const KNOWN_WORDS_CACHE_SIZE = 20_000;

let lastMessage: string | undefined;
let lastFeatures: FeatureVector | undefined;

/**
 * `textFeatures` of a normalised message, computed once per message: the intent classifier and then the FAQ
 * matcher both need the vector of the same text, one right after the other. The vector is shared, so callers
 * must only read it.
 */
export function messageFeatures(normalized: string): FeatureVector {
  if (normalized !== lastMessage || lastFeatures === undefined) {
    lastFeatures = textFeatures(normalized);
    lastMessage = normalized;
  }
  return lastFeatures;
}

function wordKnownByStem(model: SoftmaxClassifier, word: string): boolean {
  const f = textFeatures(word);
  for (const key of f.keys()) if ((key.startsWith('l:') || key.startsWith('s:') || key.startsWith('p:')) && model.knows(key)) return true;
  return false;
}
