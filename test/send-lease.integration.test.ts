/**
 * One sender per conversation even when Redis forgets (ADR 0013). The queue keeps one send job per conversation
 * only while it remembers the job that is running: a Redis restarted empty lets the sweeper and the engine ask
 * again for a conversation whose job is still sending. Here the forgetting is made exact: besides the ordinary
 * request, two more jobs for the same conversation are added to the queue with no deduplication at all, while a
 * slow provider keeps the first one busy. Every reply still goes out once, in order.
 */
import { and, eq, sql } from 'drizzle-orm';
import { telegramChannel } from '../src/channels/telegram/telegram-channel';
import { sendJobName } from '../src/queue/queues';
import { contacts, conversations, messages, outboundLeases } from '../src/store/schema';
import { FakeTelegramApi, tg } from './fakes/fake-telegram-api';
import { telegramEnv } from './faults/support/fault-load';
import { dbKinds, startTestWasl, waitFor, type TestWasl } from './support/harness';

const LEASE_MS = 600;

describe.each(dbKinds)('sending one conversation on %s', (db) => {
  let fake: FakeTelegramApi;
  let wasl: TestWasl;

  beforeAll(async () => {
    fake = await FakeTelegramApi.start();
    // A lease (and job lock) shorter than one slow send: the lease must be renewed while its holder waits.
    wasl = await startTestWasl({ db, extraEnv: telegramEnv(fake), options: { channelModules: [telegramChannel], outboundLockDurationMs: LEASE_MS } });
  }, 180_000);
  afterAll(async () => {
    await wasl?.stop();
    await fake?.stop();
  });

  const post = (update: unknown) =>
    fetch(`${wasl.url}/webhooks/telegram`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': telegramEnv(fake).TELEGRAM_WEBHOOK_SECRET! },
      body: JSON.stringify(update),
    });

  /** Queues `count` replies to the chat's conversation at once and asks for them three times; what the chat got. */
  async function sendWithThreeJobs(chatId: number, count: number, sendDelayMs: number): Promise<{ sent: unknown[]; texts: string[] }> {
    expect((await post(fake.makeUpdate(tg.text(chatId, 'السلام عليكم')))).status).toBe(200);
    const [greeting] = await waitFor('the greeting to be answered', async () => {
      const rows = await wasl.database.db
        .select({ conversationId: messages.conversationId })
        .from(messages)
        .innerJoin(conversations, eq(conversations.id, messages.conversationId))
        .innerJoin(contacts, eq(contacts.id, conversations.contactId))
        .where(and(eq(contacts.channelUserId, String(chatId)), eq(messages.direction, 'out'), eq(messages.status, 'sent')));
      return rows.length ? rows : null;
    });
    const conversationId = greeting!.conversationId;
    const before = fake.callsTo('sendMessage').length;

    // Replies queued at once, as a researcher's burst would be; each send takes a while.
    fake.sendDelayMs = sendDelayMs;
    const texts = Array.from({ length: count }, (_, i) => `رد رقم ${i + 1} — ${db} ${chatId}`);
    const queued = await wasl.database.db
      .insert(messages)
      .values(texts.map((text) => ({ conversationId, direction: 'out' as const, channel: 'telegram', author: 'staff' as const, text, payload: { choices: [], language: 'ar' }, status: 'queued' as const })))
      .returning({ id: messages.id });
    const ask = { conversationId, messageId: queued[0]!.id };
    await wasl.queues.enqueueSend({ id: ask.messageId, channel: 'telegram', conversationId });
    // What a Redis that lost its keys would allow: jobs that know nothing of the one already running.
    await wasl.queues.outbound.telegram.add(sendJobName, ask);
    await wasl.queues.outbound.telegram.add(sendJobName, ask);

    await waitFor(
      'every reply to be sent',
      async () => (await wasl.database.db.select({ status: messages.status }).from(messages).where(eq(messages.conversationId, conversationId))).every((m) => m.status !== 'queued'),
      60_000,
    );
    fake.sendDelayMs = 0;
    // The last send gave the lease back.
    await waitFor('the lease to be given back', async () => {
      const [row] = await wasl.database.db
        .select()
        .from(outboundLeases)
        .where(and(eq(outboundLeases.conversationId, conversationId), sql`${outboundLeases.expiresAt} = '-infinity'`));
      return row;
    });
    const sent = fake
      .callsTo('sendMessage')
      .slice(before)
      .filter((c) => c.body.chat_id === String(chatId))
      .map((c) => c.body.text);
    return { sent, texts };
  }

  it('sends each reply once and in order while three jobs ask for it at once', async () => {
    const { sent, texts } = await sendWithThreeJobs(db === 'postgres' ? 9101 : 9102, 8, 150);
    expect(sent).toEqual(texts);
  }, 120_000);

  it('keeps the lease through a send longer than the lease itself (renewed while the holder waits)', async () => {
    const { sent, texts } = await sendWithThreeJobs(db === 'postgres' ? 9201 : 9202, 3, LEASE_MS * 2);
    expect(sent).toEqual(texts);
  }, 120_000);
});
