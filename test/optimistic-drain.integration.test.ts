/**
 * The optimistic drain (ADR 0010, pipeline/drain-conversation.ts) on both databases: a turn that needs nothing
 * but the conversation is saved without the row lock, in one statement checked against the row version read; a
 * conversation changed in between gets nothing written; a turn that needs the database (an action, a handoff)
 * goes down the transactional path. The engine does not run here: the test calls the drain itself.
 */
import { and, eq, sql } from 'drizzle-orm';
import { parseConversationState } from '../src/engine/conversation-state';
import type { DrainOutcome } from '../src/pipeline/drain-conversation';
import { saveDrainsIfUnchanged, type DrainSave } from '../src/pipeline/drain-conversation';
import { createOutboundLeases } from '../src/pipeline/outbound-lease';
import { createSendStatements, type QueuedRow } from '../src/pipeline/send-outbound';
import { conversations, messages, outboundLeases } from '../src/store/schema';
import { Client } from 'pg';
import pino from 'pino';
import { dbKinds, startTestWasl, waitFor, type TestWasl } from './support/harness';

describe.each(dbKinds)('the optimistic drain on %s', (db) => {
  let wasl: TestWasl;

  beforeAll(async () => {
    wasl = await startTestWasl({ db, roles: 'web,outbound' });
  });
  afterAll(async () => {
    await wasl?.stop();
  });

  const statuses = async (conversationId: number) =>
    wasl.database.db
      .select({ direction: messages.direction, status: messages.status })
      .from(messages)
      .where(eq(messages.conversationId, conversationId));

  async function versionOf(conversationId: number): Promise<string> {
    const r = await wasl.database.db.execute(sql`select xmin::text as v from conversations where id = ${conversationId}`);
    return String((r as unknown as { rows: { v: string }[] }).rows[0]!.v);
  }

  it('answers a greeting without the lock, and the replies go out', async () => {
    const chat = wasl.chat();
    expect(await chat.post('السلام عليكم')).toBe(202);
    const conversationId = (await chat.conversationId())!;
    const outcome = (await wasl.drain(conversationId)) as DrainOutcome;
    expect(outcome).toMatchObject({ path: 'optimistic', processed: 1, more: false });
    expect(outcome.outbound.length).toBeGreaterThan(0);
    expect(outcome.outbound.every((o) => o.conversationId === conversationId && o.channel === 'cli')).toBe(true);
    // Every reply the drain wrote reached the beneficiary, and nothing else did.
    const replies = await chat.replies();
    expect(replies).toHaveLength(outcome.outbound.length);
    const rows = await statuses(conversationId);
    expect(rows.filter((m) => m.direction === 'in').map((m) => m.status)).toEqual(['processed']);
    expect(rows.filter((m) => m.direction === 'out').map((m) => m.status)).toEqual(outcome.outbound.map(() => 'sent'));
    // Drained already: a second drain finds nothing to do.
    expect(await wasl.drain(conversationId)).toMatchObject({ processed: 0, outbound: [] });
  });

  it('writes nothing when the conversation changed after it was read, and saves against the new version', async () => {
    const chat = wasl.chat();
    expect(await chat.post('السلام عليكم')).toBe(202);
    const conversationId = (await chat.conversationId())!;
    const [conv] = await wasl.database.db.select().from(conversations).where(eq(conversations.id, conversationId));
    const [pending] = await wasl.database.db
      .select({ id: messages.id })
      .from(messages)
      .where(and(eq(messages.conversationId, conversationId), eq(messages.direction, 'in')));
    const read = await versionOf(conversationId);
    // A console action (or another drain) writes the row in between.
    await wasl.database.db.update(conversations).set({ updatedAt: new Date() }).where(eq(conversations.id, conversationId));
    const save = async (version: string) => {
      const [written] = await saveDrainsIfUnchanged(wasl.database.db, [
        {
          conversationId,
          channel: conv!.channel,
          replies: [{ rendered: { text: 'رد', choices: [], template: 'test.reply' }, language: 'ar' }],
          now: new Date(),
          messageIds: [pending!.id],
          state: parseConversationState(conv!.state),
          status: conv!.status,
          version,
        },
      ]);
      return written;
    };
    expect(await save(read)).toBeNull();
    expect(await statuses(conversationId)).toEqual([{ direction: 'in', status: 'received' }]);
    const written = await save(await versionOf(conversationId));
    expect(written).toHaveLength(1);
    expect(written![0]).toMatchObject({ conversationId, channel: conv!.channel });
    const after = await statuses(conversationId);
    expect(after).toHaveLength(2);
    expect(after).toEqual(expect.arrayContaining([{ direction: 'in', status: 'processed' }, { direction: 'out', status: 'queued' }]));
  });

  /** A new conversation with one message waiting, and what an optimistic drain would save of it. */
  async function pendingSave(text: string): Promise<DrainSave> {
    const chat = wasl.chat();
    expect(await chat.post(text)).toBe(202);
    const conversationId = (await chat.conversationId())!;
    const [conv] = await wasl.database.db.select().from(conversations).where(eq(conversations.id, conversationId));
    const pending = await wasl.database.db
      .select({ id: messages.id })
      .from(messages)
      .where(and(eq(messages.conversationId, conversationId), eq(messages.direction, 'in')));
    return {
      conversationId,
      channel: conv!.channel,
      replies: [
        { rendered: { text: `أولاً ${text}`, choices: [], template: 'test.reply' }, language: 'ar' },
        { rendered: { text: `ثانياً ${text}`, choices: [], template: 'test.reply' }, language: 'ar' },
      ],
      now: new Date(),
      messageIds: pending.map((m) => m.id),
      state: { ...parseConversationState(conv!.state), language: 'ar' },
      status: conv!.status,
      version: await versionOf(conversationId),
    };
  }

  const repliesOf = async (conversationId: number) =>
    wasl.database.db
      .select({ id: messages.id, text: messages.text, status: messages.status })
      .from(messages)
      .where(and(eq(messages.conversationId, conversationId), eq(messages.direction, 'out')))
      .orderBy(messages.id);

  it('saves several conversations in one statement, each on its own terms', async () => {
    const [a, stale, c] = [await pendingSave('أ'), await pendingSave('ب'), await pendingSave('ج')];
    await wasl.database.db.update(conversations).set({ updatedAt: new Date() }).where(eq(conversations.id, stale.conversationId));
    const written = await saveDrainsIfUnchanged(wasl.database.db, [a, stale, c]);
    // The stale one gets nothing written; the other two get exactly their own replies, in order.
    expect(written[1]).toBeNull();
    expect(await statuses(stale.conversationId)).toEqual([{ direction: 'in', status: 'received' }]);
    for (const [i, save] of [[0, a], [2, c]] as const) {
      const rows = await repliesOf(save.conversationId);
      expect(rows.map((r) => r.text)).toEqual(save.replies.map((r) => r.rendered.text));
      expect(written[i]!.map((o) => o.id)).toEqual(rows.map((r) => r.id));
      const [conv] = await wasl.database.db.select().from(conversations).where(eq(conversations.id, save.conversationId));
      expect(parseConversationState(conv!.state).language).toBe('ar');
      const inbound = (await statuses(save.conversationId)).filter((m) => m.direction === 'in');
      expect(inbound).toEqual([{ direction: 'in', status: 'processed' }]);
    }
  });

  it('records sends of several conversations in one statement, each returning its own next reply', async () => {
    const saves = [await pendingSave('د'), await pendingSave('هـ'), await pendingSave('ح')];
    await saveDrainsIfUnchanged(wasl.database.db, saves);
    const channel = saves[0]!.channel;
    const statements = createSendStatements(wasl.database.db, channel, { statementBatch: 32, leaseMs: 30_000 });
    // Three at once, in one statement: each takes its conversation's lease and reads its first reply.
    const taken = await Promise.all(saves.map((s) => statements.takeFirst(s.conversationId)));
    const held = taken.map((t) => {
      if (!('lease' in t)) throw new Error(`a free conversation's lease was held: ${JSON.stringify(t)}`);
      return t;
    });
    // Held: a second job of the same conversation is told to wait, for at most a second.
    const second = await statements.takeFirst(saves[0]!.conversationId);
    expect(second).toEqual({ retryInMs: expect.any(Number) });
    expect((second as { retryInMs: number }).retryInMs).toBeLessThanOrEqual(1000);
    const mark = (row: QueuedRow, i: number) =>
      statements.markSent({ messageId: row.message.id, lease: held[i]!.lease, providerMessageId: `p-${row.message.id}`, sentAt: new Date(), via: null });
    const marks = await Promise.all(held.map((t, i) => mark(t.first!, i)));
    for (const [i, save] of saves.entries()) {
      const rows = await repliesOf(save.conversationId);
      expect(held[i]!.first!.message.id).toBe(rows[0]!.id);
      expect(marks[i]).toMatchObject({ recorded: true, released: false, next: { message: { id: rows[1]!.id, conversationId: save.conversationId } } });
      expect(rows.map((r) => r.status)).toEqual(['sent', 'queued']);
    }
    // Recorded already: a second record of the same send says so and changes nothing.
    expect(await mark(held[0]!.first!, 0)).toEqual({ recorded: false, next: null, released: false });
    // The last reply recorded gives the lease back in the same statement: the conversation is free again.
    expect(await mark(marks[0]!.next!, 0)).toEqual({ recorded: true, next: null, released: true });
    expect(await statements.takeFirst(saves[0]!.conversationId)).toEqual({ lease: { conversationId: saves[0]!.conversationId, holder: expect.any(String) }, first: null });
    // Another holder's lease reads nothing, though a reply is queued.
    expect(await statements.firstQueued({ conversationId: saves[1]!.conversationId, holder: 'someone-else' })).toBeNull();
  });

  it('prunes leases given back or expired over an hour ago, and only those', async () => {
    const channel = 'web';
    const leases = createOutboundLeases({ db: wasl.database.db, channel, leaseMs: 30_000, statementBatch: 1, log: pino({ level: 'silent' }) });
    try {
      const base = 900_000_000;
      await wasl.database.db.insert(outboundLeases).values([
        { conversationId: base + 1, channel, holder: 'given-back-long-ago', expiresAt: sql`'-infinity'` },
        { conversationId: base + 2, channel, holder: 'died-long-ago', expiresAt: sql`now() - interval '2 hours'` },
        { conversationId: base + 3, channel, holder: 'died-a-minute-ago', expiresAt: sql`now() - interval '1 minute'` },
        { conversationId: base + 4, channel, holder: 'sending', expiresAt: sql`now() + interval '30 seconds'` },
        { conversationId: base + 5, channel: 'sms', holder: 'another-channel', expiresAt: sql`'-infinity'` },
      ]);
      expect(await leases.prune()).toBe(2);
      const left = await wasl.database.db.select({ holder: outboundLeases.holder }).from(outboundLeases).where(sql`${outboundLeases.conversationId} > ${base}`);
      expect(left.map((l) => l.holder).sort()).toEqual(['another-channel', 'died-a-minute-ago', 'sending']);
    } finally {
      leases.stop();
    }
  });

  if (db === 'postgres') {
    it('takes a lease given back after its statement began, and does not send again what the last holder sent', async () => {
      const save = await pendingSave('ط');
      await saveDrainsIfUnchanged(wasl.database.db, [save]);
      const { conversationId, channel } = save;
      const [first, second] = await repliesOf(conversationId);
      const statements = createSendStatements(wasl.database.db, channel, { statementBatch: 1, leaseMs: 30_000 });
      await wasl.database.db.insert(outboundLeases).values({ conversationId, channel, holder: 'the-last-holder', expiresAt: sql`now() + interval '1 minute'` });
      // The last holder records its send of the first reply and gives the lease back, not yet committed.
      const last = new Client({ connectionString: wasl.databaseUrl });
      await last.connect();
      try {
        await last.query('begin');
        await last.query(`update messages set status = 'sent' where id = $1`, [first!.id]);
        await last.query(`update outbound_leases set expires_at = '-infinity' where conversation_id = $1 and channel = $2`, [conversationId, channel]);
        // The next job's statement starts, with a snapshot in which the first reply is queued, and waits for the lease.
        const taking = statements.takeFirst(conversationId);
        await waitFor('the take to wait for the lease row', async () => {
          const r = await wasl.database.db.execute(sql`
            select count(*)::int as n from pg_stat_activity
            where datname = current_database() and wait_event_type = 'Lock' and query like '%insert into outbound_leases%'`);
          return (r as unknown as { rows: { n: number }[] }).rows[0]!.n > 0;
        });
        await last.query('commit');
        expect(await taking).toMatchObject({ lease: { conversationId }, first: { message: { id: second!.id } } });
      } finally {
        await last.end();
      }
    });

    it('does not wait for a conversation someone holds: that one is left to the transactional drain', async () => {
      const [held, free] = [await pendingSave('و'), await pendingSave('ز')];
      const other = new Client({ connectionString: wasl.databaseUrl });
      await other.connect();
      try {
        await other.query('begin');
        await other.query('select id from conversations where id = $1 for update', [held.conversationId]);
        const written = await saveDrainsIfUnchanged(wasl.database.db, [held, free]);
        expect(written[0]).toBeNull();
        expect(written[1]).toHaveLength(2);
        await other.query('rollback');
      } finally {
        await other.end();
      }
      expect(await statuses(held.conversationId)).toEqual([{ direction: 'in', status: 'received' }]);
    });
  }

  it('leaves a handoff to the transactional drain', async () => {
    const chat = wasl.chat();
    expect(await chat.post('السلام عليكم')).toBe(202);
    const conversationId = (await chat.conversationId())!;
    await wasl.drain(conversationId);
    expect(await chat.post('ابي اكلم موظف')).toBe(202);
    const outcome = (await wasl.drain(conversationId)) as DrainOutcome;
    expect(outcome).toMatchObject({ path: 'transactional', processed: 1 });
    // The handoff's columns, which only the transactional drain writes, are there.
    const [conv] = await wasl.database.db.select().from(conversations).where(eq(conversations.id, conversationId));
    expect(conv).toMatchObject({ status: 'waiting', handoffReason: 'requested' });
    expect(conv!.handedOffAt).toBeInstanceOf(Date);
  });
});
