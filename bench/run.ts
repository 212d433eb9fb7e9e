/**
 * `npm run bench`: measures the real pipeline (HTTP → ingest → BullMQ → engine drain → outbox → outbound worker)
 * on PGlite and on PostgreSQL, plus the engine and the understanding module alone. Prints one markdown table, then
 * bench/nlu.ts's tables; bench/README.md explains every figure. Not part of `npm test`: the numbers depend on the machine.
 *
 * Needs Redis (TEST_REDIS_URL, default 127.0.0.1:6379). PostgreSQL (TEST_DATABASE_URL) is skipped with a note
 * when it cannot be reached. BENCH_DB=pglite|postgres runs the pipeline on one database only.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import { loadContent } from '../src/content/load-content';
import { createCommandMatcher } from '../src/engine/commands';
import type { ConversationState } from '../src/engine/conversation-state';
import { runTurn, type ActionCall, type ActionResult, type EngineDeps } from '../src/engine/run-turn';
import { createFaqResponder } from '../src/faq/faq-responder';
import { createSealer } from '../src/identity/sealed-value';
import { buildUnderstanding } from '../src/nlu/understanding';
import type { DrainOutcome } from '../src/pipeline/drain-conversation';
import { ENGINE_QUEUE } from '../src/queue/queues';
import { contacts, conversations, messages } from '../src/store/schema';
import { createReplyRenderer } from '../src/templating/render-reply';
import { languages } from '../src/templating/template-catalog';
import { copyContent, useEchoMainMenu } from '../test/support/content-fixture';
import { projectRoot, startTestWasl, type DbKind, type TestWasl } from '../test/support/harness';
import { adminUrl } from '../test/support/postgres';
import { benchLoad } from './load';
import { benchNlu } from './nlu';

const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Sizes: small enough that both databases and the micro-benchmarks finish in about two minutes. */
const SINGLE_MESSAGES = 60;
const LOAD_CONVERSATIONS = 200;
const LOAD_MESSAGES_EACH = 10;
const MICRO_SECONDS = 3;

interface Row {
  figure: string;
  unit: string;
  values: Record<string, string>;
}
const rows: Row[] = [];
const notes: string[] = [];
function record(figure: string, unit: string, column: string, value: string): void {
  let row = rows.find((r) => r.figure === figure);
  if (!row) rows.push((row = { figure, unit, values: {} }));
  row.values[column] = value;
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const mb = (bytes: number) => `${fmt(bytes / 1024 / 1024, 1)}`;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))]!;
}

async function redisUsedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? NaN);
}

/** Peak resident set size of this process (which hosts Wasl) while `fn` runs. */
async function withPeakRss<T>(fn: () => Promise<T>): Promise<{ result: T; peakRss: number }> {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100);
  try {
    const result = await fn();
    return { result, peakRss: Math.max(peak, process.memoryUsage().rss) };
  } finally {
    clearInterval(timer);
  }
}

async function postgresReachable(): Promise<string | null> {
  const c = new Client({ connectionString: adminUrl, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    const r = await c.query<{ server_version: string }>('show server_version');
    return r.rows[0]!.server_version;
  } catch {
    return null;
  } finally {
    await c.end().catch(() => undefined);
  }
}

// ── the pipeline ─────────────────────────────────────────────────────────────

interface Sent {
  userId: string;
  text: string;
  postedAt: number;
  ackedAt: number;
}

async function post(wasl: TestWasl, userId: string, text: string): Promise<Sent> {
  const postedAt = Date.now();
  const res = await fetch(`${wasl.url}/api/cli/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${wasl.cliToken}` },
    body: JSON.stringify({ userId, messageId: randomUUID(), text }),
  });
  await res.arrayBuffer();
  if (res.status !== 202) throw new Error(`POST refused with ${res.status}`);
  return { userId, text, postedAt, ackedAt: Date.now() };
}

/** Waits until every inbound message is processed and no reply is still queued. */
async function settle(wasl: TestWasl, expectedInbound: number, timeoutMs = 120_000): Promise<number> {
  const db = wasl.database.db;
  const started = Date.now();
  for (;;) {
    const [counts] = await db
      .select({
        pendingIn: sql<number>`count(*) filter (where ${messages.direction} = 'in' and ${messages.status} = 'received')`.mapWith(Number),
        processedIn: sql<number>`count(*) filter (where ${messages.direction} = 'in' and ${messages.status} = 'processed')`.mapWith(Number),
        queuedOut: sql<number>`count(*) filter (where ${messages.direction} = 'out' and ${messages.status} = 'queued')`.mapWith(Number),
      })
      .from(messages);
    if (counts!.processedIn >= expectedInbound && counts!.pendingIn === 0 && counts!.queuedOut === 0) return Date.now();
    if (Date.now() - started > timeoutMs) throw new Error(`not settled after ${timeoutMs} ms: ${JSON.stringify(counts)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * End-to-end latency of each message: from the client starting its POST to the reply that answers it being
 * `sent` by the outbound worker. With the echo menu, the first message of a conversation is answered by the
 * menu prompt and every later one by "echo: <its text>".
 */
async function latencies(wasl: TestWasl, sent: Sent[]): Promise<number[]> {
  const db = wasl.database.db;
  const users = [...new Set(sent.map((s) => s.userId))];
  const out = await db
    .select({ userId: contacts.channelUserId, id: messages.id, text: messages.text, sentAt: messages.sentAt })
    .from(messages)
    .innerJoin(conversations, eq(conversations.id, messages.conversationId))
    .innerJoin(contacts, eq(contacts.id, conversations.contactId))
    .where(and(eq(messages.direction, 'out'), inArray(contacts.channelUserId, users)))
    .orderBy(asc(messages.id));
  const firstReply = new Map<string, number>();
  const echoReply = new Map<string, number>();
  for (const r of out) {
    if (!r.sentAt) continue;
    if (!firstReply.has(r.userId)) firstReply.set(r.userId, r.sentAt.getTime());
    if (r.text?.startsWith('echo: ')) echoReply.set(`${r.userId}\u0000${r.text.slice('echo: '.length)}`, r.sentAt.getTime());
  }
  const seen = new Set<string>();
  const result: number[] = [];
  for (const s of sent) {
    const answered = seen.has(s.userId) ? echoReply.get(`${s.userId}\u0000${s.text}`) : firstReply.get(s.userId);
    seen.add(s.userId);
    if (answered === undefined) throw new Error(`no sent reply for ${s.userId}: ${s.text}`);
    result.push(answered - s.postedAt);
  }
  return result.sort((a, b) => a - b);
}

async function benchPipeline(kind: DbKind, column: string): Promise<void> {
  const content = copyContent();
  useEchoMainMenu(content);
  const redis = new Redis(redisUrl);
  const redisBefore = await redisUsedMemory(redis);
  const bootStarted = performance.now();
  const wasl = await startTestWasl({ db: kind, flowsDir: content.flowsDir, templatesDir: content.templatesDir });
  record('Start-up (content, migrations, NLU training, workers)', 's', column, fmt((performance.now() - bootStarted) / 1000, 1));

  const engineWorker = wasl.workers.find((w) => w.name === ENGINE_QUEUE);
  const drains = { ok: 0, failed: 0, messages: 0 };
  engineWorker?.on('completed', (_job, outcome: DrainOutcome) => {
    drains.ok += 1;
    drains.messages += outcome?.processed ?? 0;
  });
  engineWorker?.on('failed', () => (drains.failed += 1));

  try {
    // 1 conversation: each message waits for its reply, so this is latency with an idle pipeline.
    const single: Sent[] = [];
    const user = `bench-one-${randomUUID().slice(0, 8)}`;
    for (let i = 0; i < SINGLE_MESSAGES; i++) {
      single.push(await post(wasl, user, `m${i}`));
      await settle(wasl, i + 1);
    }
    const one = await latencies(wasl, single);
    record('Latency, 1 conversation — p50', 'ms', column, fmt(percentile(one, 50)));
    record('Latency, 1 conversation — p95', 'ms', column, fmt(percentile(one, 95)));
    record('Latency, 1 conversation — p99', 'ms', column, fmt(percentile(one, 99)));

    // 200 conversations × 10 messages: every conversation posts its messages in order, all conversations at
    // once — a burst that saturates the pipeline, so latency here includes queueing.
    const drainsBefore = { ...drains };
    const { result: load, peakRss } = await withPeakRss(async () => {
      const started = Date.now();
      const sent: Sent[] = [];
      await Promise.all(
        Array.from({ length: LOAD_CONVERSATIONS }, async (_, c) => {
          const u = `bench-${c}-${randomUUID().slice(0, 6)}`;
          for (let i = 0; i < LOAD_MESSAGES_EACH; i++) sent.push(await post(wasl, u, `c${c}m${i}`));
        }),
      );
      const ingested = Date.now();
      const settled = await settle(wasl, SINGLE_MESSAGES + sent.length);
      return { started, ingested, settled, sent };
    });
    const total = load.sent.length;
    const many = await latencies(wasl, load.sent);
    record(`Ingest throughput (${LOAD_CONVERSATIONS}×${LOAD_MESSAGES_EACH} burst, engine running)`, 'msg/s', column, fmt(total / ((load.ingested - load.started) / 1000)));
    record(`Latency, ${LOAD_CONVERSATIONS} conversations — p50`, 'ms', column, fmt(percentile(many, 50)));
    record(`Latency, ${LOAD_CONVERSATIONS} conversations — p95`, 'ms', column, fmt(percentile(many, 95)));
    record(`Latency, ${LOAD_CONVERSATIONS} conversations — p99`, 'ms', column, fmt(percentile(many, 99)));
    record('Total throughput (messages answered and sent)', 'msg/s', column, fmt(total / ((load.settled - load.started) / 1000)));
    const loadDrains = drains.ok - drainsBefore.ok;
    record(`Drain transactions for ${fmt(total)} messages`, 'count', column, `${fmt(loadDrains)} (${fmt(total / Math.max(1, loadDrains), 1)} msg each)`);
    if (drains.failed) notes.push(`${column}: ${drains.failed} drain job(s) failed and were retried.`);
    record('Redis memory delta (queues after the run)', 'MB', column, mb((await redisUsedMemory(redis)) - redisBefore));
    record('Process RSS, peak during the burst', 'MB', column, mb(peakRss));
  } finally {
    await wasl.stop();
    redis.disconnect();
    content.cleanup();
  }
}

// ── the engine and the understanding module alone ────────────────────────────

async function benchMicro(column: string): Promise<void> {
  const content = loadContent({ flowsDir: path.join(projectRoot, 'flows'), templatesDir: path.join(projectRoot, 'templates') });
  const renderer = createReplyRenderer(content.templates, content.organisation);
  const understanding = await buildUnderstanding({ intents: content.intents, faq: content.faq });
  const faq = createFaqResponder(content.faq, renderer);
  const labelCache = new Map<string, string[]>();
  const runAction = async (call: ActionCall): Promise<ActionResult> => {
    if (call.name === 'requests.create') {
      return {
        outcome: 'created',
        outputs: { referenceNumber: 'REQ-10482', decisionDateHijri: 'x', decisionDateGregorian: 'y', decisionDays: 14, documentsList: '-', documentsCount: 0 },
      };
    }
    throw new Error(`unexpected action ${call.name}`);
  };
  const deps: EngineDeps = {
    flows: content.flows,
    commands: createCommandMatcher(content.commands),
    labelsOf: (key) => {
      let l = labelCache.get(key);
      if (!l) labelCache.set(key, (l = languages.map((lang) => renderer.text(key, lang, 'cli'))));
      return l;
    },
    understand: (text) => understanding.understand(text),
    faqReply: (id, lang) => faq.reply(id, lang),
    runAction,
    sealer: createSealer('a'.repeat(64)),
    defaultLanguage: content.organisation.defaultLanguage,
    thresholds: { intent: 0.55, faq: 0.6 },
  };
  // The whole intake, as a beneficiary types it: menu, ten answers, review, attestation, then back to the menu.
  const script = [
    'السلام عليكم', '1', 'محمد عبدالله الحربي', '١١٠١٢٣٤٥٦٣', '0501234567', 'الرياض', 'حي النسيم', '5', '3000', '2', '1',
    'نحتاج سلة غذائية للأسرة هذا الشهر بعد انقطاع الراتب', 'نعم', 'أقر', 'لاحقا', 'القائمة',
  ];
  let turns = 0;
  const deadline = performance.now() + MICRO_SECONDS * 1000;
  const started = performance.now();
  while (performance.now() < deadline) {
    let state: ConversationState = { frame: null, misses: 0 };
    for (const text of script) {
      state = (await runTurn(deps, state, { text, media: [] })).state;
      turns++;
    }
  }
  record('runTurn alone (real flows and NLU, intake script)', 'turns/s', column, fmt(turns / ((performance.now() - started) / 1000)));

  // Varied beneficiary messages: dialect, MSA, English, a reference number, a crisis, keyboard mash.
  const texts = [
    'السلام عليكم', 'ابي اقدم على مساعدة', 'وش الأوراق المطلوبة؟', 'متى يطلع رد اللجنة', 'طلبي REQ-10482 وش صار عليه',
    'ابغى اتطوع معكم', 'ابي اكلم موظف', 'زوجي يضربني', 'how can I apply for help', 'عندي شكوى على الموظف',
    'وين مقركم', 'ما عندنا اكل', 'asdkjh qwe', 'ممكن سلة غذائية', 'كم تاخذ الدراسة',
  ];
  let calls = 0;
  const uDeadline = performance.now() + MICRO_SECONDS * 1000;
  const uStarted = performance.now();
  while (performance.now() < uDeadline) {
    for (const t of texts) understanding.understand(t);
    calls += texts.length;
  }
  record('understand() alone (15 varied messages)', 'calls/s', column, fmt(calls / ((performance.now() - uStarted) / 1000)));
}

// ── main ─────────────────────────────────────────────────────────────────────

async function main(): Promise<void> {
  const started = performance.now();
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  const redisVersion = /redis_version:(\S+)/.exec(await redis.info('server'))?.[1] ?? '?';
  redis.disconnect();
  const pgVersion = await postgresReachable();
  // The package's exports map hides package.json from require(); read it from disk instead.
  const pgliteVersion = (JSON.parse(readFileSync(path.join(projectRoot, 'node_modules/@electric-sql/pglite/package.json'), 'utf8')) as { version: string }).version;

  const columns = ['PGlite', 'PostgreSQL'];
  // `npm run bench -- load`: the end-to-end load benchmark and its ceiling only (bench/load.ts).
  const loadOnly = process.argv.slice(2).includes('load');
  // BENCH_DB=pglite or =postgres runs one database only (e.g. under a profiler).
  const only = process.env.BENCH_DB;
  if (!loadOnly) {
    if (only !== 'postgres') await benchPipeline('pglite', 'PGlite');
    if (only === 'pglite') notes.push('PostgreSQL not run (BENCH_DB=pglite).');
    else if (pgVersion) await benchPipeline('postgres', 'PostgreSQL');
    else notes.push(`PostgreSQL skipped: ${adminUrl.replace(/\/\/[^@]*@/, '//…@')} is unreachable (set TEST_DATABASE_URL).`);
    await benchMicro('PGlite');
  }
  const load = await benchLoad(Boolean(pgVersion));
  rows.push(...load.rows);
  notes.push(...load.notes);
  // The micro-benchmarks touch no database: one figure serves both columns.
  for (const r of rows) if (r.values.PGlite && r.values.PostgreSQL === undefined && /alone/.test(r.figure)) r.values.PostgreSQL = '(same)';

  // The load benchmark adds a column of its own (its scale-out run).
  for (const r of rows) for (const c of Object.keys(r.values)) if (!columns.includes(c)) columns.push(c);
  const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
  console.log(`\n## Wasl benchmark — ${new Date().toISOString().slice(0, 10)}\n`);
  console.log(
    `Machine: ${os.cpus().length} × ${cpu}, ${fmt(os.totalmem() / 1024 ** 3, 1)} GB RAM, ${os.platform()} ${os.release()}; ` +
      `Node ${process.version}; Redis ${redisVersion}; PGlite ${pgliteVersion}; PostgreSQL ${pgVersion ?? 'not reached'}.`,
  );
  console.log(`Wasl defaults: ENGINE_CONCURRENCY and OUTBOUND_CONCURRENCY unset (64 each), echo main menu.\n`);
  console.log(`| Figure | Unit | ${columns.join(' | ')} |`);
  console.log(`|---|---|${columns.map(() => '---:').join('|')}|`);
  for (const r of rows) console.log(`| ${r.figure} | ${r.unit} | ${columns.map((c) => r.values[c] ?? '—').join(' | ')} |`);
  for (const n of notes) console.log(`\n> ${n}`);
  // The understanding module's own figures (latency at FAQ ×100, memory, NLP.js side by side): bench/nlu.ts.
  if (!loadOnly) console.log(`\n${await benchNlu()}`);
  console.log(`\nBench wall time: ${fmt((performance.now() - started) / 1000, 0)} s`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
