/**
 * One sender flooding (1,000 messages a second, for a few seconds) while ten beneficiaries chat normally, on
 * the same channel:
 * - website chat, which limits each device at the edge: every flooder message is stored (202) or refused
 *   with a clear 429 — never a 2xx that was not stored;
 * - SMS, which has no per-number limit: a flooder's messages wait in its own lane (pipeline/sender-lanes.ts)
 *   and are stored, or refused with a 429 once 200 of them are waiting.
 * Either way the process keeps answering, and the others' reply latency (p95, message in → reply sent) stays
 * within 3× the same run's baseline + 1 s. A behavioural bound, not a benchmark.
 */
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { and, eq, gt, inArray, sql } from 'drizzle-orm';
import { webUserIdOf } from '../../src/channels/web/device-id';
import { contacts, conversations, messages } from '../../src/store/schema';
import { FAKE_SMS, FakeSmsProviders } from '../fakes/fake-sms-providers';
import { projectRoot, waitFor, type TestWasl } from '../support/harness';
import { AbuseReport } from './support/abuse-report';
import { useAbuseWasl } from './support/abuse-wasl';

const FLOOD_PER_SECOND = Number(process.env.FLOOD_PER_SECOND ?? 1000);
const FLOOD_SECONDS = Number(process.env.FLOOD_SECONDS ?? 3);
/** Every SMS of the flood is stored (≈80 a second here), so this phase is kept shorter to bound the file's time. */
const SMS_FLOOD_SECONDS = Number(process.env.SMS_FLOOD_SECONDS ?? 1);
const OTHERS = 10;
const report = new AbuseReport('Flooding (one sender at 1,000 messages/s, ten others chatting)');
let fake: FakeSmsProviders;
const abuse = useAbuseWasl({
  report,
  start: async () => {
    fake = await FakeSmsProviders.start();
    // Every request here comes from 127.0.0.1: the per-IP limit would count the ten others with the flooder.
    return { db: 'postgres', extraEnv: { ...fake.env('generic'), WEB_CHAT_IP_REQUESTS_PER_MINUTE: '100000', SMS_RATE_LIMIT_PER_SECOND: '50' } };
  },
  after: () => fake?.close(),
});
const { logs } = abuse;
let wasl: TestWasl;
beforeAll(() => {
  wasl = abuse.wasl();
});

const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.max(0, Math.ceil(xs.length * 0.95) - 1)] ?? 0;

/** Milliseconds from posting `send()` to a new reply of that contact being sent. */
async function replyLatency(channelUserId: string, send: () => Promise<number>): Promise<number> {
  const db = wasl.database.db;
  const newest = async () =>
    (
      await db
        .select({ id: sql<number>`coalesce(max(${messages.id}), 0)` })
        .from(messages)
        .innerJoin(conversations, eq(conversations.id, messages.conversationId))
        .innerJoin(contacts, eq(contacts.id, conversations.contactId))
        .where(and(eq(contacts.channelUserId, channelUserId), eq(messages.direction, 'out')))
    )[0]!.id;
  const before = Number(await newest());
  const started = Date.now();
  const status = await send();
  if (status >= 300) throw new Error(`a normal message was refused with ${status}`);
  await waitFor(
    `a reply to ${channelUserId}`,
    async () =>
      (
        await db
          .select({ id: messages.id })
          .from(messages)
          .innerJoin(conversations, eq(conversations.id, messages.conversationId))
          .innerJoin(contacts, eq(contacts.id, conversations.contactId))
          .where(and(eq(contacts.channelUserId, channelUserId), eq(messages.direction, 'out'), gt(messages.id, before), inArray(messages.status, ['sent', 'delivered'])))
          .limit(1)
      ).length > 0,
    60_000,
  );
  return Date.now() - started;
}

/** Ten beneficiaries, each saying three things one after another; every latency. */
async function othersChat(say: (who: number, text: string) => Promise<number>, userIdOf: (who: number) => string): Promise<number[]> {
  const lines = ['السلام عليكم', '3', 'القائمة'];
  const all = await Promise.all(
    Array.from({ length: OTHERS }, async (_, who) => {
      const latencies: number[] = [];
      for (const line of lines) latencies.push(await replyLatency(userIdOf(who), () => say(who, line)));
      return latencies;
    }),
  );
  return all.flat();
}

interface FloodResult {
  statuses: number[];
  /** How long sending took (the rate held when ≈ FLOOD_SECONDS), and until the last answer came. */
  sentSeconds: number;
  answeredSeconds: number;
  /** Milliseconds from the start until each request was written to a socket (-1: never). */
  writtenMs: number[];
  /** The flooder's connection cap: past it, requests wait in the flooder for an answer to free a socket. */
  maxSockets: number;
  /** The first few connection errors, if any request got no answer. */
  errors: string[];
}

/**
 * Requests written to a socket within `seconds` of the flood's start: what reached Wasl. `sentSeconds` only says
 * the flooder queued them in time; a loaded machine or a slow answer holds them in its agent instead.
 */
const onWireWithin = (r: FloodResult, seconds: number) => r.writtenMs.filter((t) => t >= 0 && t <= seconds * 1000).length;

/** Posts `bodies` to `url` at FLOOD_PER_SECOND from a child process (support/flooder.ts). */
function flood(url: string, bodies: unknown[]): Promise<FloodResult> {
  const tsx = path.join(projectRoot, 'node_modules', 'tsx', 'dist', 'cli.mjs');
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [tsx, path.join(__dirname, 'support', 'flooder.ts')],
      { env: { ...process.env, FLOOD_URL: url, FLOOD_RATE: String(FLOOD_PER_SECOND) }, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout) => (err ? reject(err) : resolve(JSON.parse(stdout) as FloodResult)),
    );
    child.stdin!.end(JSON.stringify(bodies));
  });
}

async function inboundOf(channelUserId: string): Promise<string[]> {
  const rows = await wasl.database.db
    .select({ id: messages.providerMessageId })
    .from(messages)
    .innerJoin(conversations, eq(conversations.id, messages.conversationId))
    .innerJoin(contacts, eq(contacts.id, conversations.contactId))
    .where(and(eq(contacts.channelUserId, channelUserId), eq(messages.direction, 'in')));
  return rows.map((r) => r.id!);
}

describe('one sender flooding', () => {
  it('website chat: every flood message stored or refused with 429, and the others answered in time', async () => {
    const devices = Array.from({ length: OTHERS }, () => randomBytes(16).toString('base64url'));
    const say = async (deviceId: string, text: string, clientMessageId = randomUUID()) => {
      const res = await fetch(`${wasl.url}/api/web/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ deviceId, clientMessageId, text }) });
      await res.arrayBuffer();
      return res.status;
    };
    const baseline = await othersChat((who, text) => say(devices[who]!, text), (who) => webUserIdOf(devices[who]!));

    const flooder = randomBytes(16).toString('base64url');
    const ids = Array.from({ length: FLOOD_PER_SECOND * FLOOD_SECONDS }, () => randomUUID());
    const [floodResult, during] = await Promise.all([
      flood(`${wasl.url}/api/web/messages`, ids.map((clientMessageId, i) => ({ deviceId: flooder, clientMessageId, text: `رسالة ${i}` }))),
      othersChat((who, text) => say(devices[who]!, text), (who) => webUserIdOf(devices[who]!)),
    ]);
    for (const s of floodResult.statuses) report.http('web chat flood', s, floodResult.errors.join('; '));
    const stored = new Set(await inboundOf(webUserIdOf(flooder)));
    const accepted = ids.filter((_, i) => floodResult.statuses[i] === 202);
    const onWire = onWireWithin(floodResult, 1.5 * FLOOD_SECONDS);
    console.log(
      `web chat flood: ${ids.length} sent in ${floodResult.sentSeconds.toFixed(1)} s (all answered in ${floodResult.answeredSeconds.toFixed(1)} s), ${onWire} reached Wasl within ${1.5 * FLOOD_SECONDS} s (${Math.round(onWireWithin(floodResult, FLOOD_SECONDS) / FLOOD_SECONDS)}/s over the first ${FLOOD_SECONDS} s), ${accepted.length} stored (202), ${floodResult.statuses.filter((s) => s === 429).length} refused (429); others' p95 ${p95(baseline)} ms before, ${p95(during)} ms during`,
    );
    // Otherwise a flooder starved by a loaded machine sends a trickle and every bound below passes without a flood.
    expect(onWire).toBeGreaterThanOrEqual(0.8 * ids.length);
    expect(floodResult.statuses.every((s) => s === 202 || s === 429)).toBe(true);
    // Nothing silently dropped: each 202 is a stored message, and nothing refused was stored.
    expect(accepted.every((id) => stored.has(`${webUserIdOf(flooder)}:${id}`))).toBe(true);
    expect(stored.size).toBe(accepted.length);
    expect(p95(during)).toBeLessThanOrEqual(3 * p95(baseline) + 1000);
  }, 120_000);

  it('SMS: every flood message stored or refused with 429, and the others answered in time', async () => {
    const phones = Array.from({ length: OTHERS }, (_, i) => `+96650${String(1_000_000 + i).padStart(7, '0')}`);
    const say = async (from: string, text: string, id = `in-${randomBytes(6).toString('hex')}`) => {
      const res = await fake.postJson(wasl.url!, 'generic', { type: 'inbound', id, from, text });
      await res.arrayBuffer();
      return res.status;
    };
    const baseline = await othersChat((who, text) => say(phones[who]!, text), (who) => phones[who]!);

    const flooder = '+966509999999';
    // The menu word, because each one is answered: the worst case for the outbound queue (2,000 replies to one
    // number ahead of everyone else's), where random words soon hand the chat to a researcher and go quiet.
    const ids = Array.from({ length: FLOOD_PER_SECOND * SMS_FLOOD_SECONDS }, (_, i) => `flood-${i}`);
    const [floodResult, during] = await Promise.all([flood(`${wasl.url}/webhooks/sms/generic?secret=${FAKE_SMS.webhookSecret}`, ids.map((id) => ({ type: 'inbound', id, from: flooder, text: 'القائمة' }))), othersChat((who, text) => say(phones[who]!, text), (who) => phones[who]!)]);
    for (const s of floodResult.statuses) report.http('SMS flood', s, floodResult.errors.join('; '));
    const stored = new Set(await inboundOf(flooder));
    const onWire = onWireWithin(floodResult, 1.5 * SMS_FLOOD_SECONDS);
    console.log(
      `SMS flood: ${ids.length} sent in ${floodResult.sentSeconds.toFixed(1)} s (all answered in ${floodResult.answeredSeconds.toFixed(1)} s), ${onWire} reached Wasl within ${1.5 * SMS_FLOOD_SECONDS} s (${Math.round(ids.length / floodResult.answeredSeconds)}/s on average), ${stored.size} stored (200), ${floodResult.statuses.filter((s) => s === 429).length} refused (429); replies to the flooder sent so far ${fake.sent(flooder).length}; others' p95 ${p95(baseline)} ms before, ${p95(during)} ms during`,
    );
    // Wasl answers an SMS webhook only once the message is stored (the store rate, far below 1,000/s), so over
    // the flooder's capped connections the rate that reaches Wasl is that store rate. What must hold is that the
    // flooder offered the full rate and kept every connection busy with this one sender's messages.
    expect(floodResult.sentSeconds).toBeLessThanOrEqual(1.5 * SMS_FLOOD_SECONDS);
    expect(onWire).toBeGreaterThanOrEqual(floodResult.maxSockets);
    expect(floodResult.statuses.every((s) => s === 200 || s === 429)).toBe(true);
    expect(ids.filter((_, i) => floodResult.statuses[i] === 200).every((id) => stored.has(id))).toBe(true);
    // Starved, the others would wait behind the flooder's 1,000 stored messages and their replies, which take
    // 12–21 s here ("all answered in"). Served fairly they wait a few hundred milliseconds, but the SMS path
    // stores each message before answering, so it shares the machine with the flood: with another test file on
    // the two cores, a fair run reached 2.2 s (CI, 2026-12-06). The bound sits between the two.
    expect(p95(during)).toBeLessThanOrEqual(3 * p95(baseline) + 2000);
  }, 180_000);

  it('afterwards: no 5xx, no error logged, and a new beneficiary is answered', async () => {
    expect(report.crashes()).toBe(0);
    const deviceId = randomBytes(16).toString('base64url');
    const latency = await replyLatency(webUserIdOf(deviceId), async () => {
      const res = await fetch(`${wasl.url}/api/web/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ deviceId, clientMessageId: randomUUID(), text: 'السلام عليكم' }) });
      return res.status;
    });
    expect(latency).toBeLessThan(30_000);
    expect(logs.errors()).toEqual([]);
  }, 60_000);
});
