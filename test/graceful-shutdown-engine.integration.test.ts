/**
 * Graceful shutdown of the engine role (`npm start` with ROLES=engine): SIGTERM while a drain is in flight lets
 * that drain finish — the message marked processed, its replies written once — before the process exits 0, and
 * the messages that arrive after the signal stay unprocessed for the next engine process, which answers each
 * exactly once. The engine runs as a real child process; the test holds the conversation's row lock in an open
 * transaction (as a console action or another drain would), so the drain waits on it mid-way until released.
 */
import type { ChildProcess } from 'node:child_process';
import { and, asc, eq } from 'drizzle-orm';
import { Client } from 'pg';
import { contacts, conversations, messages } from '../src/store/schema';
import { startTestWasl, waitFor, type TestChat, type TestWasl } from './support/harness';
import { startWaslProcess, waslProcessEnv } from './support/wasl-process';

/** How long the drain is kept waiting after the SIGTERM: long enough that a process not waiting for it is gone. */
const HOLD_AFTER_SIGTERM_MS = 2500;
/** main.ts's own limit, after which it exits 1 whatever is in flight. */
const SHUTDOWN_WINDOW_MS = 20_000;

describe('SIGTERM in the middle of a drain', () => {
  let web: TestWasl;
  let locker: Client | undefined;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    // Takes messages in (the terminal channel's endpoint) and nothing else: draining is the child's job, and with
    // no outbound role the replies stay in the outbox where the test reads them.
    web = await startTestWasl({ db: 'postgres', roles: 'web' });
  });
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await locker?.end().catch(() => undefined);
    await web?.stop();
  });

  const history = (chat: TestChat) =>
    web.database.db
      .select({ id: messages.id, direction: messages.direction, status: messages.status, text: messages.text })
      .from(messages)
      .innerJoin(conversations, eq(conversations.id, messages.conversationId))
      .innerJoin(contacts, eq(contacts.id, conversations.contactId))
      .where(and(eq(contacts.channel, 'cli'), eq(contacts.channelUserId, chat.userId)))
      .orderBy(asc(messages.id));
  const inbound = async (chat: TestChat) => (await history(chat)).filter((m) => m.direction === 'in');
  const replies = async (chat: TestChat) => (await history(chat)).filter((m) => m.direction === 'out').map((m) => m.text);
  const allProcessed = async (chat: TestChat) => (await inbound(chat)).every((m) => m.status === 'processed');

  it('finishes the drain in flight, exits 0, and leaves later messages for the next process', async () => {
    const first = await startWaslProcess(waslProcessEnv(web, 'engine'));
    children.push(first.child);

    const held = web.chat();
    expect(await held.post('السلام عليكم')).toBe(202);
    await waitFor('the first message to be answered', () => allProcessed(held));
    const greeting = await replies(held);
    expect(greeting.length).toBeGreaterThan(0);

    // NO KEY UPDATE, as a drain takes it: ingest (KEY SHARE) still stores the message, the drain waits.
    locker = new Client({ connectionString: web.databaseUrl });
    await locker.connect();
    const [{ pid }] = (await locker.query<{ pid: number }>('select pg_backend_pid() as pid')).rows as [{ pid: number }];
    await locker.query('begin');
    await locker.query('select id from conversations where id = $1 for no key update', [await held.conversationId()]);
    expect(await held.post('السلام عليكم')).toBe(202);
    // Ingest stored the message (KEY SHARE passes), so the one backend waiting on the test's lock is the drain's
    // (pg_stat_activity's query text is no help: it can still show the statement before the one waiting).
    await waitFor('the drain to wait on the row lock', async () => {
      const { rows } = await locker!.query('select 1 from pg_stat_activity where $1 = any(pg_blocking_pids(pid))', [pid]);
      return rows.length > 0;
    });
    expect((await inbound(held)).map((m) => m.status)).toEqual(['processed', 'received']);

    const sigtermAt = Date.now();
    first.child.kill('SIGTERM');
    await waitFor('the engine to begin stopping', async () => first.output().includes('SIGTERM: stopping Wasl'));
    const late = [web.chat(), web.chat()];
    for (const chat of late) expect(await chat.post('السلام عليكم')).toBe(202);
    await new Promise((r) => setTimeout(r, HOLD_AFTER_SIGTERM_MS));
    expect(first.child.exitCode).toBeNull();

    const releasedAt = Date.now();
    await locker.query('commit');
    const { code, at } = await first.exited;

    expect(code).toBe(0);
    expect(at).toBeGreaterThanOrEqual(releasedAt);
    expect(at - sigtermAt).toBeLessThan(SHUTDOWN_WINDOW_MS);
    // The drain in flight was finished by this process: both messages processed, the second answered once.
    expect(await allProcessed(held)).toBe(true);
    expect(await replies(held)).toEqual([...greeting, ...greeting]);
    // What came after the signal was not taken.
    for (const chat of late) {
      expect((await inbound(chat)).map((m) => m.status)).toEqual(['received']);
      expect(await replies(chat)).toEqual([]);
    }

    const second = await startWaslProcess(waslProcessEnv(web, 'engine'));
    children.push(second.child);
    for (const chat of late) await waitFor(`${chat.userId}'s message to be answered`, () => allProcessed(chat), 30_000);
    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);

    for (const chat of late) expect(await replies(chat)).toEqual(greeting);
    // Not drained again by the second process.
    expect(await replies(held)).toEqual([...greeting, ...greeting]);
  }, 120_000);
});
