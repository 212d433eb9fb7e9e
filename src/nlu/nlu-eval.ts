/**
 * Scores Wasl's Arabic understanding on a labelled JSONL file:
 *   npm run nlu:eval -- FILE.jsonl [--flows DIR] [--misses] [--out PRED.jsonl]
 * Reads DIR/intents.yaml, DIR/faq.yaml and the `handoff` section of DIR/organisation.yaml (default DIR: ./flows,
 * relative to the working directory), so the numbers are those of the policy the organisation runs.
 * The last four lines are always accuracy=, macro_f1=, handoff_recall=, false_handoff= (CI parses them).
 * `--out` writes one line per message: {"text", "intent", "confidence", "handoff"}.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { evaluateNlu, parseEvalJsonl, type EvalExample, type EvalReport } from './evaluate-nlu';
import { handoffPolicySchema, type HandoffPolicy } from './handoff-policy-schema';
import { loadNluFiles } from './load-nlu-files';
import { handoffRoutes, routeMessage } from './route-message';
import { buildUnderstanding, type Understanding } from './understanding';

interface CliArgs {
  file: string;
  flowsDir: string;
  showMisses: boolean;
  out: string | null;
}

function parseArgs(argv: readonly string[]): CliArgs {
  let file: string | undefined;
  let flowsDir = 'flows';
  let showMisses = false;
  let out: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--flows') {
      const dir = argv[++i];
      if (!dir) throw new Error('--flows needs a directory');
      flowsDir = dir;
    } else if (arg.startsWith('--flows=')) flowsDir = arg.slice('--flows='.length);
    else if (arg === '--misses') showMisses = true;
    else if (arg === '--out') {
      const file = argv[++i];
      if (!file) throw new Error('--out needs a file');
      out = file;
    } else if (arg.startsWith('--out=')) out = arg.slice('--out='.length);
    else if (arg.startsWith('--')) throw new Error(`unknown option ${arg}`);
    else file = arg;
  }
  if (!file) throw new Error('usage: nlu-eval FILE.jsonl [--flows DIR] [--misses] [--out PRED.jsonl]');
  return { file, flowsDir: path.resolve(flowsDir), showMisses, out: out && path.resolve(out) };
}

/** The organisation profile's `handoff` section (defaults when the profile or the section is absent). */
function loadHandoffPolicy(flowsDir: string): HandoffPolicy {
  const file = path.join(flowsDir, 'organisation.yaml');
  const profile: unknown = existsSync(file) ? parse(readFileSync(file, 'utf8')) : {};
  const section = (profile as { handoff?: unknown } | null)?.handoff ?? {};
  const parsed = handoffPolicySchema.safeParse(section);
  if (!parsed.success) throw new Error(`${file}: handoff: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

/** One prediction line per message; `handoff` is what the policy does with it, not only the intent. */
function predictionLines(understanding: Understanding, examples: EvalExample[], policy: HandoffPolicy): string {
  return examples
    .map(({ text }) => {
      const result = understanding.understand(text);
      const handoff = handoffRoutes.has(routeMessage(result, policy).route);
      return JSON.stringify({ text, intent: result.intent, confidence: result.confidence, handoff });
    })
    .join('\n');
}

const f3 = (x: number): string => x.toFixed(3);

/** Renders the report; the last four lines are the machine-read metrics. */
export function formatReport(report: EvalReport, showMisses: boolean): string {
  const lines: string[] = [];
  lines.push(`${'intent'.padEnd(20)} precision  recall     f1  support`);
  for (const s of report.perIntent) {
    lines.push(`${s.intent.padEnd(20)} ${f3(s.precision).padStart(9)} ${f3(s.recall).padStart(7)} ${f3(s.f1).padStart(6)} ${String(s.support).padStart(8)}`);
  }
  lines.push('', 'worst confusions (gold -> predicted):');
  if (report.confusions.length === 0) lines.push('  none');
  for (const c of report.confusions.slice(0, 8)) lines.push(`  ${c.gold} -> ${c.predicted}: ${c.count}`);
  if (showMisses) {
    lines.push('', 'misses:');
    for (const m of report.misses) lines.push(`  [${m.gold} -> ${m.predicted} ${m.confidence.toFixed(2)} ${m.route}] ${m.text}`);
  }
  lines.push('', `examples=${report.total}`, `urgent_recall=${f3(report.urgentRecall)}`, `calibration_ece=${f3(report.calibrationError)}`);
  lines.push(`accuracy=${f3(report.accuracy)}`, `macro_f1=${f3(report.macroF1)}`, `handoff_recall=${f3(report.handoffRecall)}`, `false_handoff=${f3(report.falseHandoff)}`);
  return lines.join('\n');
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const examples = parseEvalJsonl(readFileSync(args.file, 'utf8'), args.file);
  const files = loadNluFiles(args.flowsDir);
  const started = Date.now();
  const policy = loadHandoffPolicy(args.flowsDir);
  const understanding = await buildUnderstanding({ ...files, policy });
  const buildMs = Date.now() - started;
  const report = evaluateNlu(understanding, examples, policy);
  if (args.out) writeFileSync(args.out, `${predictionLines(understanding, examples, policy)}\n`);
  process.stdout.write(`build_ms=${buildMs}\n${formatReport(report, args.showMisses)}\n`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`nlu-eval: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
