/**
 * Starts a real Wasl for a test — real Redis (its own queue prefix), real PostgreSQL (its own database) or
 * PGlite (its own directory) — and talks to it as a beneficiary through the terminal channel's HTTP endpoint,
 * exactly as `npm run chat` does. Nothing is mocked: replies are read back from the outbox once the outbound
 * worker has sent them.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { and, asc, eq, gt, inArray } from 'drizzle-orm';
import { startWasl, type StartOptions, type Wasl } from '../../src/app/start-wasl';
import { loadEnv } from '../../src/config/load-config';
import { cliChannelTokenFromEnv } from '../../src/channels/cli/cli-token';
import { withNumberedChoices } from '../../src/channels/format-choices';
import { outboundPayloadSchema } from '../../src/messages/outbound-message';
import { contacts, conversations, messages } from '../../src/store/schema';
import { createTestDatabase } from './postgres';

export const projectRoot = path.resolve(__dirname, '..', '..');
export type DbKind = 'pglite' | 'postgres';
export const dbKinds: DbKind[] = ['pglite', 'postgres'];

export interface TestWasl extends Wasl {
  dataDir: string;
  databaseUrl?: string;
  prefix: string;
  /** What `npm run chat` sends as `authorization: Bearer …` to this Wasl. */
  cliToken: string;
  chat(userId?: string): TestChat;
  /** Stops Wasl and removes its database, directory and queues. */
  stop(): Promise<void>;
}

export interface TestStartOptions {
  db: DbKind | { url: string };
  roles?: string;
  flowsDir?: string;
  templatesDir?: string;
  prefix?: string;
  dataDir?: string;
  extraEnv?: Record<string, string>;
  options?: Partial<Omit<StartOptions, 'env'>>;
}

export async function startTestWasl(opts: TestStartOptions): Promise<TestWasl> {
  const dataDir = opts.dataDir ?? mkdtempSync(path.join(tmpdir(), 'wasl-test-'));
  const prefix = opts.prefix ?? `test-${randomUUID().slice(0, 8)}`;
  let databaseUrl: string | undefined;
  let dropDb: (() => Promise<void>) | undefined;
  if (opts.db === 'postgres') {
    const created = await createTestDatabase();
    databaseUrl = created.url;
    dropDb = created.drop;
  } else if (typeof opts.db === 'object') {
    databaseUrl = opts.db.url;
  }
  const env = loadEnv({
    PORT: '0',
    DATA_DIR: dataDir,
    QUEUE_PREFIX: prefix,
    REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
    DATABASE_URL: databaseUrl,
    FLOWS_DIR: opts.flowsDir ?? path.join(projectRoot, 'flows'),
    TEMPLATES_DIR: opts.templatesDir ?? path.join(projectRoot, 'templates'),
    ROLES: opts.roles ?? 'web,engine,outbound',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    SECRET_KEY: 'a'.repeat(64),
    ...opts.extraEnv,
  });
  let wasl: Wasl;
  try {
    wasl = await startWasl({ env, root: projectRoot, sweeper: false, ...opts.options });
  } catch (err) {
    await dropDb?.();
    throw err;
  }
  const stop = async () => {
    await wasl.close();
    await cleanQueues(prefix);
    await dropDb?.();
    if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
  };
  const t: TestWasl = Object.assign(wasl, {
    dataDir,
    databaseUrl,
    prefix,
    // After start: when the env has no SECRET_KEY, the key file is the one Wasl generated in its DATA_DIR.
    cliToken: cliChannelTokenFromEnv(env, projectRoot),
    chat: (userId?: string) => new TestChat(t, userId ?? `user-${randomUUID().slice(0, 8)}`),
    stop,
  });
  return t;
}

async function cleanQueues(prefix: string): Promise<void> {
  const { Redis } = await import('ioredis');
  const redis = new Redis(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

export async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 40));
  }
}

/** One beneficiary talking to Wasl over the terminal channel. */
export class TestChat {
  private lastSeen = 0;

  constructor(
    private readonly wasl: TestWasl,
    readonly userId: string,
  ) {}

  /** Posts a message as `npm run chat` does; returns the HTTP status. */
  async post(text: string, providerMessageId: string = randomUUID()): Promise<number> {
    const res = await fetch(`${this.wasl.url}/api/cli/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.wasl.cliToken}` },
      body: JSON.stringify({ userId: this.userId, messageId: providerMessageId, text }),
    });
    await res.arrayBuffer();
    return res.status;
  }

  /** Sends one message and returns the replies it produced, once they have been sent. */
  async say(text: string): Promise<string[]> {
    const status = await this.post(text);
    if (status !== 202) throw new Error(`message refused with ${status}`);
    return this.replies();
  }

  conversationId(): Promise<number | undefined> {
    return this.wasl.database.db
      .select({ id: conversations.id })
      .from(conversations)
      .innerJoin(contacts, eq(contacts.id, conversations.contactId))
      .where(and(eq(contacts.channel, 'cli'), eq(contacts.channelUserId, this.userId)))
      .orderBy(asc(conversations.id))
      .then((rows) => rows.at(-1)?.id);
  }

  /** Waits until every inbound message is processed and every reply sent, then returns the new replies. */
  async replies(timeoutMs = 20_000): Promise<string[]> {
    const db = this.wasl.database.db;
    await waitFor(
      `${this.userId}'s conversation to settle`,
      async () => {
        const pending = await db
          .select({ id: messages.id })
          .from(messages)
          .innerJoin(conversations, eq(conversations.id, messages.conversationId))
          .innerJoin(contacts, eq(contacts.id, conversations.contactId))
          .where(and(eq(contacts.channelUserId, this.userId), inArray(messages.status, ['received', 'queued'])))
          .limit(1);
        return pending.length === 0;
      },
      timeoutMs,
    );
    const rows = await db
      .select({ id: messages.id, text: messages.text, payload: messages.payload })
      .from(messages)
      .innerJoin(conversations, eq(conversations.id, messages.conversationId))
      .innerJoin(contacts, eq(contacts.id, conversations.contactId))
      .where(and(eq(contacts.channelUserId, this.userId), eq(messages.direction, 'out'), gt(messages.id, this.lastSeen)))
      .orderBy(asc(messages.id));
    if (rows.length) this.lastSeen = rows.at(-1)!.id;
    // What the beneficiary sees on a text channel: the text with its numbered choices.
    return rows.map((r) => {
      const payload = outboundPayloadSchema.safeParse(r.payload);
      return withNumberedChoices({ text: r.text ?? '', choices: payload.success ? payload.data.choices : [] });
    });
  }
}
