/**
 * Ingest's one-statement paths (pipeline/store-inbound-fast.ts) and its general transaction must agree: one
 * record, contact and open conversation per person however their first messages race, arrival numbers in commit
 * order, a redelivery stored once — and, on PostgreSQL, a message stored while a drain holds its conversation.
 * Wasl runs with no engine role, so nothing drains behind the test's back.
 */
import { randomUUID } from 'node:crypto';
import { and, asc, count, eq } from 'drizzle-orm';
import { Client } from 'pg';
import pino from 'pino';
import { ingest } from '../src/pipeline/ingest';
import { beneficiaries, contacts, conversations, messages } from '../src/store/schema';
import { dbKinds, startTestWasl, type TestWasl } from './support/harness';

describe.each(dbKinds)('ingest on %s', (db) => {
  let wasl: TestWasl;
  beforeAll(async () => {
    wasl = await startTestWasl({ db, roles: 'web' });
  });
  afterAll(async () => {
    await wasl?.stop();
  });

  const store = (channelUserId: string, text: string, providerMessageId = randomUUID()) =>
    ingest({ db: wasl.database.db, queues: wasl.queues, log: pino({ level: 'silent' }) }, { channel: 'telegram', channelUserId, providerMessageId, text });
  const inbound = (conversationId: number) =>
    wasl.database.db.select().from(messages).where(and(eq(messages.conversationId, conversationId), eq(messages.direction, 'in'))).orderBy(asc(messages.seq));
  const people = async () => (await wasl.database.db.select({ n: count() }).from(beneficiaries))[0]!.n;

  it('ten first messages of one new person at once: one record, one contact, one conversation, ten numbers', async () => {
    const before = await people();
    const user = `new-${randomUUID()}`;
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => store(user, `m${i}`)));
    expect(new Set(results.map((r) => r.conversationId)).size).toBe(1);
    expect(results.every((r) => !r.duplicate)).toBe(true);
    expect(await people()).toBe(before + 1);
    const rows = await wasl.database.db.select().from(contacts).where(eq(contacts.channelUserId, user));
    expect(rows).toHaveLength(1);
    expect(rows[0]!.inboundSeq).toBe(10);
    expect((await inbound(results[0]!.conversationId)).map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('a redelivery is the same message, and takes no number', async () => {
    const user = `redelivery-${randomUUID()}`;
    const first = await store(user, 'السلام عليكم');
    const pid = randomUUID();
    const a = await store(user, 'مرة', pid);
    const b = await store(user, 'مرة', pid);
    expect(b).toEqual({ ...a, duplicate: true });
    await store(user, 'بعدها');
    expect((await inbound(first.conversationId)).map((m) => [m.text, m.seq])).toEqual([
      ['السلام عليكم', 1],
      ['مرة', 2],
      ['بعدها', 3],
    ]);
  });

  it("a new sender reusing a stored provider id (an e-mail's Message-ID) is a redelivery, and leaves no record behind", async () => {
    const pid = randomUUID();
    const first = await store(`owner-${randomUUID()}`, 'أول', pid);
    const before = await people();
    const again = await store(`copycat-${randomUUID()}`, 'نسخة', pid);
    expect(again).toEqual({ ...first, duplicate: true });
    expect(await people()).toBe(before);
  });

  it('after a researcher resolved the chat, the next message opens a new conversation, numbered on', async () => {
    const user = `resolved-${randomUUID()}`;
    const first = await store(user, 'أول');
    await wasl.database.db.update(conversations).set({ status: 'resolved', resolvedAt: new Date() }).where(eq(conversations.id, first.conversationId));
    const next = await store(user, 'ثاني');
    expect(next.conversationId).not.toBe(first.conversationId);
    expect((await inbound(next.conversationId)).map((m) => m.seq)).toEqual([2]);
    // Back to the one-statement path: the new conversation is the open one.
    const third = await store(user, 'ثالث');
    expect(third.conversationId).toBe(next.conversationId);
  });

  (db === 'postgres' ? it : it.skip)('stores a message while a drain holds its conversation, and waits for a resolve', async () => {
    const user = `locked-${randomUUID()}`;
    const first = await store(user, 'أول');
    const other = new Client({ connectionString: wasl.databaseUrl });
    await other.connect();
    try {
      // The drain's lock (pipeline/drain-conversation.ts), held as a long drain would.
      await other.query('begin');
      await other.query('select id from conversations where id = $1 for no key update', [first.conversationId]);
      const during = await Promise.race([store(user, 'أثناء'), new Promise<'waited'>((r) => setTimeout(() => r('waited'), 5_000))]);
      expect(during).toMatchObject({ conversationId: first.conversationId, duplicate: false });
      await other.query('commit');

      // A researcher resolving it takes FOR UPDATE: ingest waits, then sees it resolved and opens a new one.
      await other.query('begin');
      await other.query('select id from conversations where id = $1 for update', [first.conversationId]);
      let settled = false;
      const pending = store(user, 'بعد الإغلاق').then((r) => ((settled = true), r));
      await new Promise((r) => setTimeout(r, 500));
      expect(settled).toBe(false);
      await other.query("update conversations set status = 'resolved', resolved_at = now() where id = $1", [first.conversationId]);
      await other.query('commit');
      expect((await pending).conversationId).not.toBe(first.conversationId);
    } finally {
      await other.end();
    }
  });
});
