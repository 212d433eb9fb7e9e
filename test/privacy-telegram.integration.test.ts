/**
 * A data request on a real channel: a beneficiary on Telegram asks, in her own words, for a copy of her data,
 * taps the button the bot offers, and gets the task's number; the task (kind `copy`, channel `telegram`) is
 * then on the supervisors' list. The real telegraf client talks to the fake Bot API; PostgreSQL and Redis are
 * real. The same request through the terminal channel, and the export and erasure that follow, are in
 * privacy.integration.test.ts.
 */
import { and, eq, inArray } from 'drizzle-orm';
import { telegramChannel } from '../src/channels/telegram/telegram-channel';
import { auditLog, contacts, conversations, dataRequests, messages } from '../src/store/schema';
import { signedIn } from './console-client';
import { FakeTelegramApi, tg, type RecordedCall } from './fakes/fake-telegram-api';
import { startTestWasl, waitFor, type TestWasl } from './support/harness';

interface Sent {
  text: string;
  messageId: number;
  buttons: { text: string; data: string }[];
}

const sentOf = (c: RecordedCall): Sent => {
  const keyboard = (c.body.reply_markup as { inline_keyboard?: { text: string; callback_data: string }[][] } | undefined)?.inline_keyboard ?? [];
  return { text: String(c.body.text), messageId: (c.result as { message_id: number }).message_id, buttons: keyboard.flat().map((b) => ({ text: b.text, data: b.callback_data })) };
};

describe('a data request on Telegram', () => {
  const chatId = 7301;
  let fake: FakeTelegramApi;
  let wasl: TestWasl;
  let seen = 0;

  beforeAll(async () => {
    fake = await FakeTelegramApi.start();
    wasl = await startTestWasl({
      db: 'postgres',
      extraEnv: { TELEGRAM_BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: fake.url, TELEGRAM_CHAT_INTERVAL_MS: '50' },
      options: { channelModules: [telegramChannel] },
    });
    await fake.waitForCall('getUpdates');
  }, 180_000); // starting Wasl (migrations, NLU training) is slow on a loaded machine
  afterAll(async () => {
    await wasl?.stop();
    await fake?.stop();
  });

  const contact = async () => (await wasl.database.db.select().from(contacts).where(and(eq(contacts.channel, 'telegram'), eq(contacts.channelUserId, String(chatId)))))[0];
  const sent = () => fake.callsTo('sendMessage').filter((c) => c.body.chat_id === String(chatId) && c.status === 200).map(sentOf);

  /** Pushes an update and returns what the bot sent to the chat for it, once it is processed and sent. */
  async function send(update: Parameters<FakeTelegramApi['pushUpdate']>[0]): Promise<Sent[]> {
    const pushed = fake.pushUpdate(update);
    const providerId = pushed.message ? `tg-${chatId}-${(pushed.message as { message_id: number }).message_id}` : `tg-cb-${(pushed.callback_query as { id: string }).id}`;
    const db = wasl.database.db;
    await waitFor(`update ${pushed.update_id} to be stored`, async () => (await db.select({ id: messages.id }).from(messages).where(eq(messages.providerMessageId, providerId))).length > 0);
    await waitFor(`chat ${chatId} to settle`, async () => {
      const pending = await db
        .select({ id: messages.id })
        .from(messages)
        .innerJoin(conversations, eq(conversations.id, messages.conversationId))
        .where(and(eq(conversations.contactId, (await contact())!.id), inArray(messages.status, ['received', 'queued'])))
        .limit(1);
      return pending.length === 0;
    });
    const all = sent();
    const fresh = all.slice(seen);
    seen = all.length;
    return fresh;
  }

  it('turns "I want a copy of my data" into a copy task staff can see', async () => {
    await send(tg.command(chatId, 'start'));
    const [asked] = await send(tg.text(chatId, 'ابغى نسخة من بياناتي اللي عندكم'));
    expect(asked!.text).toContain('من حقك أن تطّلع على بياناتك');
    const copyButton = asked!.buttons.find((b) => b.text.includes('نسخة من بياناتي'));
    expect(copyButton).toBeDefined();

    const recorded = (await send(tg.callback(chatId, copyButton!.data, asked!.messageId))).map((m) => m.text).join('\n');
    expect(recorded).toContain('سجّلنا طلبك برقم');
    const number = /DR-\d+/.exec(recorded)?.[0];
    expect(number).toBeDefined();

    const db = wasl.database.db;
    const { id: contactId, beneficiaryId } = (await contact())!;
    const tasks = await db.select().from(dataRequests).where(eq(dataRequests.beneficiaryId, beneficiaryId));
    expect(tasks.map((t) => [t.kind, t.status, t.channel, t.contactId])).toEqual([['copy', 'open', 'telegram', contactId]]);
    expect(number).toBe(`DR-${tasks[0]!.id}`);
    const audited = await db.select().from(auditLog).where(and(eq(auditLog.beneficiaryId, beneficiaryId), eq(auditLog.action, 'data-request.create')));
    expect(audited).toHaveLength(1);

    const supervisor = await signedIn(db, wasl.url!, { role: 'supervisor' });
    const researcher = await signedIn(db, wasl.url!, { role: 'researcher' });
    expect((await researcher.client.get('/api/data-requests')).status).toBe(403);
    const list = await supervisor.client.get('/api/data-requests');
    expect(list.status).toBe(200);
    const listed = list.body.dataRequests.filter((d: { beneficiaryId: number }) => d.beneficiaryId === beneficiaryId);
    expect(listed).toEqual([expect.objectContaining({ kind: 'copy', number })]);
  });
});
