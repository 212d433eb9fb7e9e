/**
 * Telegram in long-polling mode, end to end: the real telegraf client against the fake Bot API
 * (test/fakes/fake-telegram-api.ts), the real pipeline, Redis and PGlite. A beneficiary applies in Arabic from
 * /start to the reference number by buttons and typed answers, and the replies arrive as sendMessage calls.
 */
import { and, eq, inArray } from 'drizzle-orm';
import { cliChannel } from '../src/channels/cli/cli-channel';
import { telegramChannel } from '../src/channels/telegram/telegram-channel';
import { contacts, conversations, messages, requestDocuments, requests } from '../src/store/schema';
import { FakeTelegramApi, fakeJpeg, tg, type RecordedCall } from './fakes/fake-telegram-api';
import { startTestWasl, waitFor, type TestWasl } from './support/harness';
import { submitRequest } from './support/intake-script';

interface SentMessage {
  text: string;
  messageId: number;
  buttons: { text: string; data: string }[];
}

const sentOf = (c: RecordedCall): SentMessage => {
  const keyboard = (c.body.reply_markup as { inline_keyboard?: { text: string; callback_data: string }[][] } | undefined)?.inline_keyboard ?? [];
  return { text: String(c.body.text), messageId: (c.result as { message_id: number }).message_id, buttons: keyboard.flat().map((b) => ({ text: b.text, data: b.callback_data })) };
};

/** A person on Telegram: sends updates through the fake and reads back what the bot sent to their chat. */
class TelegramPerson {
  private seen = 0;
  constructor(
    private readonly fake: FakeTelegramApi,
    private readonly wasl: TestWasl,
    readonly chatId: number,
  ) {}

  /** Every successful sendMessage to this chat so far. */
  sent(): SentMessage[] {
    return this.fake.callsTo('sendMessage').filter((c) => c.body.chat_id === String(this.chatId) && c.status === 200).map(sentOf);
  }

  /** Waits until everything this person sent is processed and every reply sent; returns the new replies. */
  async replies(): Promise<SentMessage[]> {
    const db = this.wasl.database.db;
    await waitFor(`chat ${this.chatId} to settle`, async () => {
      const [contact] = await db.select().from(contacts).where(and(eq(contacts.channel, 'telegram'), eq(contacts.channelUserId, String(this.chatId))));
      if (!contact) return false;
      const pending = await db
        .select({ id: messages.id })
        .from(messages)
        .innerJoin(conversations, eq(conversations.id, messages.conversationId))
        .where(and(eq(conversations.contactId, contact.id), inArray(messages.status, ['received', 'queued'])))
        .limit(1);
      return pending.length === 0;
    });
    const all = this.sent();
    const fresh = all.slice(this.seen);
    this.seen = all.length;
    return fresh;
  }

  async send(update: Record<string, unknown>): Promise<SentMessage[]> {
    const pushed = this.fake.pushUpdate(update);
    const providerId = pushed.message
      ? `tg-${this.chatId}-${(pushed.message as { message_id: number }).message_id}`
      : `tg-cb-${(pushed.callback_query as { id: string }).id}`;
    await waitFor(`update ${pushed.update_id} to be stored`, async () =>
      (await this.wasl.database.db.select({ id: messages.id }).from(messages).where(eq(messages.providerMessageId, providerId))).length > 0,
    );
    return this.replies();
  }

  say(text: string): Promise<SentMessage[]> {
    return this.send(tg.text(this.chatId, text));
  }

  /** Taps the button whose label matches, on the newest keyboard this chat has. */
  tap(label: RegExp): Promise<SentMessage[]> {
    const withKeyboard = this.sent().filter((m) => m.buttons.length > 0).at(-1);
    const button = withKeyboard?.buttons.find((b) => label.test(b.text));
    if (!withKeyboard || !button) throw new Error(`no button ${label} on the last keyboard: ${JSON.stringify(withKeyboard?.buttons)}`);
    return this.send(tg.callback(this.chatId, button.data, withKeyboard.messageId));
  }
}

const joined = (ms: SentMessage[]) => ms.map((m) => m.text).join('\n');

describe('Telegram over long polling', () => {
  let fake: FakeTelegramApi;
  let wasl: TestWasl;
  beforeAll(async () => {
    fake = await FakeTelegramApi.start();
    wasl = await startTestWasl({
      db: 'pglite',
      extraEnv: { TELEGRAM_BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: fake.url, TELEGRAM_CHAT_INTERVAL_MS: '100' },
      options: { channelModules: [cliChannel, telegramChannel] },
    });
    await fake.waitForCall('getUpdates');
  }, 180_000); // starting Wasl (migrations, NLU training) is slow on a loaded machine
  afterAll(async () => {
    await wasl?.stop();
    await fake?.stop();
  });

  it('connects with getMe and deleteWebhook, then polls', () => {
    const methods = fake.calls.map((c) => c.method);
    expect(methods.indexOf('getMe')).toBeLessThan(methods.indexOf('deleteWebhook'));
    expect(methods.indexOf('deleteWebhook')).toBeLessThan(methods.indexOf('getUpdates'));
    expect(fake.callsTo('getUpdates')[0]!.body).toMatchObject({ allowed_updates: ['message', 'callback_query', 'my_chat_member'] });
    expect(fake.callsTo('setWebhook')).toHaveLength(0);
  });

  it('takes a beneficiary from /start to a reference number and a stored photo, by buttons and typed answers', async () => {
    const person = new TelegramPerson(fake, wasl, 5001);
    const welcome = await person.send(tg.command(5001, 'start'));
    expect(joined(welcome)).toContain('جمعية بر الخوار');
    const menu = welcome.at(-1)!;
    expect(menu.buttons.map((b) => b.text)).toContain('1. تقديم طلب مساعدة');
    expect(menu.buttons[0]!.data).toMatch(/^c:1:\d+$/);
    expect(Buffer.byteLength(menu.buttons[0]!.data)).toBeLessThanOrEqual(64);
    expect(fake.callsTo('sendMessage').every((c) => c.body.parse_mode === undefined)).toBe(true);

    expect(joined(await person.tap(/تقديم طلب/))).toContain('اسمك الرباعي');
    // The used keyboard is answered and removed.
    await fake.waitForCall('answerCallbackQuery');
    await fake.waitForCall('editMessageReplyMarkup', (c) => c.body.message_id === menu.messageId);

    expect(joined(await person.say('نورة سعد عبدالله الشهري'))).toContain('الهوية');
    expect(joined(await person.say('1101234563'))).toContain('جوال');
    // Her own contact answers the mobile question and proves the number.
    expect(joined(await person.send(tg.contact(5001, '966501112233', 5001)))).toContain('مدينة');
    await person.say('جدة');
    expect(joined(await person.say('الصفا'))).toContain('أفراد');
    expect(joined(await person.say('٤'))).toContain('دخل');
    const housing = await person.say('1800');
    expect(housing.at(-1)!.buttons.length).toBeGreaterThan(1);
    expect(joined(await person.tap(/إيجار|مستأجر/))).toContain('نوع الدعم');
    expect(joined(await person.tap(/^1\./))).toContain('صف');
    const review = joined(await person.say('زوجي متوفى والإيجار متأخر ثلاثة أشهر'));
    expect(review).toContain('******4563');
    expect(review).toContain('+966501112233');
    const attestation = await person.say('نعم');
    expect(joined(attestation)).toContain('أقر');
    const submitted = await person.tap(/^1\./);
    const reference = /REQ-\d+/.exec(joined(submitted))?.[0];
    expect(reference).toBeDefined();

    const [request] = await wasl.database.db.select().from(requests).where(eq(requests.referenceNumber, reference!));
    expect(request).toMatchObject({ status: 'submitted' });
    const [contact] = await wasl.database.db.select().from(contacts).where(eq(contacts.channelUserId, '5001'));
    expect(contact).toMatchObject({ channel: 'telegram', verifiedMobile: '+966501112233', displayName: 'نورة الشهري' });

    // The documents step: send one now, as a photo.
    expect(submitted.at(-1)!.buttons.length).toBeGreaterThan(0);
    const askDocument = await person.tap(/^1\./);
    expect(askDocument.length).toBeGreaterThan(0);
    const photo = fakeJpeg(50_000);
    const received = await person.send(tg.photo(5001, fake.addFile(photo), photo.length, 'صورة الهوية'));
    expect(received.length).toBeGreaterThan(0);
    const docs = await wasl.database.db.select().from(requestDocuments).where(eq(requestDocuments.requestId, request!.id));
    expect(docs).toHaveLength(1);
    expect(fake.callsTo('download')).toHaveLength(1);
    expect(fake.callsTo('getFile')[0]!.body).toMatchObject({ file_id: expect.stringMatching(/^file-/) });
  });

  it('stores a redelivered message once and answers it once', async () => {
    const person = new TelegramPerson(fake, wasl, 5002);
    const update = tg.text(5002, 'السلام عليكم');
    fake.pushUpdate(update);
    fake.pushUpdate(update); // same chat and message id, as after a lost confirmation
    const replies = await person.replies();
    expect(replies.length).toBeGreaterThan(0);
    const stored = await wasl.database.db.select().from(messages).where(eq(messages.providerMessageId, `tg-5002-${update.message.message_id}`));
    expect(stored).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 500));
    expect(person.sent()).toHaveLength(replies.length);
  });

  it('ignores a tap on an old keyboard and removes that keyboard', async () => {
    const person = new TelegramPerson(fake, wasl, 5003);
    const welcome = await person.send(tg.command(5003, 'menu'));
    const oldMenu = welcome.at(-1)!;
    await person.say('1'); // typed instead of tapped: the menu's keyboard is now stale
    const before = (await wasl.database.db.select({ id: messages.id }).from(messages).where(eq(messages.direction, 'in'))).length;
    fake.pushUpdate(tg.callback(5003, oldMenu.buttons[2]!.data, oldMenu.messageId));
    await fake.waitForCall('editMessageReplyMarkup', (c) => c.body.message_id === oldMenu.messageId);
    const after = (await wasl.database.db.select({ id: messages.id }).from(messages).where(eq(messages.direction, 'in'))).length;
    expect(after).toBe(before);
  });

  it('maps /human and /lang to the engine commands', async () => {
    const person = new TelegramPerson(fake, wasl, 5004);
    await person.send(tg.command(5004, 'start'));
    const chooser = await person.send(tg.command(5004, 'lang'));
    expect(chooser.at(-1)!.buttons.map((b) => b.text).join()).toMatch(/English/);
    const english = joined(await person.tap(/English/));
    expect(english).toMatch(/Welcome/);
    const human = joined(await person.send(tg.command(5004, 'human')));
    expect(human).toMatch(/researcher/i);
  });

  it('waits out a 429 retry_after and then delivers, without using up an attempt', async () => {
    const person = new TelegramPerson(fake, wasl, 5005);
    fake.failNext('sendMessage', { error_code: 429, description: 'Too Many Requests: retry after 1', retry_after: 1 }, { chatId: 5005 });
    const replies = await person.say('السلام عليكم');
    expect(replies.length).toBeGreaterThan(0);
    const attempts = fake.callsTo('sendMessage').filter((c) => c.body.chat_id === '5005');
    expect(attempts[0]!.status).toBe(429);
    expect(attempts[1]!.status).toBe(200);
    expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(950);
    const [out] = await wasl.database.db
      .select()
      .from(messages)
      .where(and(eq(messages.direction, 'out'), eq(messages.providerMessageId, String(replies[0]!.messageId))));
    expect(out!.status).toBe('sent');
    const jobs = await wasl.queues.outbound.telegram.getJobs(['completed']);
    const job = jobs.find((j) => j.data.conversationId === out!.conversationId && j.data.messageId === out!.id);
    expect(job).toBeDefined();
    expect(job!.attemptsMade).toBeLessThanOrEqual(1);
  });

  it('holds back only the chat that got a 429: other chats keep receiving meanwhile', async () => {
    const slow = new TelegramPerson(fake, wasl, 5010);
    const other = new TelegramPerson(fake, wasl, 5011);
    fake.failNext('sendMessage', { error_code: 429, description: 'Too Many Requests: retry after 3', retry_after: 3 }, { chatId: 5010 });
    const slowReplies = slow.say('السلام عليكم');
    await waitFor('the 429', async () => fake.callsTo('sendMessage').some((c) => c.body.chat_id === '5010' && c.status === 429));
    expect((await other.say('السلام عليكم')).length).toBeGreaterThan(0);
    expect((await slowReplies).length).toBeGreaterThan(0);
    const calls = fake.callsTo('sendMessage');
    const refused = calls.find((c) => c.body.chat_id === '5010' && c.status === 429)!;
    const retried = calls.find((c) => c.body.chat_id === '5010' && c.status === 200)!;
    const otherServed = calls.filter((c) => c.body.chat_id === '5011' && c.status === 200);
    expect(retried.at - refused.at).toBeGreaterThanOrEqual(2950);
    // The queue was not paused: the other chat was answered while the first one waited.
    expect(otherServed.length).toBeGreaterThan(0);
    expect(otherServed[0]!.at).toBeLessThan(retried.at);
  });

  it('marks the message failed and the contact opted out when the bot is blocked', async () => {
    const person = new TelegramPerson(fake, wasl, 5007);
    fake.failNext('sendMessage', { error_code: 403, description: 'Forbidden: bot was blocked by the user' }, { chatId: 5007 });
    await person.say('السلام عليكم');
    const [contact] = await wasl.database.db.select().from(contacts).where(and(eq(contacts.channel, 'telegram'), eq(contacts.channelUserId, '5007')));
    expect(contact!.optedOut).toBe(true);
    const out = await wasl.database.db
      .select()
      .from(messages)
      .innerJoin(conversations, eq(conversations.id, messages.conversationId))
      .where(and(eq(conversations.contactId, contact!.id), eq(messages.direction, 'out')));
    expect(out.map((o) => o.messages.status)).toContain('failed');
    expect(out.find((o) => o.messages.status === 'failed')!.messages.error).toMatch(/blocked/);
    // Writing again means the block was lifted.
    await person.say('مرحبا');
    const [again] = await wasl.database.db.select().from(contacts).where(eq(contacts.id, contact!.id));
    expect(again!.optedOut).toBe(false);
  });

  it('links a contact to the beneficiary only through a number the user shares of themselves', async () => {
    await submitRequest(wasl.chat('applicant-on-cli'), '2000000006'); // gives mobile 0551234567 in intake
    const beneficiaryOf = async (channel: string, user: string) =>
      (await wasl.database.db.select().from(contacts).where(and(eq(contacts.channel, channel), eq(contacts.channelUserId, user))))[0]?.beneficiaryId;

    const stranger = new TelegramPerson(fake, wasl, 5008);
    await stranger.send(tg.contact(5008, '+966551234567', 9999)); // someone else's card
    expect(await beneficiaryOf('telegram', '5008')).not.toBe(await beneficiaryOf('cli', 'applicant-on-cli'));
    const [strangerContact] = await wasl.database.db.select().from(contacts).where(eq(contacts.channelUserId, '5008'));
    expect(strangerContact!.verifiedMobile).toBeNull();

    const owner = new TelegramPerson(fake, wasl, 5009);
    await owner.send(tg.contact(5009, '966551234567', 5009));
    expect(await beneficiaryOf('telegram', '5009')).toBe(await beneficiaryOf('cli', 'applicant-on-cli'));
  });
});
