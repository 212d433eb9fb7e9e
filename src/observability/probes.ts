/**
 * What `/readyz` and `/metrics` report: the database and Redis answer, each enabled channel can reach its
 * provider (its own `readiness`, see channels/channel-module.ts), and how much work waits in each queue. The
 * database and Redis are asked on request, so an alert sees the state of now; channels cache what a provider
 * probe costs (channels/channel-readiness.ts).
 */
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { ChannelRuntime } from '../channels/channel-module';
import type { ReadinessReport } from '../http/build-server';
import { sql, type SQL } from 'drizzle-orm';
import { pingDatabase, type Db } from '../store/database';
import { executeRows } from '../store/execute-rows';
import { conversations, surveys } from '../store/schema';
import type { EventCounters } from './event-counters';

export interface ProbeDeps {
  db: Db;
  redis: Redis;
  channels: ReadonlyMap<string, ChannelRuntime>;
  queues: readonly Queue[];
  /** Messages in/out per channel and job latency, shared by every process through Redis. */
  counters?: EventCounters;
  /** PGlite in its own thread: the seconds that thread has worked (store/pglite-thread.ts). */
  databaseThreadBusySeconds?: () => number;
}

/** A check that has not answered by then fails: orchestrators give /readyz a second or a few, then give up. */
const CHECK_TIMEOUT_MS = 3_000;

type Check = { ready: boolean; state: string };

async function withinTimeout(probe: () => Promise<Check>): Promise<Check> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<Check>((resolve) => {
    timer = setTimeout(() => resolve({ ready: false, state: `no answer within ${CHECK_TIMEOUT_MS} ms` }), CHECK_TIMEOUT_MS);
  });
  try {
    return await Promise.race([probe().catch((err: Error) => ({ ready: false, state: String(err?.message ?? err).slice(0, 200) })), late]);
  } finally {
    clearTimeout(timer);
  }
}

const check = (probe: () => Promise<unknown>) =>
  withinTimeout(async () => {
    await probe();
    return { ready: true, state: 'ok' };
  });

export async function readiness(deps: ProbeDeps): Promise<ReadinessReport> {
  const channels = [...deps.channels].filter(([, runtime]) => runtime.readiness);
  const [database, redis, ...channelChecks] = await Promise.all([
    check(() => pingDatabase(deps.db)),
    // ioredis holds commands until it reconnects (maxRetriesPerRequest: null); a ping would wait, not fail.
    deps.redis.status === 'ready' ? check(() => deps.redis.ping()) : Promise.resolve({ ready: false, state: `connection ${deps.redis.status}` }),
    ...channels.map(([, runtime]) => withinTimeout(() => runtime.readiness!())),
  ]);
  const checks: ReadinessReport['checks'] = { database: database!, redis: redis! };
  for (const [i, [name]] of channels.entries()) checks[`channel:${name}`] = channelChecks[i]!;
  const ready = database!.ready && redis!.ready;
  const status = !ready ? 'unavailable' : channelChecks.every((c) => c.ready) ? 'ok' : 'degraded';
  return { ready, status, checks };
}

/** Prometheus text format (no client library needed for a handful of gauges). */
export async function metrics(deps: ProbeDeps): Promise<string> {
  const report = await readiness(deps);
  const lines = [
    '# HELP wasl_ready 1 when the check passes; state is ok or failing (a channel with fixed states: that state). The reason is on /readyz.',
    '# TYPE wasl_ready gauge',
    ...Object.entries(report.checks).map(([name, c]) => `wasl_ready{check="${label(name)}",state="${label(stateLabel(deps, name, c))}"} ${c.ready ? 1 : 0}`),
    '# HELP wasl_queue_jobs Jobs in each queue by state.',
    '# TYPE wasl_queue_jobs gauge',
  ];
  for (const queue of deps.queues) {
    const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed').catch(() => ({}) as Record<string, number>);
    for (const [state, n] of Object.entries(counts)) lines.push(`wasl_queue_jobs{queue="${queue.name}",state="${state}"} ${n}`);
  }
  lines.push(...(await activityLines(deps)));
  lines.push(...(await storageLines(deps.db)));
  if (deps.databaseThreadBusySeconds) {
    lines.push(
      "# HELP wasl_database_thread_busy_seconds_total Time the embedded database's thread has spent working; a rate near 1 means the database is what limits Wasl.",
      '# TYPE wasl_database_thread_busy_seconds_total counter',
      `wasl_database_thread_busy_seconds_total ${deps.databaseThreadBusySeconds().toFixed(3)}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * What the database takes on disk, for an alert on a disk filling up: its tables and indexes, and the
 * write-ahead log where this role may list it (PGlite always; PostgreSQL for a superuser or `pg_monitor`, and
 * then the server's whole log, shared by its databases). Either is left out when it cannot be read.
 */
async function storageLines(db: Db): Promise<string[]> {
  const bytes = (query: SQL) =>
    executeRows<{ bytes: number }>(db, query)
      .then(([row]) => Number(row!.bytes))
      .catch(() => null);
  const lines: string[] = [];
  const size = await bytes(sql`select pg_database_size(current_database())::float8 as bytes`);
  if (size !== null) lines.push('# HELP wasl_database_bytes The database on disk: tables, indexes, their free space.', '# TYPE wasl_database_bytes gauge', `wasl_database_bytes ${size}`);
  const wal = await bytes(sql`select coalesce(sum(size), 0)::float8 as bytes from pg_ls_waldir()`);
  if (wal !== null) lines.push('# HELP wasl_database_wal_bytes The write-ahead log on disk (on PostgreSQL, the whole server\'s).', '# TYPE wasl_database_wal_bytes gauge', `wasl_database_wal_bytes ${wal}`);
  return lines;
}

const label = (v: string) => v.replace(/["\\\n]/g, ' ');

/** Every distinct label value is a time series of its own: an error's free text would add one per wording. */
function stateLabel(deps: ProbeDeps, check: string, c: Check): string {
  const fixed = check.startsWith('channel:') ? deps.channels.get(check.slice('channel:'.length))?.readinessStates : undefined;
  if (fixed?.includes(c.state)) return c.state;
  return c.ready ? 'ok' : 'failing';
}

/** Messages, latency, handoffs and survey answers; a failing source is left out rather than failing the scrape. */
async function activityLines(deps: ProbeDeps): Promise<string[]> {
  const lines: string[] = [];
  const snapshot = await deps.counters?.snapshot().catch(() => undefined);
  if (snapshot) {
    lines.push('# HELP wasl_messages_total Messages received from and sent to beneficiaries, per channel.', '# TYPE wasl_messages_total counter');
    for (const m of snapshot.messages) lines.push(`wasl_messages_total{channel="${label(m.channel)}",direction="${m.direction}"} ${m.count}`);
    lines.push('# HELP wasl_job_duration_seconds From a job being queued to done: engine drains (receipt to replies written) and outbound sends.');
    lines.push('# TYPE wasl_job_duration_seconds histogram');
    for (const h of snapshot.latency) {
      for (const b of h.buckets) lines.push(`wasl_job_duration_seconds_bucket{queue="${label(h.queue)}",le="${b.le}"} ${b.count}`);
      lines.push(`wasl_job_duration_seconds_sum{queue="${label(h.queue)}"} ${h.sum}`, `wasl_job_duration_seconds_count{queue="${label(h.queue)}"} ${h.count}`);
    }
    lines.push('# HELP wasl_handoffs_total Handoffs of a conversation from the bot to a person, each time one happens.', '# TYPE wasl_handoffs_total counter', `wasl_handoffs_total ${snapshot.handoffs}`);
  }
  const byStatus = await deps.db
    .select({ status: conversations.status, n: sql<number>`count(*)::int` })
    .from(conversations)
    .groupBy(conversations.status)
    .catch(() => null);
  if (byStatus) {
    lines.push('# HELP wasl_conversations Conversations by status (waiting: handed off, not yet claimed; human: with a researcher).', '# TYPE wasl_conversations gauge');
    for (const r of byStatus) lines.push(`wasl_conversations{status="${r.status}"} ${r.n}`);
  }
  const surveyRows = await deps.db
    .select({ status: surveys.status, n: sql<number>`count(*)::int` })
    .from(surveys)
    .groupBy(surveys.status)
    .catch(() => null);
  if (surveyRows) {
    lines.push('# HELP wasl_surveys Satisfaction surveys by status; answered = responses.', '# TYPE wasl_surveys gauge');
    for (const r of surveyRows) lines.push(`wasl_surveys{status="${r.status}"} ${r.n}`);
    // A counter read from the table: `answered` is final (a later comment or star link re-records the same row)
    // and survey rows are never deleted (retention and erasure only blank the comment), so it never goes down.
    const answered = surveyRows.find((r) => r.status === 'answered')?.n ?? 0;
    lines.push('# HELP wasl_survey_responses_total Surveys answered with a rating.', '# TYPE wasl_survey_responses_total counter', `wasl_survey_responses_total ${answered}`);
  }
  return lines;
}
