/**
 * End-to-end load through a real channel boundary, and its ceilings measured in the same run.
 *
 * - **Wasl**: LOAD_CONTACTS simulated beneficiaries (default 300) each send an opening message and then
 *   LOAD_MESSAGES_EACH Arabic messages (default 3), one after another (each after the answer to the last, unless
 *   LOAD_SHAPE=burst), through the website chat endpoint
 *   (`POST /api/web/messages`, the widget's own call) into the real pipeline: ingest → BullMQ engine job →
 *   drain → outbox → BullMQ outbound job → the web channel's send. Run on PostgreSQL with the roles split into
 *   processes of their own (so each role's CPU and memory are its own), and on PGlite in one process. Besides
 *   the rate, its cost: CPU per message answered, Wasl's processes + PostgreSQL's backends + Redis (the load
 *   driver apart: it is a process of its own, bench/load-driver.ts).
 * - **The ceiling, boundary echo**: the same two BullMQ hops with nothing between them, driven exactly as Wasl is
 *   — the same endpoint, the same `drive()` and reply watcher, the same contacts, messages, senders and shape,
 *   the answer handed over on the same Redis publish — with web, hop 1 (where the engine is) and hop 2 (where
 *   the outbound sender is) each a process of its own (bench/echo-process.ts). Wasl as a share of it is what
 *   our own layers (database, engine, outbox) cost; the target is ≥ 40 %. Its CPU per message by process.
 * - **Queue-only echo**: a bare BullMQ two-hop echo on the same Redis — ingest queue → worker → outbound queue →
 *   worker, no database, no engine, the same concurrencies, SENDERS producers inside this process adding jobs
 *   directly (no HTTP, no reply publish, nobody waiting for an answer). Its gap to Wasl also holds the channel
 *   boundary and the load shape; kept so that figure is not hidden.
 *
 * LOAD_ECHO=boundary|queue|both (default both) says which echo runs.
 *
 * `npm run bench -- load` runs this alone. 10k contacts: `LOAD_CONTACTS=10000 LOAD_MESSAGES_EACH=2 npm run bench
 * -- load` (a few minutes here); 100k: `LOAD_CONTACTS=100000 LOAD_MESSAGES_EACH=1` (a quarter of an hour or more
 * on 2 cores; raise LOAD_TIMEOUT_S). docs/performance.md has the figures and their reading.
 */
import { randomUUID } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { and, eq, like, sql } from 'drizzle-orm';
import { webChannel } from '../src/channels/web/web-channel';
import { conversations, messages } from '../src/store/schema';
import { inFlightLimits } from '../src/app/in-flight-limits';
import { loadEnv } from '../src/config/load-config';
import { copyContent, useEchoMainMenu, type ContentCopy } from '../test/support/content-fixture';
import { startTestWasl, type TestWasl } from '../test/support/harness';
import { killHard, startRoleProcess } from '../test/faults/support/role-child';
import { freePort } from '../test/support/free-port';
import { spawnUntilReady } from '../test/support/child-process';
import { CONTACTS, EACH, SENDERS, SHAPE, TIMEOUT_MS, redisUrl, startLoadDriver, type LoadDriver, type Sent } from './load-driver';
import { collectProfiles } from './role-profile';
import { gcPausesBetween } from './role-gc';

export interface LoadRow {
  figure: string;
  unit: string;
  values: Record<string, string>;
}

/** Passed to Wasl's roles only when set: unset, each role takes its database's default (src/app/in-flight-limits.ts). */
const concurrencyEnv = Object.fromEntries(
  (['ENGINE_CONCURRENCY', 'OUTBOUND_CONCURRENCY'] as const).flatMap((k) => (process.env[k] ? [[k, process.env[k]]] : [])),
);
/** The echoes run with what Wasl runs: the same jobs in flight at each hop. */
const { engineConcurrency: ENGINE_CONCURRENCY, outboundConcurrency: OUTBOUND_CONCURRENCY } = inFlightLimits(loadEnv(concurrencyEnv));
/** The load driver's CPU row: it runs in a process of its own, apart from Wasl and from the boundary echo. */
const DRIVER = 'load driver (a process of its own)';

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;

/** CPU seconds and peak RSS of a process and its descendants, from /proc (Linux). */
function procUsage(pid: number): { cpuS: number; peakRssMb: number } {
  let cpuS = ownCpuS(pid);
  let peakRssMb = ownPeakRssMb(pid);
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
  for (const child of children ? children.split(/\s+/).map(Number) : []) {
    const u = procUsage(child);
    cpuS += u.cpuS;
    peakRssMb = Math.max(peakRssMb, u.peakRssMb);
  }
  return { cpuS, peakRssMb };
}

/** utime + stime of one process (all its threads), in seconds; 0 once it has gone. */
function ownCpuS(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks of 1/100 s
  } catch {
    return 0;
  }
}

/** The most memory one process has held (VmHWM), in MB. */
const ownPeakRssMb = (pid: number) => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;

/**
 * CPU seconds of the PostgreSQL backends serving this run's database (the server is shared with other work on
 * the machine; only these backends are ours), keyed by pid so a backend's time is counted once.
 */
async function postgresBackendsCpu(wasl: TestWasl): Promise<Map<number, number>> {
  const r = await wasl.database.db.execute<{ pid: number }>(sql`select pid from pg_stat_activity where datname = current_database()`);
  const pids = (r as unknown as { rows: { pid: number }[] }).rows.map((row) => Number(row.pid));
  return new Map(pids.map((pid) => [pid, ownCpuS(pid)]));
}

/**
 * Starts counting the local Redis server's CPU (the bench and Redis share the machine): the function returned
 * gives the seconds it used since, or null when Redis runs elsewhere.
 */
async function redisCpuSince(): Promise<() => number | null> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  let pid: number;
  try {
    pid = Number(/process_id:(\d+)/.exec(await redis.info('server'))?.[1]);
  } finally {
    redis.disconnect();
  }
  if (!Number.isFinite(pid) || !(ownCpuS(pid) > 0)) return () => null;
  const before = ownCpuS(pid);
  return () => ownCpuS(pid) - before;
}

const cpuDelta = (before: Map<number, number>, after: Map<number, number>) =>
  [...after].reduce((sum, [pid, s]) => sum + s - (before.get(pid) ?? 0), 0);


/** Replies each conversation got more than once, and replies that reached a beneficiary before an earlier one's. */
async function deliveryCheck(wasl: TestWasl): Promise<{ duplicated: number; outOfOrder: number; unanswered: number }> {
  const r = await wasl.database.db.execute(sql`
    with i as (select conversation_id, text, seq from messages where direction = 'in' and (text like '% #%' or text like '% @%')),
         o as (select conversation_id, substr(text, 7) as text, sent_at from messages where direction = 'out' and text like 'echo: %'),
         j as (select i.conversation_id, i.seq, o.sent_at from i join o using (conversation_id, text)),
         ordered as (select sent_at, lag(sent_at) over (partition by conversation_id order by seq) as before from j)
    select (select count(*) from (select 1 from o group by conversation_id, text having count(*) > 1) d)::int as duplicated,
           (select count(*) from ordered where before > sent_at)::int as out_of_order,
           ((select count(*) from i) - (select count(distinct (conversation_id, text)) from o))::int as unanswered`);
  const row = (r as unknown as { rows: { duplicated: number; out_of_order: number; unanswered: number }[] }).rows[0]!;
  return { duplicated: Number(row.duplicated), outOfOrder: Number(row.out_of_order), unanswered: Number(row.unanswered) };
}

/**
 * When nothing is left to do: no inbound message waiting for the engine, no reply waiting to be sent. Asked of
 * the two partial indexes only — counting the sent echoes scanned the whole table ten times a second, which at
 * 10k contacts was most of PostgreSQL's CPU in the run and slowed what it measured.
 */
async function settled(wasl: TestWasl): Promise<number> {
  const started = Date.now();
  for (;;) {
    const r = await wasl.database.db.execute(sql`
      select exists (select 1 from messages where direction = 'in' and status = 'received')
          or exists (select 1 from messages where direction = 'out' and status = 'queued') as busy`);
    if (!(r as unknown as { rows: { busy: boolean }[] }).rows[0]!.busy) return Date.now();
    if (Date.now() - started > TIMEOUT_MS) throw new Error(`messages still waiting after ${TIMEOUT_MS} ms`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

async function latencies(wasl: TestWasl, sent: Sent[]): Promise<number[]> {
  const rows = await wasl.database.db
    .select({ text: messages.text, sentAt: messages.sentAt })
    .from(messages)
    .where(and(eq(messages.direction, 'out'), like(messages.text, 'echo: %')));
  const at = new Map(rows.map((r) => [r.text!.slice('echo: '.length), r.sentAt!.getTime()]));
  return sent.map((s) => (at.get(s.text) ?? NaN) - s.postedAt).sort((a, b) => a - b);
}

/**
 * A percentile of each stage's time: stored → processed by the engine (queue + drain), and reply written →
 * sent by the outbound worker. `only` narrows both to one phase's messages by their text (the open loop's carry
 * ` @`), to say where that phase's tail comes from.
 */
async function stagePercentile(wasl: TestWasl, fraction: number, only?: { inbound: string; outbound: string }): Promise<{ engine: number; outbound: number }> {
  const inbound = only ? sql`and text like ${only.inbound}` : sql`and processed_at is not null`;
  const outbound = only ? sql`and text like ${only.outbound}` : sql`and sent_at is not null`;
  const r = await wasl.database.db.execute<{ engine: string; outbound: string }>(sql`
    select
      (select percentile_cont(${fraction}::float8) within group (order by extract(epoch from processed_at - created_at) * 1000)
         from messages where direction = 'in' ${inbound})::text as engine,
      (select percentile_cont(${fraction}::float8) within group (order by extract(epoch from sent_at - created_at) * 1000)
         from messages where direction = 'out' ${outbound})::text as outbound`);
  const row = (r as unknown as { rows: { engine: string; outbound: string }[] }).rows[0]!;
  return { engine: Number(row.engine), outbound: Number(row.outbound) };
}

/**
 * Where the open loop's slowest 1 % spent their time, as medians over those messages: posted → stored (HTTP,
 * limits, ingest), stored → processed (drain queue and drain), processed → reply written, reply written → sent
 * (send queue and send). And how many distinct half-seconds they were posted in: a few means stalls (a pause,
 * a checkpoint), many means the tail is spread through the phase.
 */
async function tailComposition(wasl: TestWasl, sent: Sent[]): Promise<TailComposition> {
  const r = await wasl.database.db.execute<{ text: string; stored: string; processed: string; written: string; sent: string }>(sql`
    select i.text,
           extract(epoch from i.created_at) * 1000 as stored, extract(epoch from i.processed_at) * 1000 as processed,
           extract(epoch from o.created_at) * 1000 as written, extract(epoch from o.sent_at) * 1000 as sent
    from messages i join messages o on o.conversation_id = i.conversation_id and o.direction = 'out' and o.text = 'echo: ' || i.text
    where i.direction = 'in' and i.text like '% @%' and o.sent_at is not null`);
  const at = new Map((r as unknown as { rows: { text: string; stored: string; processed: string; written: string; sent: string }[] }).rows.map((row) => [row.text, row]));
  const timed = sent.flatMap((s) => {
    const row = at.get(s.text);
    if (!row) return [];
    const [stored, processed, written, sentAt] = [row.stored, row.processed, row.written, row.sent].map(Number) as [number, number, number, number];
    return [{ postedAt: s.postedAt, total: sentAt - s.postedAt, ingest: stored - s.postedAt, engine: processed - stored, write: written - processed, send: sentAt - written }];
  });
  const slowest = timed.sort((a, b) => b.total - a.total).slice(0, Math.max(1, Math.ceil(timed.length / 100)));
  const median = (pick: (t: (typeof timed)[number]) => number) => pct(slowest.map(pick).sort((a, b) => a - b), 50);
  return {
    count: slowest.length,
    ingest: median((t) => t.ingest),
    engine: median((t) => t.engine),
    write: median((t) => t.write),
    send: median((t) => t.send),
    halfSeconds: new Set(slowest.map((t) => Math.floor(t.postedAt / 500))).size,
  };
}

interface TailComposition {
  count: number;
  ingest: number;
  engine: number;
  write: number;
  send: number;
  halfSeconds: number;
}

export interface LoadResult {
  engineP50: number;
  outboundP50: number;
  ingestPerS: number;
  msgPerS: number;
  repliesPerS: number;
  /** Inbound messages a drain took on average: 1 when nobody writes again before being answered. */
  perDrain: number;
  /** GC pauses of 5 ms or more per role during the open loop (BENCH_GC_DIR). */
  gc?: string | undefined;
  p50: number;
  p95: number;
  p99: number;
  roles: Record<string, { cpuS: number; peakRssMb: number }>;
  dbBytesPer10k: number;
  /** Write-ahead log written per message answered in the saturating phase. */
  walBytesPerMessage: number;
  /** The open-loop phase at half the measured throughput. */
  half: { housekeeping: Housekeeping | undefined; perS: number; count: number; p50: number; p95: number; p99: number; engineP99: number; outboundP99: number; tail: TailComposition };
  delivery: { duplicated: number; outOfOrder: number; unanswered: number };
  /**
   * PGlite: the share of each phase its thread was working (1: the database was the limit), and the process's own
   * thread's, which runs every role there.
   */
  threadsBusy?: Record<keyof Omit<BusyReading, 'at'>, { saturating: number; openLoop: number }> | undefined;
}

interface BusyReading {
  /** The embedded database thread's working seconds. */
  busyS: number;
  /** This process's own thread's (its event loop's) active seconds. */
  ownS: number;
  at: number;
}
/** The working seconds of PGlite's thread and of this process's own at a moment, to take the share of a phase each was busy. */
function threadBusyReading(wasl: TestWasl): BusyReading | null {
  const busy = wasl.database.threadBusySeconds;
  return busy ? { busyS: busy(), ownS: performance.eventLoopUtilization().active / 1000, at: Date.now() } : null;
}
const busyShare = (from: BusyReading, to: BusyReading, of: 'busyS' | 'ownS') => (to[of] - from[of]) / ((to.at - from.at) / 1000);

interface Housekeeping {
  /** Share of samples in which an autovacuum worker was busy in this run's database. */
  autovacuumShare: number;
  /** Checkpoints the server started (server-wide). */
  checkpoints: number;
}

/**
 * What PostgreSQL did for itself during the open loop — autovacuum cleaning up after the saturating phase's
 * updates, checkpoints flushing its writes — which is where a tail there tends to come from.
 */
function watchDatabaseHousekeeping(wasl: TestWasl): { stop(): Promise<Housekeeping> } {
  const db = wasl.database.db;
  const checkpoints = async () => {
    const r = await db.execute(sql`select (checkpoints_timed + checkpoints_req)::int as n from pg_stat_bgwriter`);
    return Number((r as unknown as { rows: { n: number }[] }).rows[0]!.n);
  };
  const startedAt = checkpoints();
  let samples = 0;
  let busy = 0;
  let running = true;
  const sampling = (async () => {
    while (running) {
      const r = await db.execute(
        sql`select count(*)::int as n from pg_stat_activity where backend_type = 'autovacuum worker' and datname = current_database()`,
      );
      samples++;
      if (Number((r as unknown as { rows: { n: number }[] }).rows[0]!.n) > 0) busy++;
      await new Promise((res) => setTimeout(res, 200));
    }
  })();
  return {
    async stop() {
      running = false;
      await sampling;
      return { autovacuumShare: samples ? busy / samples : 0, checkpoints: (await checkpoints()) - (await startedAt) };
    },
  };
}

/** How long the open-loop phase at half the throughput lasts. */
const OPEN_LOOP_S = Number(process.env.LOAD_OPEN_LOOP_S ?? 20);
/**
 * A fixed rate for the open loop instead of half the measured maximum (LOAD_OPEN_LOOP_RATE, msg/s): to compare two
 * versions of Wasl at the same load, when one's maximum moved.
 */
const OPEN_LOOP_RATE = process.env.LOAD_OPEN_LOOP_RATE ? Number(process.env.LOAD_OPEN_LOOP_RATE) : null;
if (OPEN_LOOP_RATE !== null && !(OPEN_LOOP_RATE > 0)) throw new Error(`LOAD_OPEN_LOOP_RATE must be a positive number of messages a second, not "${process.env.LOAD_OPEN_LOOP_RATE}"`);

const webEnv = { WEB_CHAT_IP_REQUESTS_PER_MINUTE: '100000', WEB_CHAT_MESSAGES_PER_MINUTE: '10000', WEB_CHAT_DEMO_PAGE: 'false' };

/** `processes`: how many engine and how many outbound processes beside the web one (PostgreSQL only). */
async function runWasl(kind: 'postgres' | 'pglite', content: ContentCopy, processes = 1): Promise<LoadResult> {
  const split = kind === 'postgres';
  const wasl = await startTestWasl({
    db: kind,
    roles: split ? 'web' : 'web,engine,outbound',
    flowsDir: content.flowsDir,
    templatesDir: content.templatesDir,
    extraEnv: { ...webEnv, ...concurrencyEnv },
    options: { channelModules: [webChannel], sweeper: false },
  });
  const children: { role: string; child: ChildProcess }[] = [];
  // Split, the web role runs in a child of its own too, so its CPU is its own (this process only watches the run).
  let url = wasl.url!;
  let driver: LoadDriver | undefined;
  try {
    if (split) {
      const webPort = await freePort();
      url = `http://127.0.0.1:${webPort}`;
      const roleNames = ['web', ...['engine', 'outbound'].flatMap((role) => Array.from({ length: processes }, (_, i) => (processes > 1 ? `${role} ${i + 1}` : role)))];
      for (const name of roleNames) {
        const role = name.split(' ')[0]!;
        const child = await startRoleProcess({
          ...webEnv,
          REDIS_URL: redisUrl,
          DATABASE_URL: wasl.databaseUrl!,
          QUEUE_PREFIX: wasl.prefix,
          ROLES: role,
          FLOWS_DIR: content.flowsDir,
          TEMPLATES_DIR: content.templatesDir,
          DATA_DIR: wasl.dataDir,
          ...concurrencyEnv,
          FAULT_LOCK_MS: '30000',
          ...(role === 'web' ? { PORT: String(webPort), HOST: '127.0.0.1', CLI_CHANNEL_ENABLED: 'false' } : {}),
        });
        children.push({ role: name, child });
      }
    }
    driver = await startLoadDriver();
    // On PGlite, Wasl is this process (its database thread included); its children, the driver and the role
    // processes, are counted on rows of their own. Keyed apart from the roles: a role named 'web' must not
    // overwrite this process's own starting figure.
    const selfBefore = ownCpuS(process.pid);
    const driverBefore = ownCpuS(driver.pid);
    const before = new Map<string, number>(children.map((c) => [c.role, procUsage(c.child.pid!).cpuS] as [string, number]));
    const dbBefore = await dbBytes(wasl);
    const walBefore = await walPosition(wasl);
    const pgBefore = split ? await postgresBackendsCpu(wasl) : new Map<number, number>();
    const redisCpu = await redisCpuSince();
    const saturatingFrom = threadBusyReading(wasl);
    const load = await driver.drive({ url, prefix: wasl.prefix, waitForAnswers: SHAPE === 'conversation' });
    const done = await settled(wasl);
    const saturatingTo = threadBusyReading(wasl);
    const lat = await latencies(wasl, load.sent);
    const median = await stagePercentile(wasl, 0.5);
    const roles: LoadResult['roles'] = {};
    if (!split) roles['web+engine+outbound (one process)'] = { cpuS: ownCpuS(process.pid) - selfBefore, peakRssMb: ownPeakRssMb(process.pid) };
    roles[DRIVER] = { cpuS: ownCpuS(driver.pid) - driverBefore, peakRssMb: ownPeakRssMb(driver.pid) };
    for (const c of children) {
      const u = procUsage(c.child.pid!);
      roles[c.role] = { cpuS: u.cpuS - before.get(c.role)!, peakRssMb: u.peakRssMb };
    }
    if (split) roles['PostgreSQL server (this database\'s backends)'] = { cpuS: cpuDelta(pgBefore, await postgresBackendsCpu(wasl)), peakRssMb: NaN };
    const redisS = redisCpu();
    if (redisS !== null) roles['Redis server'] = { cpuS: redisS, peakRssMb: NaN };
    const [conv] = await wasl.database.db.select({ n: sql<number>`count(*)`.mapWith(Number) }).from(conversations);
    const dbAfter = await dbBytes(wasl);
    const walBytesPerMessage = ((await walPosition(wasl)) - walBefore) / (CONTACTS * (EACH + 1));
    // Every message a person sent was answered — the first one (which opens the echo flow, with four replies)
    // as much as the echoes — so all of them count, as every job counts in the echo. (Until 2026-12-04 only the
    // echoes were counted: 3 of 4 messages at the default load.)
    const posted = CONTACTS * (EACH + 1);
    const seconds = (done - load.started) / 1000;
    const msgPerS = posted / seconds;
    const repliesPerS = (await wasl.database.db.$count(messages, and(eq(messages.direction, 'out'), eq(messages.status, 'sent')))) / seconds;
    const perDrain = await messagesPerDrain(wasl);
    // The latency target is stated at half the maximum: an open-loop load at that rate, on the same Wasl.
    const halfPerS = OPEN_LOOP_RATE ?? msgPerS / 2;
    const halfCount = Math.max(50, Math.round(halfPerS * OPEN_LOOP_S));
    const watch = split ? watchDatabaseHousekeeping(wasl) : null;
    const openLoopFrom = Date.now();
    const openLoopBusyFrom = threadBusyReading(wasl);
    const halfSent = await driver.atRate({ url, devices: load.devices, perS: halfPerS, count: halfCount });
    await settled(wasl);
    const openLoopTo = Date.now();
    const openLoopBusyTo = threadBusyReading(wasl);
    let gc: string | undefined;
    if (process.env.BENCH_GC_DIR) {
      await new Promise((r) => setTimeout(r, 2500)); // each role rewrites its file every 2 s
      gc = children
        .map((c) => {
          const g = gcPausesBetween(process.env.BENCH_GC_DIR!, c.role.split(' ')[0]!, c.child.pid!, openLoopFrom, openLoopTo);
          return `${c.role} ${g.count} (longest ${fmt(g.longestMs)} ms)`;
        })
        .join(', ');
    }
    const housekeeping = await watch?.stop();
    const halfLat = await latencies(wasl, halfSent);
    const halfStages = await stagePercentile(wasl, 0.99, { inbound: '% @%', outbound: 'echo: % @%' });
    const tail = await tailComposition(wasl, halfSent);
    return {
      gc,
      threadsBusy:
        saturatingFrom && saturatingTo && openLoopBusyFrom && openLoopBusyTo
          ? Object.fromEntries(
              (['busyS', 'ownS'] as const).map((of) => [
                of,
                { saturating: busyShare(saturatingFrom, saturatingTo, of), openLoop: busyShare(openLoopBusyFrom, openLoopBusyTo, of) },
              ]),
            ) as NonNullable<LoadResult['threadsBusy']>
          : undefined,
      half: { housekeeping, perS: halfPerS, count: halfCount, p50: pct(halfLat, 50), p95: pct(halfLat, 95), p99: pct(halfLat, 99), engineP99: halfStages.engine, outboundP99: halfStages.outbound, tail },
      delivery: await deliveryCheck(wasl),
      engineP50: median.engine,
      outboundP50: median.outbound,
      ingestPerS: posted / ((load.ingested - load.started) / 1000),
      msgPerS,
      repliesPerS,
      perDrain,
      p50: pct(lat, 50),
      p95: pct(lat, 95),
      p99: pct(lat, 99),
      roles,
      dbBytesPer10k: ((dbAfter - dbBefore) / Math.max(1, conv!.n)) * 10_000,
      walBytesPerMessage,
    };
  } finally {
    if (process.env.BENCH_PROFILE_DIR) await collectProfiles(children.map((c) => c.child));
    for (const c of children) await killHard(c.child);
    await driver?.stop();
    await wasl.stop();
  }
}

/** A drain marks its batch processed with one timestamp: distinct (conversation, time) pairs are drains. */
async function messagesPerDrain(wasl: TestWasl): Promise<number> {
  const r = await wasl.database.db.execute<{ n: string; drains: string }>(sql`
    select count(*)::text as n, count(distinct (conversation_id, processed_at))::text as drains
    from messages where direction = 'in' and status = 'processed'`);
  const row = (r as unknown as { rows: { n: string; drains: string }[] }).rows[0]!;
  return Number(row.n) / Math.max(1, Number(row.drains));
}

/** Tables and indexes of this database (PGlite is PostgreSQL too); its write-ahead log is not data. */
async function dbBytes(wasl: TestWasl): Promise<number> {
  const r = await wasl.database.db.execute<{ size: string }>(sql`select pg_database_size(current_database())::text as size`);
  return Number((r as unknown as { rows: { size: string }[] }).rows[0]!.size);
}

/**
 * Where the write-ahead log stands, in bytes. Server-wide on PostgreSQL: the benchmark's database is the only one
 * written while it runs.
 */
async function walPosition(wasl: TestWasl): Promise<number> {
  const r = await wasl.database.db.execute<{ at: string }>(sql`select pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')::text as at`);
  return Number((r as unknown as { rows: { at: string }[] }).rows[0]!.at);
}

/** Which echoes run (LOAD_ECHO): the boundary echo, the queue-only echo, or both (the default). */
const ECHOES = ['boundary', 'queue', 'both'] as const;
const ECHO = (process.env.LOAD_ECHO ?? 'both') as (typeof ECHOES)[number];
if (!ECHOES.includes(ECHO)) throw new Error(`LOAD_ECHO must be one of ${ECHOES.join(', ')}, not "${ECHO}"`);

interface EchoResult {
  msgPerS: number;
  p50: number;
  p99: number;
  /** CPU seconds over the run, by process, and of the Redis server when it is local. */
  cpuS: Record<string, number>;
  /** What the run's CPU is divided by for a cost per message. */
  messages: number;
}

/** CPU seconds spent over a run → ms per message. */
const cpuMsPerMessage = (cpuS: number, messages: number) => (1000 * cpuS) / messages;

/** Removes an echo's queues (their ids, meta and event streams) from the shared Redis. */
async function obliterateEchoQueues(prefix: string): Promise<void> {
  const connection = { url: redisUrl, maxRetriesPerRequest: null } as const;
  for (const name of ['ingest', 'outbound']) {
    const queue = new Queue(name, { connection, prefix });
    await queue.obliterate({ force: true });
    await queue.close();
  }
}

/**
 * The queue-only echo: two BullMQ hops and nothing else, same concurrencies, SENDERS producers in this process
 * adding `total` jobs directly — no HTTP, no reply publish, nobody waiting for an answer.
 */
async function runQueueEcho(total: number): Promise<EchoResult> {
  const prefix = `bench-echo-${randomUUID().slice(0, 8)}`;
  const connection = { url: redisUrl, maxRetriesPerRequest: null } as const;
  const ingest = new Queue('ingest', { connection, prefix });
  const outbound = new Queue('outbound', { connection, prefix });
  const latency: number[] = [];
  let done = 0;
  let finish!: () => void;
  const finished = new Promise<void>((r) => (finish = r));
  const w1 = new Worker(
    'ingest',
    async (job) => {
      await outbound.add('send', job.data, { removeOnComplete: true });
    },
    { connection, prefix, concurrency: ENGINE_CONCURRENCY, removeOnComplete: { count: 0 } },
  );
  const w2 = new Worker(
    'outbound',
    async (job) => {
      latency.push(Date.now() - (job.data as { at: number }).at);
      if (++done === total) finish();
    },
    { connection, prefix, concurrency: OUTBOUND_CONCURRENCY, removeOnComplete: { count: 0 } },
  );
  await Promise.all([w1.waitUntilReady(), w2.waitUntilReady()]);
  const redisCpu = await redisCpuSince();
  const selfBefore = ownCpuS(process.pid);
  const started = Date.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: SENDERS }, async () => {
      for (let i = next++; i < total; i = next++) await ingest.add('in', { i, at: Date.now() }, { removeOnComplete: true });
    }),
  );
  await finished;
  const elapsed = (Date.now() - started) / 1000;
  const cpuS: Record<string, number> = { 'this process (producers and both workers)': ownCpuS(process.pid) - selfBefore };
  const redisS = redisCpu();
  if (redisS !== null) cpuS['Redis server'] = redisS;
  await Promise.all([w1.close(), w2.close(), ingest.close(), outbound.close()]);
  await obliterateEchoQueues(prefix);
  latency.sort((a, b) => a - b);
  return { msgPerS: total / elapsed, p50: pct(latency, 50), p99: pct(latency, 99), cpuS, messages: total };
}

/** One part of the boundary echo as a child process (bench/echo-process.ts), resolved once it says "ready". */
function startEchoProcess(env: Record<string, string>): Promise<ChildProcess> {
  return spawnUntilReady('bench/echo-process.ts', {
    ...process.env,
    REDIS_URL: redisUrl,
    ENGINE_CONCURRENCY: String(ENGINE_CONCURRENCY),
    OUTBOUND_CONCURRENCY: String(OUTBOUND_CONCURRENCY),
    ...env,
  });
}

/**
 * The boundary echo: the two hops of the queue-only echo behind Wasl's endpoint and answered on Wasl's reply
 * publish, each part a process of its own, driven by the same `drive()` and watcher as Wasl. What Wasl does
 * beyond it — the database, the engine, the outbox — is what its share of this echo leaves out.
 */
async function runBoundaryEcho(): Promise<EchoResult> {
  const prefix = `bench-echo-${randomUUID().slice(0, 8)}`;
  const port = await freePort();
  const children: { name: string; child: ChildProcess }[] = [];
  let driver: LoadDriver | undefined;
  try {
    // The consumers first, so the endpoint takes no message before the hops are there to carry it.
    const parts = [
      ['hop 2 (in the outbound sender\'s place)', 'hop2'],
      ['hop 1 (in the engine\'s place)', 'hop1'],
      ['web', 'web'],
    ] as const;
    for (const [name, role] of parts) children.push({ name, child: await startEchoProcess({ ECHO_ROLE: role, ECHO_PREFIX: prefix, PORT: String(port) }) });
    // Reported in the order a message goes through them.
    children.reverse();
    driver = await startLoadDriver();
    const redisCpu = await redisCpuSince();
    const driverBefore = ownCpuS(driver.pid);
    const before = new Map(children.map((c) => [c.name, procUsage(c.child.pid!).cpuS]));
    const messages = CONTACTS * (EACH + 1);
    // The driver watches the replies in the burst shape too: it counts them, so the clock stops at the last one.
    const load = await driver.drive({ url: `http://127.0.0.1:${port}`, prefix, waitForAnswers: SHAPE === 'conversation', untilReplies: messages });
    const done = load.repliesDone!;
    const driverS = ownCpuS(driver.pid) - driverBefore;
    const cpuS: Record<string, number> = {};
    for (const c of children) cpuS[c.name] = procUsage(c.child.pid!).cpuS - before.get(c.name)!;
    const redisS = redisCpu();
    if (redisS !== null) cpuS['Redis server'] = redisS;
    cpuS[DRIVER] = driverS;
    const latency = load.sent.map((m, i) => (load.answeredAt[i] ?? NaN) - m.postedAt).sort((a, b) => a - b);
    return { msgPerS: messages / ((done - load.started) / 1000), p50: pct(latency, 50), p99: pct(latency, 99), cpuS, messages };
  } finally {
    await driver?.stop();
    for (const c of children) await killHard(c.child);
    // Best effort: a Redis gone by now must not hide the error that brought us here.
    await obliterateEchoQueues(prefix).catch((err: unknown) => console.warn(`boundary echo: queues ${prefix} left in Redis: ${(err as Error).message}`));
  }
}

/** Wasl's CPU per message answered: its processes, PostgreSQL's backends and Redis; the load driver apart. */
function waslCpuPerMessage(r: LoadResult, messages: number): string {
  const cpuS = Object.entries(r.roles).reduce((sum, [role, u]) => sum + (role === DRIVER ? 0 : u.cpuS), 0);
  return fmt(cpuMsPerMessage(cpuS, messages), 2);
}

/** "web 0.41 / hop 1 0.30 / … ms", and the sum — without the load driver where it runs apart, as for Wasl. */
function echoCpuNote(e: EchoResult): string {
  const parts = Object.entries(e.cpuS).map(([name, s]) => `${name} ${fmt(cpuMsPerMessage(s, e.messages), 2)}`);
  const sum = Object.entries(e.cpuS).reduce((total, [name, s]) => total + (name === DRIVER ? 0 : s), 0);
  const what = e.cpuS[DRIVER] === undefined ? 'all together' : 'all processes + Redis, the load driver apart';
  return `${parts.join(' / ')} ms; ${what} ${fmt(cpuMsPerMessage(sum, e.messages), 2)} ms`;
}

/** Runs the load benchmark; rows for bench/run.ts's table. BENCH_DB=pglite|postgres runs one database only. */
export async function benchLoad(pgReachable: boolean): Promise<{ rows: LoadRow[]; notes: string[] }> {
  const rows: LoadRow[] = [];
  const notes: string[] = [];
  const put = (figure: string, unit: string, column: string, value: string) => {
    let row = rows.find((r) => r.figure === figure);
    if (!row) rows.push((row = { figure, unit, values: {} }));
    row.values[column] = value;
  };
  const total = CONTACTS * (EACH + 1);
  const content = copyContent();
  useEchoMainMenu(content);
  try {
    const t0 = performance.now();
    const queueEcho = ECHO !== 'boundary' ? await runQueueEcho(total) : null;
    const boundaryEcho = ECHO !== 'queue' ? await runBoundaryEcho() : null;
    const only = process.env.BENCH_DB;
    const runs: ['postgres' | 'pglite', string, number][] = [];
    if (only !== 'pglite' && pgReachable) runs.push(['postgres', 'PostgreSQL', 1]);
    // Scale-out: the same load with two engine and two outbound processes on the same Redis and PostgreSQL.
    if (only !== 'pglite' && pgReachable && process.env.LOAD_SCALE_OUT !== 'false') runs.push(['postgres', 'PostgreSQL, 2 + 2 processes', 2]);
    if (only !== 'postgres') runs.push(['pglite', 'PGlite', 1]);
    for (const [kind, column, processes] of runs) {
      const r = await runWasl(kind, content, processes);
      const how = SHAPE === 'conversation' ? 'each waiting for the answer' : 'each person\'s sent back to back';
      put(`Load: sustained throughput, messages answered (${fmt(CONTACTS)} contacts × ${EACH + 1} msgs, ${how}, web chat)`, 'msg/s', column, fmt(r.msgPerS, 1));
      put('Load: replies sent over the same time', 'msg/s', column, fmt(r.repliesPerS, 1));
      if (boundaryEcho) {
        put('Load: boundary echo — the same endpoint, driver and shape, two BullMQ hops, no database, no engine (the ceiling)', 'msg/s', column, fmt(boundaryEcho.msgPerS, 1));
        put('Load: Wasl as a share of the boundary echo (target ≥ 40 %)', '%', column, fmt((100 * r.msgPerS) / boundaryEcho.msgPerS, 1));
      }
      if (queueEcho) {
        put('Load: queue-only echo, producers adding directly (two BullMQ hops, same Redis, no HTTP, nobody waiting)', 'msg/s', column, fmt(queueEcho.msgPerS, 0));
        put('Load: Wasl as a share of the queue-only echo', '%', column, fmt((100 * r.msgPerS) / queueEcho.msgPerS, 1));
      }
      // The cost beside the rate: what every process of Wasl, PostgreSQL and Redis spent on each message.
      put('Load: CPU per message answered, all processes + PostgreSQL + Redis', 'ms', column, waslCpuPerMessage(r, total));
      put('Load: messages accepted by the web chat endpoint (HTTP 202)', 'msg/s', column, fmt(r.ingestPerS, 1));
      put('Load: inbound messages per drain (1 = each answered before the next)', 'n', column, fmt(r.perDrain, 2));
      put('Load: receipt → reply handed to the channel — p50', 'ms', column, fmt(r.p50));
      put('Load: receipt → reply handed to the channel — p95', 'ms', column, fmt(r.p95));
      put('Load: receipt → reply handed to the channel — p99', 'ms', column, fmt(r.p99));
      for (const [role, u] of Object.entries(r.roles)) put(`Load: CPU s / peak RSS MB — ${role}`, 's / MB', column, `${fmt(u.cpuS, 1)} / ${Number.isNaN(u.peakRssMb) ? '—' : fmt(u.peakRssMb, 0)}`);
      put('Load: stage p50 — stored → processed by the engine', 'ms', column, fmt(r.engineP50));
      put('Load: stage p50 — reply written → sent by the outbound worker', 'ms', column, fmt(r.outboundP50));
      put('Load: database growth per 10k conversations', 'MB', column, fmt(r.dbBytesPer10k / 1024 / 1024, 1));
      put('Load: write-ahead log written per message answered', 'kB', column, fmt(r.walBytesPerMessage / 1024, 1));
      put('Load: open loop at half that throughput — rate / messages', 'msg/s / n', column, `${fmt(r.half.perS, 1)} / ${fmt(r.half.count)}`);
      put('Load: open loop at half — receipt → reply p50 / p95 / p99', 'ms', column, `${fmt(r.half.p50)} / ${fmt(r.half.p95)} / ${fmt(r.half.p99)}`);
      put('Load: open loop at half — stage p99: stored → processed / reply written → sent', 'ms', column, `${fmt(r.half.engineP99)} / ${fmt(r.half.outboundP99)}`);
      const t = r.half.tail;
      put(
        `Load: open loop at half — its slowest 1 % (medians): posted → stored / → processed / → reply written / → sent; posted in n half-seconds`,
        'ms / n',
        column,
        `${fmt(t.ingest)} / ${fmt(t.engine)} / ${fmt(t.write)} / ${fmt(t.send)}; ${t.count} in ${t.halfSeconds}`,
      );
      if (r.half.housekeeping) {
        const h = r.half.housekeeping;
        put('Load: open loop at half — autovacuum busy / checkpoints started', '% / n', column, `${fmt(100 * h.autovacuumShare)} / ${h.checkpoints}`);
      }
      if (r.threadsBusy) {
        const rows = [
          ['database thread busy (PGlite, in a thread of its own)', r.threadsBusy.busyS],
          ["Wasl's main thread busy (PGlite: every role, in one process)", r.threadsBusy.ownS],
        ] as const;
        for (const [what, b] of rows) put(`Load: ${what} — saturating / open loop at half`, '%', column, `${fmt(100 * b.saturating)} / ${fmt(100 * b.openLoop)}`);
      }
      if (r.gc) notes.push(`Load (${column}): GC pauses ≥ 5 ms during the open loop — ${r.gc}.`);
      put('Load: replies duplicated / out of order / unanswered (must be 0)', 'count', column, `${r.delivery.duplicated} / ${r.delivery.outOfOrder} / ${r.delivery.unanswered}`);
    }
    if (OPEN_LOOP_RATE !== null) notes.push(`Load: the "open loop at half" rows ran at LOAD_OPEN_LOOP_RATE=${OPEN_LOOP_RATE} msg/s, not at half the maximum.`);
    if (boundaryEcho) {
      notes.push(
        `Load: boundary echo (web, hop 1 and hop 2 a process each; ${fmt(boundaryEcho.messages)} messages): receipt → reply p50/p99 ` +
          `${fmt(boundaryEcho.p50)}/${fmt(boundaryEcho.p99)} ms (POST until the watcher sees the answer; each person's first message apart). ` +
          `CPU per message: ${echoCpuNote(boundaryEcho)}.`,
      );
    }
    if (queueEcho) {
      notes.push(
        `Load: queue-only echo p50/p99 ${fmt(queueEcho.p50)}/${fmt(queueEcho.p99)} ms (job added → outbound worker). ` +
          `CPU per message: ${echoCpuNote(queueEcho)}.`,
      );
    }
    notes.push(
      'Load: Wasl\'s CPU per message leaves the load driver out (a process of its own, its own row). ' +
        `PostgreSQL runs web, engine and outbound as three processes; PGlite runs them in one. ` +
        `${SENDERS} senders at once (LOAD_SHAPE=${SHAPE}, LOAD_ECHO=${ECHO}); ${fmt((performance.now() - t0) / 1000)} s in all.`,
    );
  } finally {
    content.cleanup();
  }
  return { rows, notes };
}
