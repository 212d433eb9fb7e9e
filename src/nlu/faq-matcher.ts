import type { FaqFile } from './faq-schema';
import type { IntentName } from './intent-names';
import { messageFeatures } from './intent-matcher';
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

/**
 * The questions of a set of entries as an inverted index (feature → the questions that have it, with their
 * weights). A message then only touches the questions that share a feature with it, instead of comparing two
 * maps per question: with an FAQ a hundred times the shipped one, that is what keeps a message under a
 * millisecond. Scratch arrays are allocated once, so matching allocates almost nothing per message.
 */
interface EntryIndex {
  ids: string[];
  /** Questions of entry e are questionStart[e] .. questionStart[e + 1] - 1. */
  questionStart: Int32Array;
  postings: Map<string, { questions: Int32Array; weights: Float64Array }>;
  scores: Float64Array;
}

function indexEntries(entries: ReadonlyArray<{ id: string; questions: FeatureVector[] }>): EntryIndex {
  const questionStart = new Int32Array(entries.length + 1);
  const lists = new Map<string, { questions: number[]; weights: number[] }>();
  let q = 0;
  entries.forEach((entry, e) => {
    questionStart[e] = q;
    for (const vector of entry.questions) {
      for (const [feature, weight] of vector) {
        let list = lists.get(feature);
        if (!list) lists.set(feature, (list = { questions: [], weights: [] }));
        list.questions.push(q);
        list.weights.push(weight);
      }
      q++;
    }
  });
  questionStart[entries.length] = q;
  const postings = new Map<string, { questions: Int32Array; weights: Float64Array }>();
  for (const [feature, list] of lists) {
    postings.set(feature, { questions: Int32Array.from(list.questions), weights: Float64Array.from(list.weights) });
  }
  return { ids: entries.map((e) => e.id), questionStart, postings, scores: new Float64Array(q) };
}

/**
 * Fills `index.scores` with the cosine of the message and every question (both vectors are L2-normalised by
 * textFeatures, so the dot product is the cosine). Same products as a pairwise dot product; questions that share
 * no feature stay at 0.
 */
function scoreQuestions(index: EntryIndex, features: FeatureVector): void {
  const scores = index.scores;
  scores.fill(0);
  for (const [feature, v] of features) {
    const list = index.postings.get(feature);
    if (!list) continue;
    const { questions, weights } = list;
    for (let i = 0; i < questions.length; i++) scores[questions[i]!]! += v * weights[i]!;
  }
}

/** An entry's similarity: its best question's cosine, never below 0. */
function entrySimilarity(index: EntryIndex, entry: number): number {
  let best = 0;
  for (let q = index.questionStart[entry]!; q < index.questionStart[entry + 1]!; q++) if (index.scores[q]! > best) best = index.scores[q]!;
  return best;
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
  // Only the chosen intent's entries and the intent-less ones are ever compared, so each gets its own index.
  const byIntent = new Map<IntentName, EntryIndex>();
  for (const intent of new Set(entries.flatMap((e) => (e.intent ? [e.intent] : [])))) {
    byIntent.set(intent, indexEntries(entries.filter((e) => e.intent === intent)));
  }
  const withoutIntent = indexEntries(entries.filter((e) => e.intent === undefined));

  return {
    match(normalized, intent, intentConfidence) {
      const features = messageFeatures(normalized);
      let best: FaqMatch | null = null;
      const linked = byIntent.get(intent);
      if (linked) {
        scoreQuestions(linked, features);
        let bestEntry = 0;
        let bestSimilarity = entrySimilarity(linked, 0);
        for (let e = 1; e < linked.ids.length; e++) {
          const sim = entrySimilarity(linked, e);
          if (sim > bestSimilarity) {
            bestSimilarity = sim;
            bestEntry = e;
          }
        }
        best = { id: linked.ids[bestEntry]!, confidence: intentConfidence };
      }
      if (withoutIntent.ids.length > 0) {
        scoreQuestions(withoutIntent, features);
        for (let e = 0; e < withoutIntent.ids.length; e++) {
          const sim = entrySimilarity(withoutIntent, e);
          if (sim >= 0.5 && sim > (best?.confidence ?? 0)) best = { id: withoutIntent.ids[e]!, confidence: sim };
        }
      }
      return best;
    },
  };
}
