import { z } from 'zod';
import type { HandoffPolicy } from './handoff-policy-schema';
import { intentNames, type IntentName } from './intent-names';
import { handoffRoutes, routeMessage } from './route-message';
import type { Understanding } from './understanding';

/** One labelled line of an eval file (`{"text", "intent", ...}`; other fields are ignored). */
export const evalExampleSchema = z.object({ text: z.string(), intent: z.enum(intentNames) });
export type EvalExample = z.infer<typeof evalExampleSchema>;

/** An eval file line that is not valid JSON or not a valid example. */
export class EvalFileError extends Error {
  readonly code = 'EVAL_LINE_INVALID';
  constructor(
    readonly file: string,
    readonly line: number,
    reason: string,
  ) {
    super(`${file}:${line}: ${reason}`);
    this.name = 'EvalFileError';
  }
}

/** Parses JSONL eval data; blank lines are skipped, any other bad line throws naming its line number. */
export function parseEvalJsonl(content: string, file: string): EvalExample[] {
  const examples: EvalExample[] = [];
  content.split(/\r?\n/).forEach((raw, i) => {
    if (raw.trim() === '') return;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (cause) {
      throw new EvalFileError(file, i + 1, `not valid JSON (${cause instanceof Error ? cause.message : String(cause)})`);
    }
    const parsed = evalExampleSchema.safeParse(json);
    if (!parsed.success) {
      throw new EvalFileError(file, i + 1, parsed.error.issues.map((x) => `${x.path.join('.') || '(line)'}: ${x.message}`).join('; '));
    }
    examples.push(parsed.data);
  });
  return examples;
}

/** Precision, recall, F1 and support of one intent. */
export interface IntentScore {
  intent: IntentName;
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

/** Everything `nlu-eval` prints. */
export interface EvalReport {
  total: number;
  accuracy: number;
  macroF1: number;
  perIntent: IntentScore[];
  /** Off-diagonal (gold → predicted) pairs, most frequent first. */
  confusions: Array<{ gold: IntentName; predicted: IntentName; count: number }>;
  handoffRecall: number;
  falseHandoff: number;
  urgentRecall: number;
  /** Expected calibration error over 10 confidence bins (0 = perfectly calibrated). */
  calibrationError: number;
  misses: Array<{ text: string; gold: IntentName; predicted: IntentName; confidence: number; route: string }>;
}

const HANDOFF_INTENTS: ReadonlySet<IntentName> = new Set(['talk_to_human', 'urgent_human', 'unclear']);

function ratio(n: number, d: number): number {
  return d === 0 ? 0 : n / d;
}

/**
 * Scores an understanding model on labelled examples. handoff_recall is the share of talk_to_human,
 * urgent_human and unclear messages routed to urgent_human/human/clarify; false_handoff is the share of
 * all other messages routed there.
 */
export function evaluateNlu(understanding: Understanding, examples: readonly EvalExample[], policy: HandoffPolicy): EvalReport {
  const pairs = new Map<string, number>();
  const tp = new Map<IntentName, number>();
  const predictedCount = new Map<IntentName, number>();
  const goldCount = new Map<IntentName, number>();
  const bins = Array.from({ length: 10 }, () => ({ n: 0, correct: 0, confidence: 0 }));
  const misses: EvalReport['misses'] = [];
  let correct = 0;
  let handoffGold = 0;
  let handoffHit = 0;
  let otherGold = 0;
  let otherHandedOff = 0;
  let urgentGold = 0;
  let urgentHit = 0;

  for (const ex of examples) {
    const result = understanding.understand(ex.text);
    const decision = routeMessage(result, policy);
    const handedOff = handoffRoutes.has(decision.route);
    const ok = result.intent === ex.intent;
    goldCount.set(ex.intent, (goldCount.get(ex.intent) ?? 0) + 1);
    predictedCount.set(result.intent, (predictedCount.get(result.intent) ?? 0) + 1);
    if (ok) {
      correct++;
      tp.set(ex.intent, (tp.get(ex.intent) ?? 0) + 1);
    } else {
      const key = `${ex.intent}\u0000${result.intent}`;
      pairs.set(key, (pairs.get(key) ?? 0) + 1);
      misses.push({ text: ex.text, gold: ex.intent, predicted: result.intent, confidence: result.confidence, route: decision.route });
    }
    const bin = bins[Math.min(9, Math.floor(result.confidence * 10))]!;
    bin.n++;
    bin.confidence += result.confidence;
    if (ok) bin.correct++;
    if (HANDOFF_INTENTS.has(ex.intent)) {
      handoffGold++;
      if (handedOff) handoffHit++;
    } else {
      otherGold++;
      if (handedOff) otherHandedOff++;
    }
    if (ex.intent === 'urgent_human') {
      urgentGold++;
      if (decision.route === 'urgent_human') urgentHit++;
    }
  }

  const perIntent = intentNames
    .filter((i) => (goldCount.get(i) ?? 0) > 0 || (predictedCount.get(i) ?? 0) > 0)
    .map((intent) => {
      const precision = ratio(tp.get(intent) ?? 0, predictedCount.get(intent) ?? 0);
      const recall = ratio(tp.get(intent) ?? 0, goldCount.get(intent) ?? 0);
      const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
      return { intent, precision, recall, f1, support: goldCount.get(intent) ?? 0 };
    });
  const scored = perIntent.filter((s) => s.support > 0);
  const confusions = [...pairs.entries()]
    .map(([key, count]) => {
      const [gold, predicted] = key.split('\u0000') as [IntentName, IntentName];
      return { gold, predicted, count };
    })
    .sort((a, b) => b.count - a.count);
  const calibrationError = bins.reduce(
    (sum, b) => sum + (b.n === 0 ? 0 : (b.n / examples.length) * Math.abs(b.correct / b.n - b.confidence / b.n)),
    0,
  );

  return {
    total: examples.length,
    accuracy: ratio(correct, examples.length),
    macroF1: ratio(scored.reduce((s, x) => s + x.f1, 0), scored.length),
    perIntent,
    confusions,
    handoffRecall: ratio(handoffHit, handoffGold),
    falseHandoff: ratio(otherHandedOff, otherGold),
    urgentRecall: ratio(urgentHit, urgentGold),
    calibrationError,
    misses,
  };
}
