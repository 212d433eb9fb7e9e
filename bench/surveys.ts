/**
 * `npx tsx bench/surveys.ts`: a Ramadan food-basket campaign — 100,000 served requests — surveyed at once.
 * Measures how long scheduling takes (rows in batches + BullMQ addBulk with delays and job ids), whether it
 * blocks the engine (drain latency of a live conversation before and during scheduling and sending), how long
 * sending every prompt takes (surveys worker → survey flow → outbox → a fast fake channel), and the Redis memory
 * the delayed jobs use. SURVEYS_BENCH_N sets the size (default 100000). Needs Redis and PostgreSQL as the
 * integration tests do (TEST_REDIS_URL, TEST_DATABASE_URL). Not part of `npm test`.
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { and, eq, gt, sql } from 'drizzle-orm';
import { Redis } from 'ioredis';
import type { ChannelAdapter } from '../src/channels/channel-adapter';
import { messages, surveys } from '../src/store/schema';
import { scheduleRequestSurveys } from '../src/surveys/schedule-campaign';
import { copyContent, useEchoMainMenu } from '../test/support/content-fixture';
import { startTestWasl, type TestWasl } from '../test/support/harness';

const N = Number(process.env.SURVEYS_BENCH_N ?? 100_000);
const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** The terminal channel without its last hop, and without a provider's rate limit: only Wasl is measured. */
const fastCli: ChannelAdapter = {
  channel: 'cli',
  capabilities: { maxTextLength: 8000, choices: 'numbered', rateLimit: { max: 100_000, durationMs: 1000 } },
  async send(m) {
    return { providerMessageId: `bench-${m.messageId}` };
  },
};

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const pct = (xs: number[], p: number) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};

/** One beneficiary chatting while the campaign runs: POST → reply sent, in ms, one message at a time. */
function liveConversation(wasl: TestWasl) {
  const chat = wasl.chat(`live-${randomUUID().slice(0, 8)}`);
  const samples: number[] = [];
  let stop = false;
  let running: Promise<void> = Promise.resolve();
  return {
    async warmUp() {
      await chat.say('start');
    },
    start() {
      stop = false;
      samples.length = 0;
      running = (async () => {
        let i = 0;
        while (!stop) {
          const t0 = performance.now();
          await chat.say(`ping ${i++}`);
          samples.push(performance.now() - t0);
        }
      })();
    },
    async stop(): Promise<number[]> {
      stop = true;
      await running;
      return [...samples];
    },
  };
}

async function seedCampaign(wasl: TestWasl, n: number): Promise<number[]> {
  const db = wasl.database.db;
  const tag = randomUUID().slice(0, 8);
  // Set-based inserts: seeding is not what is measured.
  await db.execute(sql`insert into beneficiaries (full_name) select ${`bench-${tag}-`} || g from generate_series(1, ${n}) g`);
  await db.execute(sql`insert into contacts (beneficiary_id, channel, channel_user_id)
    select id, 'cli', 'bench-' || id from beneficiaries where full_name like ${`bench-${tag}-%`}`);
  await db.execute(sql`insert into conversations (contact_id, beneficiary_id, channel)
    select c.id, c.beneficiary_id, 'cli' from contacts c join beneficiaries b on b.id = c.beneficiary_id where b.full_name like ${`bench-${tag}-%`}`);
  const result = (await db.execute(sql`insert into requests (reference_number, beneficiary_id, contact_id, conversation_id, type, status, answers,
      national_id_sealed, national_id_hash, attestation)
    select 'RMD-' || v.id, v.beneficiary_id, v.contact_id, v.id, 'food-basket', 'served', '{}'::jsonb, 'x', 'h' || v.id, '{}'::jsonb
    from conversations v join beneficiaries b on b.id = v.beneficiary_id where b.full_name like ${`bench-${tag}-%`}
    returning id`)) as { rows: { id: string | number }[] };
  return result.rows.map((r) => Number(r.id));
}

async function main(): Promise<void> {
  const content = copyContent();
  useEchoMainMenu(content);
  const redis = new Redis(redisUrl);
  const memBefore = await usedMemory(redis);
  const wasl = await startTestWasl({
    db: 'postgres',
    roles: 'web,engine,outbound,surveys',
    flowsDir: content.flowsDir,
    templatesDir: content.templatesDir,
    options: { adapters: [fastCli], surveySweepEveryMs: false },
  });
  const log = wasl.server!.log as never;
  try {
    const live = liveConversation(wasl);
    await live.warmUp();
    live.start();
    await new Promise((r) => setTimeout(r, 3000));
    const idle = await live.stop();

    process.stdout.write(`seeding ${N.toLocaleString('en')} served requests… `);
    const requestIds = await seedCampaign(wasl, N);
    console.log('done');

    const memScheduledBefore = await usedMemory(redis);
    live.start();
    const t0 = performance.now();
    const scheduled = await scheduleRequestSurveys(
      { db: wasl.database.db, queues: wasl.queues, log, organisation: wasl.content.organisation },
      requestIds,
      { batchSize: 1000, delayMinutes: 24 * 60, spreadMinutes: 120 },
    );
    const scheduleMs = performance.now() - t0;
    const duringScheduling = await live.stop();
    const memScheduled = (await usedMemory(redis)) - memScheduledBefore;

    // Everything due now: the surveys worker sends, the outbound worker delivers to the fast channel.
    const maxMessageId = (await wasl.database.db.select({ m: sql<number>`coalesce(max(id), 0)` }).from(messages))[0]!.m;
    live.start();
    const t1 = performance.now();
    await wasl.queues.surveys.promoteJobs();
    for (;;) {
      const [sent] = await wasl.database.db.select({ n: sql<number>`count(*)::int` }).from(surveys).where(eq(surveys.status, 'sent'));
      const [queued] = await wasl.database.db
        .select({ n: sql<number>`count(*)::int` })
        .from(messages)
        .where(and(eq(messages.status, 'queued'), gt(messages.id, Number(maxMessageId))));
      if (sent!.n >= scheduled && queued!.n === 0) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const sendMs = performance.now() - t1;
    const duringSending = await live.stop();
    const memAfter = await usedMemory(redis);

    const row = (name: string, xs: number[]) => `| live drain latency ${name} — p50 / p95 / max (n) | ${pct(xs, 50).toFixed(0)} / ${pct(xs, 95).toFixed(0)} / ${Math.max(...xs).toFixed(0)} ms (${xs.length}) |`;
    console.log(`\nMachine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${mb(os.totalmem())} RAM, Node ${process.version}, PostgreSQL, Redis\n`);
    console.log('| Survey campaign | Result |');
    console.log('|---|---|');
    console.log(`| surveys scheduled | ${scheduled.toLocaleString('en')} |`);
    console.log(`| time to schedule (rows + addBulk, batches of 1,000) | ${(scheduleMs / 1000).toFixed(1)} s (${Math.round(scheduled / (scheduleMs / 1000)).toLocaleString('en')}/s) |`);
    console.log(`| time to send every prompt (2 messages each) | ${(sendMs / 1000).toFixed(1)} s (${Math.round(scheduled / (sendMs / 1000)).toLocaleString('en')} surveys/s) |`);
    console.log(`| Redis memory of the delayed survey jobs | ${mb(memScheduled)} (${Math.round(memScheduled / Math.max(1, scheduled))} B/job) |`);
    console.log(`| Redis memory after sending (kept completed jobs, outbound jobs) | ${mb(memAfter - memBefore)} |`);
    console.log(row('idle', idle));
    console.log(row('while scheduling', duringScheduling));
    console.log(row('while sending', duringSending));
  } finally {
    await wasl.stop();
    redis.disconnect();
    content.cleanup();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
