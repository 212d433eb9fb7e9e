/**
 * The pipeline's promises, proved on real Redis and on both databases: a redelivered message is stored and
 * answered once; fifty messages arriving together, consumed by two engine workers at once, are answered in
 * arrival order, none lost and none doubled.
 */
import { and, asc, eq } from 'drizzle-orm';
import { createEngineWorker } from '../src/queue/workers';
import { messages } from '../src/store/schema';
import { copyContent, useEchoMainMenu, type ContentCopy } from './support/content-fixture';
import { dbKinds, startTestWasl, waitFor, type TestWasl } from './support/harness';

describe.each(dbKinds)('pipeline on %s', (db) => {
  let content: ContentCopy;
  let wasl: TestWasl;
  let second: { close(): Promise<void> };

  beforeAll(async () => {
    content = copyContent();
    useEchoMainMenu(content);
    wasl = await startTestWasl({ db, flowsDir: content.flowsDir, templatesDir: content.templatesDir });
    if (db === 'postgres') {
      // A second engine with its own connection pool, as on a second machine.
      const other = await startTestWasl({ db: { url: wasl.databaseUrl! }, prefix: wasl.prefix, roles: 'engine', flowsDir: content.flowsDir, templatesDir: content.templatesDir });
      second = { close: () => other.close() };
    } else {
      // PGlite serves one process: the second worker shares it, as a second worker thread of one machine would.
      const worker = createEngineWorker({ connection: { url: 'redis://127.0.0.1:6379' }, prefix: wasl.prefix, concurrency: 4, drain: wasl.drain, log: wasl.server!.log as never });
      second = { close: () => worker.close() };
    }
  });
  afterAll(async () => {
    await second?.close();
    await wasl?.stop();
    content?.cleanup();
  });

  async function conversationMessages(conversationId: number) {
    return wasl.database.db.select().from(messages).where(eq(messages.conversationId, conversationId)).orderBy(asc(messages.id));
  }

  it('stores and answers a redelivered message once', async () => {
    const chat = wasl.chat();
    await chat.say('start');
    const providerId = 'provider-msg-0001';
    const statuses = await Promise.all([1, 2, 3, 4, 5].map(() => chat.post('hello once', providerId)));
    expect(statuses).toEqual([202, 202, 202, 202, 202]);
    await chat.post('hello once', providerId); // and once more, later
    const replies = await chat.replies();
    expect(replies.filter((r) => r === 'echo: hello once')).toHaveLength(1);
    const inbound = (await conversationMessages((await chat.conversationId())!)).filter((m) => m.direction === 'in' && m.providerMessageId === providerId);
    expect(inbound).toHaveLength(1);
  });

  it('answers fifty simultaneous messages in arrival order, none lost or doubled, with two workers', async () => {
    const chat = wasl.chat();
    await chat.say('start');
    const texts = Array.from({ length: 50 }, (_, i) => `message ${i + 1}`);
    const statuses = await Promise.all(texts.map((t) => chat.post(t)));
    expect(statuses.every((s) => s === 202)).toBe(true);
    await chat.replies(60_000);

    const all = await conversationMessages((await chat.conversationId())!);
    const inboundBySeq = all.filter((m) => m.direction === 'in' && m.text !== 'start').sort((a, b) => a.seq! - b.seq!);
    expect(inboundBySeq.map((m) => m.text).sort()).toEqual([...texts].sort());
    expect(inboundBySeq.every((m) => m.status === 'processed')).toBe(true);
    // seq is the arrival order: contiguous, no gaps, no duplicates.
    const seqs = inboundBySeq.map((m) => m.seq!);
    expect(seqs).toEqual(Array.from({ length: 50 }, (_, i) => seqs[0]! + i));

    const echoes = all.filter((m) => m.direction === 'out' && m.text?.startsWith('echo: ')).map((m) => m.text!.slice('echo: '.length));
    expect(echoes).toEqual(inboundBySeq.map((m) => m.text));
    expect(all.filter((m) => m.direction === 'out').every((m) => m.status === 'sent')).toBe(true);
  });

  it('keeps conversations independent while one is busy', async () => {
    const a = wasl.chat();
    const b = wasl.chat();
    await Promise.all([a.say('start'), b.say('start')]);
    await Promise.all([...Array.from({ length: 10 }, (_, i) => a.post(`a${i}`)), ...Array.from({ length: 10 }, (_, i) => b.post(`b${i}`))]);
    const [ra, rb] = await Promise.all([a.replies(), b.replies()]);
    expect(ra.filter((r) => r.startsWith('echo: a'))).toHaveLength(10);
    expect(rb.filter((r) => r.startsWith('echo: b'))).toHaveLength(10);
    expect(ra.some((r) => r.startsWith('echo: b'))).toBe(false);
    await waitFor('nothing left unprocessed', async () => {
      const left = await wasl.database.db.select({ id: messages.id }).from(messages).where(and(eq(messages.direction, 'in'), eq(messages.status, 'received')));
      return left.length === 0;
    });
  });
});
