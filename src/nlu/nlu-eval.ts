/**
 * Scores Wasl's Arabic understanding on a labelled JSONL file:
 *   npx tsx src/nlu/nlu-eval.ts FILE.jsonl [--flows DIR] [--misses]
 * Reads DIR/intents.yaml and DIR/faq.yaml (default DIR: ./flows, relative to the working directory).
 * The last four lines are always accuracy=, macro_f1=, handoff_recall=, false_handoff= (CI parses them).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { evaluateNlu, parseEvalJsonl, type EvalReport } from './evaluate-nlu';
import { defaultHandoffPolicy } from './handoff-policy-schema';
import { loadNluFiles } from './load-nlu-files';
import { buildUnderstanding } from './understanding';

interface CliArgs {
  file: string;
  flowsDir: string;
  showMisses: boolean;
}

function parseArgs(argv: readonly string[]): CliArgs {
  let file: string | undefined;
  let flowsDir = 'flows';
  let showMisses = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--flows') {
      const dir = argv[++i];
      if (!dir) throw new Error('--flows needs a directory');
      flowsDir = dir;
    } else if (arg.startsWith('--flows=')) flowsDir = arg.slice('--flows='.length);
    else if (arg === '--misses') showMisses = true;
    else if (arg.startsWith('--')) throw new Error(`unknown option ${arg}`);
    else file = arg;
  }
  if (!file) throw new Error('usage: nlu-eval FILE.jsonl [--flows DIR] [--misses]');
  return { file, flowsDir: path.resolve(flowsDir), showMisses };
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
  lines.push('', `examples=${report.total}`, `urgent_recall=${f3(report.urgentRecall)}`, `calibration_ece=${f3(report.calibrationError)}`, `false_handoff_excl_complaint=${f3(report.falseHandoffExcludingComplaints)}`);
  lines.push(`accuracy=${f3(report.accuracy)}`, `macro_f1=${f3(report.macroF1)}`, `handoff_recall=${f3(report.handoffRecall)}`, `false_handoff=${f3(report.falseHandoff)}`);
  return lines.join('\n');
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const examples = parseEvalJsonl(readFileSync(args.file, 'utf8'), args.file);
  const files = loadNluFiles(args.flowsDir);
  const started = Date.now();
  const understanding = await buildUnderstanding({ ...files, policy: defaultHandoffPolicy });
  const buildMs = Date.now() - started;
  const report = evaluateNlu(understanding, examples, defaultHandoffPolicy);
  process.stdout.write(`build_ms=${buildMs}\n${formatReport(report, args.showMisses)}\n`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`nlu-eval: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
