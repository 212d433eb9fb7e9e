/**
 * The understanding module on its own (issue 3, item 6): how fast `understand()` is with the shipped FAQ and with
 * the FAQ scaled ×100, what building it costs in time and memory, and how it scores against NLP.js's stock NLU
 * trained on the same lines. Prints markdown tables; bench/README.md explains them.
 *
 *   npx tsx bench/nlu.ts      (alone: needs no Redis and no database)
 *   npm run bench             (runs it after the pipeline figures)
 *
 * Each configuration runs in its own child process, so its memory figures are its own and not what the previous
 * one left behind.
 */
import { fork } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { containerBootstrap } from '@nlpjs/core';
import { LangAr } from '@nlpjs/lang-ar';
import { Nlp } from '@nlpjs/nlp';
import { parse } from 'yaml';
import { evaluateNlu, parseEvalJsonl, type EvalExample, type EvalReport } from '../src/nlu/evaluate-nlu';
import { extractEntities } from '../src/nlu/extract-entities';
import { buildFaqMatcher } from '../src/nlu/faq-matcher';
import { faqFileSchema, type FaqFile } from '../src/nlu/faq-schema';
import { handoffPolicySchema, type HandoffPolicy } from '../src/nlu/handoff-policy-schema';
import { intentNames, type IntentName } from '../src/nlu/intent-names';
import { loadNluFiles } from '../src/nlu/load-nlu-files';
import { normalizeArabic } from '../src/nlu/normalize-arabic';
import { buildUnderstanding, type IntentsFile, type Understanding, type UnderstandingResult } from '../src/nlu/understanding';

const projectRoot = path.resolve(__dirname, '..');
const flowsDir = path.join(projectRoot, 'flows');
/** The shared development set, when this checkout sits next to it; otherwise the built-in messages below. */
const devSetFile = path.join(__dirname, '../../shared/eval/nlu-dev.jsonl');

export const FAQ_SCALE = 100;
/** Every message is timed this many times; with the 150-line dev set that is 3,000 samples per configuration. */
const PASSES = 20;
const WARM_UP_PASSES = 3;

/**
 * Used when the dev set is absent: varied, labelled messages (dialect, MSA, Arabizi, English, a reference number,
 * crises, keyboard mash), so that latency and the side-by-side eval still run — on far fewer messages.
 */
const builtInMessages: EvalExample[] = [
  { text: 'السلام عليكم', intent: 'greeting' },
  { text: 'جزاكم الله خير 🌹', intent: 'greeting' },
  { text: 'ابي اقدم على مساعدة للبيت', intent: 'apply_support' },
  { text: 'abi asajel 3ndkom kef', intent: 'apply_support' },
  { text: 'وش الأوراق المطلوبة للتسجيل؟', intent: 'required_documents' },
  { text: 'لازم صك الطلاق ولا تكفي الهويه؟', intent: 'required_documents' },
  { text: 'طلبي REQ-10482 وش صار عليه', intent: 'request_status' },
  { text: 'Any update on my application? ref REQ-22917', intent: 'request_status' },
  { text: 'كم ياخذ الطلب وقت عشان ينرد علي؟', intent: 'processing_time' },
  { text: 'متى يطلع رد اللجنة عادة', intent: 'processing_time' },
  { text: 'ابي اكلم موظف', intent: 'talk_to_human' },
  { text: 'انت رد آلي؟ ابغى انسان حقيقي', intent: 'talk_to_human' },
  { text: 'كل ما اتصل محد يرد 😡😡', intent: 'complaint' },
  { text: 'عندي شكوى على الموظف ما احترمني', intent: 'complaint' },
  { text: 'ابي اقيم الخدمه', intent: 'rate_service' },
  { text: 'ودي اساعد في توزيع السلال بالعيد', intent: 'volunteer' },
  { text: 'how can I volunteer with you', intent: 'volunteer' },
  { text: 'تفتحون يوم السبت؟', intent: 'contact_info' },
  { text: 'وين مقركم بالضبط', intent: 'contact_info' },
  { text: 'انولد لي ولد الشهر اللي فات ابي اضيفه في الملف', intent: 'update_data' },
  { text: 'غيرت رقم جوالي', intent: 'update_data' },
  { text: 'انا مقيم مو سعودي، اقدر اسجل؟', intent: 'eligibility' },
  { text: 'عندكم مساعدات ايجار؟', intent: 'aid_types' },
  { text: 'what kinds of aid do you offer', intent: 'aid_types' },
  { text: 'كم سعر الذهب اليوم', intent: 'unclear' },
  { text: 'asdkjh qwe', intent: 'unclear' },
  { text: 'ابي اتبرع بمبلغ لكم كيف؟', intent: 'unclear' },
  { text: 'زوجي يضربني وانا خايفه', intent: 'urgent_human' },
  { text: 'ما عندنا اكل والعيال جوعانين من امس', intent: 'urgent_human' },
  { text: 'تعبت من الدنيا وما ابي اعيش', intent: 'urgent_human' },
];

type Scenario = 'wasl-shipped' | 'wasl-scaled' | 'nlpjs';

interface Percentiles {
  p50: number;
  p99: number;
  mean: number;
  max: number;
  samples: number;
}

/** What one child process measures. */
interface ScenarioResult {
  scenario: Scenario;
  faqEntries: number;
  faqQuestions: number;
  trainingLines: number;
  buildMs: number;
  /** Heap still held after a full GC once the model is built, minus the heap before building it. */
  heapRetainedBytes: number;
  rssAfterBuildBytes: number;
  rssPeakBytes: number;
  latencyMs: Percentiles;
  /** Process CPU time per call: what the call itself costs, unaffected by other work on a busy machine. */
  cpuMs: Percentiles;
  eval: Pick<EvalReport, 'accuracy' | 'macroF1' | 'handoffRecall' | 'falseHandoff' | 'urgentRecall'> | null;
}

function messages(): { examples: EvalExample[]; source: string } {
  if (existsSync(devSetFile)) {
    return { examples: parseEvalJsonl(readFileSync(devSetFile, 'utf8'), devSetFile), source: 'shared/eval/nlu-dev.jsonl' };
  }
  return { examples: builtInMessages, source: `${builtInMessages.length} built-in messages (dev set not found)` };
}

/** The organisation profile's `handoff` section, as `npm run nlu:eval` reads it, so the two print the same numbers. */
function handoffPolicy(): HandoffPolicy {
  const file = path.join(flowsDir, 'organisation.yaml');
  const profile: unknown = existsSync(file) ? parse(readFileSync(file, 'utf8')) : {};
  return handoffPolicySchema.parse((profile as { handoff?: unknown } | null)?.handoff ?? {});
}

/** Deterministic, so two runs time the same index. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Words an organisation's own questions would plausibly add; none is a crisis word, so scaling cannot make
// the urgent safety net fire differently.
const FILLERS = ['لو سمحت', 'الله يعافيك', 'يا اخوان', 'الحين', 'بالله', 'عندكم', 'please', 'ممكن', 'اخوي', 'بالجمعيه'];

/** One plausible rewording: a filler word, a swapped pair, a dropped letter or a doubled letter. */
function perturb(question: string, random: () => number): string {
  const words = question.split(' ');
  const pick = (n: number) => Math.floor(random() * n);
  switch (pick(4)) {
    case 0:
      words.splice(pick(words.length + 1), 0, FILLERS[pick(FILLERS.length)]!);
      break;
    case 1:
      if (words.length > 1) {
        const i = pick(words.length - 1);
        [words[i], words[i + 1]] = [words[i + 1]!, words[i]!];
      }
      break;
    case 2: {
      const i = pick(words.length);
      const w = words[i]!;
      if (w.length > 3) {
        const at = 1 + pick(w.length - 2);
        words[i] = w.slice(0, at) + w.slice(at + 1);
      }
      break;
    }
    default: {
      const i = pick(words.length);
      const w = words[i]!;
      const at = pick(w.length);
      words[i] = w.slice(0, at + 1) + w.slice(at);
    }
  }
  return words.join(' ');
}

/**
 * The FAQ `scale` times over: every entry becomes `scale` entries with distinct ids and reworded questions (same
 * intent, answer and source), so the FAQ index — and the FAQ questions that train the classifier — grow `scale`-fold.
 */
export function scaleFaq(faq: FaqFile, scale: number, seed = 11): FaqFile {
  const random = mulberry32(seed);
  const entries = faq.entries.flatMap((entry) =>
    Array.from({ length: scale }, (_, v) => ({
      ...entry,
      id: `${entry.id}-v${v + 1}`,
      questions: {
        ar: entry.questions.ar.map((q) => (v === 0 ? q : perturb(q, random))),
        en: entry.questions.en.map((q) => (v === 0 ? q : perturb(q, random))),
      },
    })),
  );
  return faqFileSchema.parse({ entries });
}

function trainingLineCount(intents: IntentsFile, faq: FaqFile): number {
  const fromIntents = Object.values(intents.intents).reduce((n, lines) => n + (lines?.length ?? 0), 0);
  const fromFaq = faq.entries.reduce((n, e) => n + (e.intent ? e.questions.ar.length + e.questions.en.length : 0), 0);
  return fromIntents + fromFaq;
}

/** The exact lines Wasl's classifier trains on: flows/intents.yaml plus the FAQ questions that name an intent. */
function trainingLines(intents: IntentsFile, faq: FaqFile): Array<{ intent: IntentName; text: string }> {
  const lines: Array<{ intent: IntentName; text: string }> = [];
  for (const e of faq.entries) if (e.intent) for (const text of [...e.questions.ar, ...e.questions.en]) lines.push({ intent: e.intent, text });
  for (const intent of intentNames) for (const text of intents.intents[intent] ?? []) lines.push({ intent, text });
  return lines;
}

function percentile(sorted: readonly number[], p: number): number {
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))]!;
}

function summary(samples: number[]): Percentiles {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    mean: sorted.reduce((s, x) => s + x, 0) / sorted.length,
    max: sorted.at(-1)!,
    samples: sorted.length,
  };
}

/** A full collection, so heap figures are what is really held, not garbage not yet collected. */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/** Times each call on its own (not a loop average), so p99 shows the slow messages. */
async function timeCalls(texts: readonly string[], call: (text: string) => unknown): Promise<{ wall: number[]; cpu: number[] }> {
  for (let i = 0; i < WARM_UP_PASSES; i++) for (const t of texts) await call(t);
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < PASSES; i++) {
    for (const t of texts) {
      const cpuStarted = process.cpuUsage();
      const started = performance.now();
      await call(t);
      wall.push(performance.now() - started);
      const used = process.cpuUsage(cpuStarted);
      cpu.push((used.user + used.system) / 1000);
    }
  }
  return { wall, cpu };
}

/**
 * NLP.js's stock NLU (`Nlp` with `LangAr`, default settings) on the same lines, wrapped as an Understanding so
 * `evaluateNlu` scores it with Wasl's routing: 'None' is `unclear`, urgency is only its own `urgent_human` (stock
 * NLP.js has no keyword safety net), and FAQ entries are picked by Wasl's FAQ matcher from NLP.js's intent, so the
 * comparison is of the classifiers alone. `Nlp.process` is async, so answers are computed ahead and looked up.
 */
async function trainNlpJs(lines: ReadonlyArray<{ intent: IntentName; text: string }>): Promise<Nlp> {
  const container = await containerBootstrap();
  container.use(LangAr);
  const nlp = new Nlp({ languages: ['ar'], nlu: { log: false }, autoSave: false, container });
  for (const l of lines) nlp.addDocument('ar', l.text, l.intent);
  await nlp.train();
  return nlp;
}

async function nlpJsUnderstanding(nlp: Nlp, faq: FaqFile, texts: readonly string[]): Promise<Understanding> {
  const faqMatcher = buildFaqMatcher(faq, normalizeArabic);
  const asIntent = (name: string): IntentName => ((intentNames as readonly string[]).includes(name) ? (name as IntentName) : 'unclear');
  const answers = new Map<string, UnderstandingResult>();
  for (const text of texts) {
    const r = await nlp.process('ar', text);
    const intent = asIntent(r.intent);
    const second = r.classifications.find((c) => asIntent(c.intent) !== intent);
    const urgent = intent === 'urgent_human';
    answers.set(text, {
      intent,
      confidence: r.score,
      runnerUp: second ? { intent: asIntent(second.intent), confidence: second.score } : null,
      faq: urgent ? null : faqMatcher.match(normalizeArabic(text), intent, r.score),
      entities: extractEntities(text),
      urgent,
    });
  }
  return {
    understand(text) {
      const a = answers.get(text);
      if (!a) throw new Error(`no NLP.js answer computed for "${text}"`);
      return a;
    },
  };
}

function evalFigures(report: EvalReport): NonNullable<ScenarioResult['eval']> {
  const { accuracy, macroF1, handoffRecall, falseHandoff, urgentRecall } = report;
  return { accuracy, macroF1, handoffRecall, falseHandoff, urgentRecall };
}

/** Runs one configuration in this process. */
export async function runScenario(scenario: Scenario): Promise<ScenarioResult> {
  const { intents, faq: shipped } = loadNluFiles(flowsDir);
  const faq = scenario === 'wasl-scaled' ? scaleFaq(shipped, FAQ_SCALE) : shipped;
  const policy = handoffPolicy();
  const { examples } = messages();
  const texts = examples.map((e) => e.text);

  collectGarbage();
  const heapBefore = process.memoryUsage().heapUsed;
  const started = performance.now();
  let model: Understanding | Nlp;
  if (scenario === 'nlpjs') model = await trainNlpJs(trainingLines(intents, faq));
  else model = await buildUnderstanding({ intents, faq, policy });
  const buildMs = performance.now() - started;
  collectGarbage();
  const heapRetainedBytes = process.memoryUsage().heapUsed - heapBefore;
  const rssAfterBuildBytes = process.memoryUsage().rss;

  let samples: { wall: number[]; cpu: number[] };
  let report: EvalReport | null = null;
  if (model instanceof Nlp) {
    const nlp = model;
    samples = await timeCalls(texts, (t) => nlp.process('ar', t));
    report = evaluateNlu(await nlpJsUnderstanding(nlp, faq, texts), examples, policy);
  } else {
    const understanding = model;
    samples = await timeCalls(texts, (t) => understanding.understand(t));
    // The scaled FAQ's reworded questions also train the classifier; its accuracy would measure the rewording.
    if (scenario === 'wasl-shipped') report = evaluateNlu(understanding, examples, policy);
  }
  return {
    scenario,
    faqEntries: faq.entries.length,
    faqQuestions: faq.entries.reduce((n, e) => n + e.questions.ar.length + e.questions.en.length, 0),
    trainingLines: trainingLineCount(intents, faq),
    buildMs,
    heapRetainedBytes,
    rssAfterBuildBytes,
    // The kernel's high-water mark: building is synchronous, so a sampling timer would never see its peak.
    rssPeakBytes: process.resourceUsage().maxRSS * 1024,
    latencyMs: summary(samples.wall),
    cpuMs: summary(samples.cpu),
    eval: report && evalFigures(report),
  };
}

function inChildProcess(scenario: Scenario): Promise<ScenarioResult> {
  return new Promise((resolve, reject) => {
    // The tsx loader travels in execArgv, so the child runs this same TypeScript file.
    const child = fork(__filename, ['--scenario', scenario], { execArgv: process.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let result: ScenarioResult | undefined;
    child.on('message', (m) => (result = m as ScenarioResult));
    child.on('error', reject);
    child.on('exit', (code) => (result ? resolve(result) : reject(new Error(`${scenario}: child exited with ${code} and no result`))));
  });
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const mb = (bytes: number) => fmt(bytes / 1024 / 1024, 1);
const ms = (x: number) => fmt(x, 3);

/** Runs the three configurations and returns the markdown report. */
export async function benchNlu(): Promise<string> {
  // Other work on the machine shows up as p99 latency, not as CPU time; the load average says how much there was.
  const loadBefore = os.loadavg();
  const shipped = await inChildProcess('wasl-shipped');
  const scaled = await inChildProcess('wasl-scaled');
  const nlpjs = await inChildProcess('nlpjs');
  const { examples, source } = messages();
  const target = 5;
  const out: string[] = [];

  out.push(`## Understanding module (bench/nlu.ts) — ${new Date().toISOString().slice(0, 10)}`, '');
  out.push(
    `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model.trim() ?? 'unknown CPU'}, Node ${process.version}. ` +
      `Load average before the run: ${loadBefore.map((x) => x.toFixed(1)).join(', ')}. ` +
      `Messages: ${source} (${examples.length}), each timed ${PASSES} times after ${WARM_UP_PASSES} warm-up passes.`,
    '',
  );
  out.push('### Latency per message and memory', '');
  const cols = [
    { name: 'Wasl, shipped FAQ', r: shipped },
    { name: `Wasl, FAQ ×${FAQ_SCALE}`, r: scaled },
    { name: 'NLP.js stock, shipped FAQ', r: nlpjs },
  ];
  const row = (figure: string, unit: string, value: (r: ScenarioResult) => string) =>
    out.push(`| ${figure} | ${unit} | ${cols.map((c) => value(c.r)).join(' | ')} |`);
  out.push(`| Figure | Unit | ${cols.map((c) => c.name).join(' | ')} |`, `|---|---|${cols.map(() => '---:').join('|')}|`);
  row('FAQ entries / questions', 'count', (r) => `${fmt(r.faqEntries)} / ${fmt(r.faqQuestions)}`);
  row('Training lines (intents.yaml + FAQ questions with an intent)', 'count', (r) => fmt(r.trainingLines));
  row('Build (train classifier, compile FAQ index)', 'ms', (r) => fmt(r.buildMs));
  row('Latency per message — p50', 'ms', (r) => ms(r.latencyMs.p50));
  row('Latency per message — p99', 'ms', (r) => ms(r.latencyMs.p99));
  row('Latency per message — mean', 'ms', (r) => ms(r.latencyMs.mean));
  row('Latency per message — max', 'ms', (r) => ms(r.latencyMs.max));
  row('CPU time per message — p50', 'ms', (r) => ms(r.cpuMs.p50));
  row('CPU time per message — p99', 'ms', (r) => ms(r.cpuMs.p99));
  row('Heap retained by the model (after GC)', 'MB', (r) => mb(r.heapRetainedBytes));
  row('Process RSS after build', 'MB', (r) => mb(r.rssAfterBuildBytes));
  row('Process RSS, peak (whole child process)', 'MB', (r) => mb(r.rssPeakBytes));
  out.push('');
  out.push(
    `Target (issue 3): p99 ≤ ${target} ms per message at FAQ ×${FAQ_SCALE} — ` +
      `${scaled.latencyMs.p99 <= target ? 'met' : 'NOT met'} (${ms(scaled.latencyMs.p99)} ms wall-clock; ${ms(scaled.cpuMs.p99)} ms CPU time).`,
    '',
  );

  out.push(`### Same eval, side by side (${source})`, '');
  out.push('| Model | accuracy | macro_f1 | handoff_recall | false_handoff | urgent_recall |', '|---|---:|---:|---:|---:|---:|');
  for (const c of [cols[0]!, cols[2]!]) {
    const e = c.r.eval!;
    out.push(`| ${c.name} | ${e.accuracy.toFixed(3)} | ${e.macroF1.toFixed(3)} | ${e.handoffRecall.toFixed(3)} | ${e.falseHandoff.toFixed(3)} | ${e.urgentRecall.toFixed(3)} |`);
  }
  out.push(
    '',
    'Both trained on the same lines and scored with the same routing policy (flows/organisation.yaml `handoff`); ' +
      "NLP.js's 'None' counts as `unclear`, it sees the raw text, and it has no urgent keyword safety net.",
  );
  return out.join('\n');
}

async function main(): Promise<void> {
  const at = process.argv.indexOf('--scenario');
  if (at >= 0) {
    const result = await runScenario(process.argv[at + 1] as Scenario);
    process.send?.(result);
    return;
  }
  console.log(`\n${await benchNlu()}`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
