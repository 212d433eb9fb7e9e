/**
 * One beneficiary, two apps: she applies on Telegram (sharing her own number), then asks about her request
 * from WhatsApp on that number — same beneficiary record, her request listed without an identity check.
 * Both channels run their real libraries against fakes at the protocol boundary.
 */
import { and, eq, inArray } from 'drizzle-orm';
import { cliChannel } from '../src/channels/cli/cli-channel';
import { telegramChannel } from '../src/channels/telegram/telegram-channel';
import { createWhatsappChannel } from '../src/channels/whatsapp/whatsapp-channel';
import { contacts, conversations, messages, requests } from '../src/store/schema';
import { FakeTelegramApi, tg } from './fakes/fake-telegram-api';
import { FakeWhatsappPhone, WhatsappChat } from './fakes/fake-whatsapp-client';
import { startTestWasl, waitFor, type TestWasl } from './support/harness';

describe('one beneficiary across Telegram and WhatsApp', () => {
  let fake: FakeTelegramApi;
  let phone: FakeWhatsappPhone;
  let wasl: TestWasl;

  beforeAll(async () => {
    fake = await FakeTelegramApi.start();
    phone = new FakeWhatsappPhone();
    wasl = await startTestWasl({
      db: 'pglite',
      roles: 'web,engine,outbound,whatsapp',
      extraEnv: {
        TELEGRAM_BOT_TOKEN: fake.token,
        TELEGRAM_API_ROOT: fake.url,
        TELEGRAM_CHAT_INTERVAL_MS: '50',
        WHATSAPP_ENABLED: 'true',
        WHATSAPP_MIN_INTERVAL_MS: '0',
        WHATSAPP_PACE_JITTER_MS: '0',
      },
      options: {
        channelModules: [
          cliChannel,
          telegramChannel,
          createWhatsappChannel({ clientFactory: phone.factory, gateway: { heartbeatMs: 200, backoff: { baseMs: 50, maxMs: 400 }, printQr: () => undefined } }),
        ],
      },
    });
    await fake.waitForCall('getUpdates');
  }, 180_000);
  afterAll(async () => {
    await wasl?.stop();
    await fake?.stop();
  });

  /** Pushes one Telegram update and waits until it is stored, processed and every reply sent. */
  async function telegram(update: Parameters<FakeTelegramApi['pushUpdate']>[0]): Promise<void> {
    const pushed = fake.pushUpdate(update) as { message?: { message_id: number; chat: { id: number } } };
    const providerId = `tg-${pushed.message!.chat.id}-${pushed.message!.message_id}`;
    await waitFor(`update ${providerId} to be stored`, async () => (await wasl.database.db.select({ id: messages.id }).from(messages).where(eq(messages.providerMessageId, providerId))).length > 0);
    await waitFor('the Telegram chat to settle', async () => {
      const pending = await wasl.database.db
        .select({ id: messages.id })
        .from(messages)
        .where(and(eq(messages.channel, 'telegram'), inArray(messages.status, ['received', 'queued'])))
        .limit(1);
      return pending.length === 0;
    });
  }

  it('applies on Telegram and checks the status on WhatsApp, on the same beneficiary record', async () => {
    const chatId = 7007;
    const answers: Parameters<FakeTelegramApi['pushUpdate']>[0][] = [
      tg.command(chatId, 'start'),
      tg.text(chatId, '1'),
      tg.text(chatId, 'نورة سعد عبدالله الشهري'),
      tg.text(chatId, '1101234563'),
      tg.contact(chatId, '966501112233', chatId), // her own number, proved by Telegram
      tg.text(chatId, 'جدة'),
      tg.text(chatId, 'الصفا'),
      tg.text(chatId, '4'),
      tg.text(chatId, '1800'),
      tg.text(chatId, '2'),
      tg.text(chatId, '3'),
      tg.text(chatId, 'زوجي متوفى والإيجار متأخر ثلاثة أشهر'),
      tg.text(chatId, 'نعم'),
      tg.text(chatId, '1'),
    ];
    for (const update of answers) await telegram(update);
    const [request] = await wasl.database.db.select().from(requests);
    expect(request?.referenceNumber).toMatch(/^REQ-\d+$/);
    const sentOnTelegram = fake.callsTo('sendMessage').map((c) => String(c.body.text)).join('\n');
    expect(sentOnTelegram).toContain(request!.referenceNumber);

    const whatsapp = new WhatsappChat(wasl, phone, '966501112233@c.us');
    await whatsapp.say('السلام عليكم');
    const mine = (await whatsapp.say('ابي اعرف وش صار على طلباتي')).join('\n') + (await whatsapp.say('طلباتي')).join('\n');
    expect(mine).toContain(request!.referenceNumber);
    expect(mine).not.toContain('آخر 4 أرقام'); // her own request: no identity check

    const linked = await wasl.database.db.select({ channel: contacts.channel, beneficiaryId: contacts.beneficiaryId }).from(contacts);
    const telegramContact = linked.find((c) => c.channel === 'telegram')!;
    const whatsappContact = linked.find((c) => c.channel === 'whatsapp')!;
    expect(whatsappContact.beneficiaryId).toBe(telegramContact.beneficiaryId);
    expect(request!.beneficiaryId).toBe(telegramContact.beneficiaryId);
    const convs = await wasl.database.db.select({ channel: conversations.channel, beneficiaryId: conversations.beneficiaryId }).from(conversations);
    expect(new Set(convs.map((c) => c.beneficiaryId)).size).toBe(1);
  });
});
