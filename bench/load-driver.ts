/**
 * The load benchmark's simulated beneficiaries (bench/load.ts): they post to the website chat endpoint and, in
 * the conversation shape, wait for each answer where a person would see it. They run in a process of their own
 * (bench/driver-process.ts, started with `startLoadDriver`), whatever is measured: on PGlite Wasl is one process,
 * and a driver inside it took turns on Wasl's own event loop — a cost and a wait no deployment has.
 *
 * Reads LOAD_CONTACTS, LOAD_MESSAGES_EACH, LOAD_SENDERS, LOAD_SHAPE and LOAD_TIMEOUT_S, in both processes alike.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { webUserIdOf } from '../src/channels/web/device-id';
import { spawnTypeScript } from '../test/support/child-process';
import { tapWebReplies } from '../test/support/web-reply-tap';

export const CONTACTS = Number(process.env.LOAD_CONTACTS ?? 300);
export const EACH = Number(process.env.LOAD_MESSAGES_EACH ?? 3);
export const TIMEOUT_MS = Number(process.env.LOAD_TIMEOUT_S ?? 600) * 1000;
/** How many beneficiaries type at the same moment (HTTP requests in flight). */
export const SENDERS = Number(process.env.LOAD_SENDERS ?? 100);
export const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * How people write. `conversation` (the default): each waits for the bot's answer before writing again, as people
 * do, so a drain usually takes one message. `burst`: a person's messages follow each other as soon as the last
 * was accepted, as if four lines were pasted at once; drains answer several together, which flatters the rate —
 * until 2026-12-04 the only shape, and the one the half-rate phase was then derived from.
 */
const SHAPES = ['conversation', 'burst'] as const;
export const SHAPE = (process.env.LOAD_SHAPE ?? 'conversation') as (typeof SHAPES)[number];
if (!SHAPES.includes(SHAPE)) throw new Error(`LOAD_SHAPE must be one of ${SHAPES.join(', ')}, not "${SHAPE}"`);

const phrases = ['السلام عليكم', 'أريد التسجيل في السلة الغذائية', 'شكراً جزيلاً', 'الله يجزاكم خير', 'تمام'];

const sentSchema = z.object({ text: z.string(), postedAt: z.number() });
export type Sent = z.infer<typeof sentSchema>;

/**
 * Replies as the website chat hands them over — its publish on Redis, what the widget's stream relays — so a
 * simulated person can wait for theirs. A reply "echo: X" answers X; the first message waits for any reply.
 * It also counts the replies and notes when each echo was seen: the boundary echo's clock stops at its last
 * answer, burst shape included, and its receipt → reply is measured where a person would see the answer.
 */
class ReplyWatcher {
  private readonly waiting = new Map<string, { resolve(): void; timer: NodeJS.Timeout }>();
  private tap: { stop(): void } | undefined;
  private seen = 0;
  /** When "echo: X" was seen, by X (each message's text is unique: it carries its person and number). */
  private readonly echoSeenAt = new Map<string, number>();
  private countWaiter: { count: number; resolve(): void; timer: NodeJS.Timeout } | undefined;

  static async start(prefix: string): Promise<ReplyWatcher> {
    const watcher = new ReplyWatcher();
    watcher.tap = await tapWebReplies(redisUrl, prefix, (user, { text }) => {
      const at = Date.now();
      watcher.settle(`${user}\n`);
      if (text.startsWith('echo: ')) {
        const answered = text.slice('echo: '.length);
        watcher.echoSeenAt.set(answered, at);
        watcher.settle(`${user}\n${answered}`);
      }
      watcher.seen++;
      if (watcher.countWaiter && watcher.seen >= watcher.countWaiter.count) watcher.countWaiter.resolve();
    });
    return watcher;
  }

  /** Resolves once `count` replies in all were seen (the burst shape, where nobody waits for them one by one). */
  untilReplies(count: number): Promise<void> {
    if (this.seen >= count) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.seen} of ${count} replies within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
      this.countWaiter = {
        count,
        timer,
        resolve: () => {
          clearTimeout(timer);
          this.countWaiter = undefined;
          resolve();
        },
      };
    });
  }

  /** When the echo of `text` was handed over (ms since the epoch), or NaN if it never was. */
  answeredAt(text: string): number {
    return this.echoSeenAt.get(text) ?? NaN;
  }

  private settle(key: string): void {
    const w = this.waiting.get(key);
    if (!w) return;
    clearTimeout(w.timer);
    this.waiting.delete(key);
    w.resolve();
  }

  /** Call before posting the message: resolves when its answer (or, with `text` null, any reply) was handed over. */
  expect(userId: string, text: string | null): Promise<void> {
    const key = `${userId}\n${text ?? ''}`;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no reply to "${text ?? '(first message)'}" within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
      this.waiting.set(key, { resolve, timer });
    });
  }

  /** Also drops what is still awaited, so a failed run does not wait out its timers. */
  stop(): void {
    for (const w of this.waiting.values()) clearTimeout(w.timer);
    this.waiting.clear();
    if (this.countWaiter) clearTimeout(this.countWaiter.timer);
    this.tap?.stop();
  }
}

/** Every beneficiary sends its messages in order (in `SHAPE`); SENDERS of them at a time. */
async function drive(url: string, replies: ReplyWatcher | null): Promise<{ sent: Sent[]; started: number; ingested: number; devices: string[] }> {
  const sent: Sent[] = [];
  const devices: string[] = [];
  const started = Date.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(SENDERS, CONTACTS) }, async () => {
      for (let c = next++; c < CONTACTS; c = next++) {
        const deviceId = randomBytes(16).toString('base64url');
        const userId = webUserIdOf(deviceId);
        devices.push(deviceId);
        for (let i = 0; i <= EACH; i++) {
          // The first message opens the echo flow; the others are answered "echo: <text>".
          const text = i === 0 ? 'مرحبا' : `${phrases[(c + i) % phrases.length]} #${c}-${i}`;
          const answered = replies?.expect(userId, i === 0 ? null : text);
          const postedAt = Date.now();
          await post(url, deviceId, text);
          if (i > 0) sent.push({ text, postedAt });
          await answered;
        }
      }
    }),
  );
  return { sent, started, ingested: Date.now(), devices };
}

/**
 * node:http with keep-alive rather than fetch: fetch (undici through web streams) cost the driver several times
 * the CPU of the web role it drives, on the same two cores — measuring the client instead of Wasl.
 */
const agent = new http.Agent({ keepAlive: true, maxSockets: SENDERS });

function post(url: string, deviceId: string, text: string): Promise<void> {
  const body = JSON.stringify({ deviceId, clientMessageId: randomUUID(), text });
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}/api/web/messages`, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 202 ? resolve() : reject(new Error(`POST /api/web/messages answered ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Open loop: `count` messages at a steady `perS`, each from the next of `devices` (already in the echo flow),
 * sent on schedule whether or not earlier ones were answered — the load a service sees from many people.
 */
async function driveAtRate(url: string, devices: string[], perS: number, count: number): Promise<Sent[]> {
  const sent: Sent[] = [];
  const started = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const due = started + (i * 1000) / perS;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const text = `${phrases[i % phrases.length]} @${i}`;
    sent.push({ text, postedAt: Date.now() });
    inFlight.push(post(url, devices[i % devices.length]!, text));
  }
  await Promise.all(inFlight);
  return sent;
}

/** What the benchmark asks of the driver process, one at a time. */
export const driverRequestSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('drive'),
    url: z.string(),
    /** The queue and reply-topic prefix whose replies are watched. */
    prefix: z.string(),
    /** Each person waits for the answer before writing again (the conversation shape). */
    waitForAnswers: z.boolean(),
    /** Returns only once this many replies in all were seen (the boundary echo's clock stops at its last). */
    untilReplies: z.number().int().positive().optional(),
  }),
  z.object({ kind: z.literal('at-rate'), url: z.string(), devices: z.array(z.string()).min(1), perS: z.number().positive(), count: z.number().int().positive() }),
]);
export type DriverRequest = z.infer<typeof driverRequestSchema>;

const drivenSchema = z.object({
  kind: z.literal('driven'),
  sent: z.array(sentSchema),
  started: z.number(),
  /** When the last message was accepted. */
  ingested: z.number(),
  devices: z.array(z.string()),
  /** When `untilReplies` replies had been seen. */
  repliesDone: z.number().optional(),
  /** When each of `sent` was seen answered, in its order; null where it never was (JSON has no NaN). */
  answeredAt: z.array(z.number().nullable()),
});
const driverReplySchema = z.discriminatedUnion('kind', [
  drivenSchema,
  z.object({ kind: z.literal('at-rate-done'), sent: z.array(sentSchema) }),
  z.object({ kind: z.literal('failed'), error: z.string() }),
]);
export type DriverReply = z.infer<typeof driverReplySchema>;
export type Driven = z.infer<typeof drivenSchema>;

/** Carries out one request in the driver process. */
export async function serveDriverRequest(request: DriverRequest): Promise<DriverReply> {
  if (request.kind === 'at-rate') return { kind: 'at-rate-done', sent: await driveAtRate(request.url, request.devices, request.perS, request.count) };
  const watcher = request.waitForAnswers || request.untilReplies ? await ReplyWatcher.start(request.prefix) : null;
  try {
    const load = await drive(request.url, request.waitForAnswers ? watcher : null);
    let repliesDone: number | undefined;
    if (request.untilReplies) {
      await watcher!.untilReplies(request.untilReplies);
      repliesDone = Date.now();
    }
    const answeredAt = load.sent.map((s) => {
      const at = watcher?.answeredAt(s.text) ?? NaN;
      return Number.isNaN(at) ? null : at;
    });
    return { kind: 'driven', ...load, ...(repliesDone !== undefined ? { repliesDone } : {}), answeredAt };
  } finally {
    watcher?.stop();
  }
}

export interface LoadDriver {
  drive(request: Omit<Extract<DriverRequest, { kind: 'drive' }>, 'kind'>): Promise<Driven>;
  atRate(request: Omit<Extract<DriverRequest, { kind: 'at-rate' }>, 'kind'>): Promise<Sent[]>;
  /** The driver process's id, to read its CPU time. */
  readonly pid: number;
  stop(): Promise<void>;
}

/** Starts the driver process; its requests go over Node's IPC channel, one at a time. */
export async function startLoadDriver(): Promise<LoadDriver> {
  const child = spawnTypeScript('bench/driver-process.ts', { env: process.env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let pending: { resolve(reply: DriverReply): void; reject(err: Error): void } | undefined;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      pending?.reject(new Error(`the load driver process exited (${code ?? signal}) during a request`));
      resolve();
    }),
  );
  child.on('message', (raw) => {
    if (!pending) return; // its "ready"
    const parsed = driverReplySchema.safeParse(raw);
    const waiter = pending;
    pending = undefined;
    if (!parsed.success) waiter.reject(new Error(`the load driver process answered something unexpected: ${parsed.error.message}`));
    else if (parsed.data.kind === 'failed') waiter.reject(new Error(`the load driver process failed: ${parsed.data.error}`));
    else waiter.resolve(parsed.data);
  });
  const ask = (request: DriverRequest) =>
    new Promise<DriverReply>((resolve, reject) => {
      if (pending) throw new Error('the load driver takes one request at a time');
      pending = { resolve, reject };
      child.send(request);
    });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code, signal) => reject(new Error(`the load driver process exited (${code ?? signal}) before it was ready`)));
  });
  return {
    pid: child.pid!,
    async drive(request) {
      const reply = await ask({ kind: 'drive', ...request });
      if (reply.kind !== 'driven') throw new Error(`the load driver answered "${reply.kind}" to a drive`);
      return reply;
    },
    async atRate(request) {
      const reply = await ask({ kind: 'at-rate', ...request });
      if (reply.kind !== 'at-rate-done') throw new Error(`the load driver answered "${reply.kind}" to an open loop`);
      return reply.sent;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
