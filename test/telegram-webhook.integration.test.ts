/**
 * Telegram in webhook mode: `setWebhook` with a secret, `POST /webhooks/telegram` checked before anything is
 * stored, redeliveries answered once, one flooding chat held back without holding back the others — and the
 * sender's splitting of long replies, against the same fake Bot API.
 */
import { copyFileSync, appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { and, eq } from 'drizzle-orm';
import pino from 'pino';
import { registerCommandMenu } from '../src/channels/telegram/telegram-commands';
import { createTelegramSender } from '../src/channels/telegram/telegram-sender';
import { loadContent } from '../src/content/load-content';
import { telegramChannel } from '../src/channels/telegram/telegram-channel';
import { createFloodGuard, INBOUND_LIMIT } from '../src/channels/telegram/telegram-flood-guard';
import { ConfigError, loadEnv } from '../src/config/load-config';
import { Telegraf } from 'telegraf';
import { contacts, messages } from '../src/store/schema';
import { FakeTelegramApi, tg } from './fakes/fake-telegram-api';
import { projectRoot, startTestWasl, waitFor, type TestWasl } from './support/harness';

const SECRET = 'webhook-secret-0123456789abcdef';
const WEBHOOK_URL = 'https://wasl.example.org/webhooks/telegram';

describe('Telegram over a webhook', () => {
  let fake: FakeTelegramApi;
  let wasl: TestWasl;
  beforeAll(async () => {
    fake = await FakeTelegramApi.start();
    wasl = await startTestWasl({
      db: 'pglite',
      extraEnv: {
        TELEGRAM_BOT_TOKEN: fake.token,
        TELEGRAM_API_ROOT: fake.url,
        TELEGRAM_WEBHOOK_URL: WEBHOOK_URL,
        TELEGRAM_WEBHOOK_SECRET: SECRET,
        TELEGRAM_CHAT_INTERVAL_MS: '50',
      },
      options: { channelModules: [telegramChannel] },
    });
    await fake.waitForCall('setWebhook');
  }, 180_000); // starting Wasl (migrations, NLU training) is slow on a loaded machine
  afterAll(async () => {
    await wasl?.stop();
    await fake?.stop();
  });

  const post = (body: unknown, secret: string | null = SECRET, raw?: string) =>
    fetch(`${wasl.url}/webhooks/telegram`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(secret !== null ? { 'x-telegram-bot-api-secret-token': secret } : {}) },
      body: raw ?? JSON.stringify(body),
    });
  const inboundCount = async () => (await wasl.database.db.select({ id: messages.id }).from(messages).where(eq(messages.direction, 'in'))).length;
  /** The adapter the outbound worker uses, driven directly to look at one send. */
  const senderWith = (chatIntervalMs: number) =>
    createTelegramSender({
      telegram: new Telegraf(fake.token, { telegram: { apiRoot: `${fake.url}/`, webhookReply: false } }).telegram,
      db: wasl.database.db,
      redis: wasl.redis,
      prefix: wasl.prefix,
      log: pino({ level: 'silent' }),
      chatIntervalMs,
    });
  const sentTo = (chatId: number) => fake.callsTo('sendMessage').filter((c) => c.body.chat_id === String(chatId) && c.status === 200);

  it('sets the webhook with its secret and never polls', async () => {
    expect(fake.callsTo('setWebhook')[0]!.body).toMatchObject({
      url: WEBHOOK_URL,
      secret_token: SECRET,
      allowed_updates: ['message', 'callback_query', 'my_chat_member'],
    });
    expect(fake.callsTo('getUpdates')).toHaveLength(0);
    expect(fake.callsTo('deleteWebhook')).toHaveLength(0);
  });

  it('ingests and answers an update carrying the right secret', async () => {
    const res = await post(fake.makeUpdate(tg.text(7001, 'السلام عليكم')));
    expect(res.status).toBe(200);
    const reply = await waitFor('a reply to chat 7001', async () => sentTo(7001)[0]);
    expect(String(reply.body.text)).toContain('جمعية بر الخوار');
  });

  it.each([
    ['a wrong secret', 'not-the-secret-at-all-000000000'],
    ['no secret', null],
  ])('refuses %s with 401 and stores nothing', async (_what, secret) => {
    const before = await inboundCount();
    const res = await post(fake.makeUpdate(tg.text(7002, 'مرحبا')), secret);
    expect(res.status).toBe(401);
    expect(await inboundCount()).toBe(before);
    const stored = await wasl.database.db.select().from(contacts).where(eq(contacts.channelUserId, '7002'));
    expect(stored).toHaveLength(0);
  });

  it('refuses a malformed body with 400', async () => {
    expect((await post(undefined, SECRET, '{"update_id": ')).status).toBe(400);
    expect((await post({ update_id: 'seven', message: {} })).status).toBe(400);
  });

  it('answers a redelivered update once', async () => {
    const update = fake.makeUpdate(tg.text(7003, 'السلام عليكم'));
    expect((await post(update)).status).toBe(200);
    expect((await post(update)).status).toBe(200);
    await waitFor('a reply to chat 7003', async () => sentTo(7003).length > 0);
    await new Promise((r) => setTimeout(r, 1000));
    const stored = await wasl.database.db.select().from(messages).where(and(eq(messages.direction, 'in'), eq(messages.channel, 'telegram')));
    expect(stored.filter((m) => m.providerMessageId?.startsWith('tg-7003-'))).toHaveLength(1);
    const welcomes = sentTo(7003).filter((c) => String(c.body.text).includes('جمعية بر الخوار'));
    expect(welcomes).toHaveLength(1);
  });

  it('counts a chat\'s updates and refuses the one over the limit', async () => {
    const guard = createFloodGuard(wasl.redis, `${wasl.prefix}-guard`);
    const admitted = [];
    for (let i = 0; i < INBOUND_LIMIT.max + 1; i++) admitted.push((await guard.admit('8001')).admitted);
    expect(admitted.filter(Boolean)).toHaveLength(INBOUND_LIMIT.max);
    expect(admitted.at(-1)).toBe(false);
    expect((await guard.admit('8002')).admitted).toBe(true);
  });

  it('holds back a flooding chat with 429, storing nothing, while other chats go through', async () => {
    // Fill chat 7004's window the way its earlier updates would have (the route shares the guard's Redis key).
    const guard = createFloodGuard(wasl.redis, wasl.prefix);
    for (let i = 0; i < INBOUND_LIMIT.max; i++) await guard.admit('7004');
    const update = fake.makeUpdate(tg.text(7004, 'رسالة زائدة'));
    const res = await post(update);
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    // Not stored: Telegram delivers it again once the window has passed.
    const stored = await wasl.database.db.select({ id: messages.id }).from(messages).where(eq(messages.providerMessageId, `tg-7004-${(update.message as { message_id: number }).message_id}`));
    expect(stored).toHaveLength(0);
    expect((await post(fake.makeUpdate(tg.text(7005, 'السلام عليكم')))).status).toBe(200);
  });

  it('refuses a webhook URL without a secret at start-up, naming the variable', () => {
    let error: unknown;
    try {
      loadEnv({ TELEGRAM_BOT_TOKEN: fake.token, TELEGRAM_WEBHOOK_URL: WEBHOOK_URL });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues.map((i) => i.variable)).toEqual(['TELEGRAM_WEBHOOK_SECRET']);
  });

  it('splits a reply over 4096 characters, keyboard on the last part, and resumes a half-sent one without repeating', async () => {
    const sender = senderWith(0);
    const line = 'سطر طويل من نص الرد يتكرر لاختبار التقسيم. ';
    const text = Array.from({ length: 220 }, (_, i) => `${i} ${line}`).join('\n');
    expect(text.length).toBeGreaterThan(2 * 4096);
    const envelope = {
      messageId: 990_001,
      conversationId: 990_001,
      channelUserId: '7006',
      text,
      choices: [{ number: 1, value: 'yes', label: 'نعم' }],
      language: 'ar' as const,
    };
    // The second part fails with a 5xx: the retry must not send the first part again.
    fake.failNext('sendMessage', { error_code: 502, description: 'Bad Gateway' }, { skip: 1, chatId: 7006 });
    const sendAfterFirst = fake.calls.length;
    await expect(sender.send(envelope)).rejects.toMatchObject({ retryable: true });
    const receipt = await sender.send(envelope);

    const calls = fake.calls.slice(sendAfterFirst).filter((c) => c.method === 'sendMessage' && c.body.chat_id === '7006');
    expect(calls.map((c) => c.status)).toEqual([200, 502, 200, 200]);
    const parts = calls.filter((c) => c.status === 200);
    expect(parts.length).toBe(3);
    // Split at line ends; only the whitespace at the cuts is dropped.
    const words = (s: string) => s.split(/\s+/).filter(Boolean);
    expect(parts.flatMap((p) => words(String(p.body.text)))).toEqual(words(text));
    for (const p of parts) expect(String(p.body.text).length).toBeLessThanOrEqual(4096);
    expect(parts.slice(0, -1).every((p) => p.body.reply_markup === undefined)).toBe(true);
    expect(parts.at(-1)!.body.reply_markup).toEqual({ inline_keyboard: [[{ text: '1. نعم', callback_data: 'c:1:990001' }]] });
    expect(receipt.providerMessageId).toBe(String((parts.at(-1)!.result as { message_id: number }).message_id));
  });

  it('paces one chat at about one message a second, across concurrent sends', async () => {
    const sender = senderWith(1000);
    const envelope = (n: number) => ({ messageId: 990_100 + n, conversationId: 990_100 + n, channelUserId: '7007', text: `رسالة ${n}`, choices: [], language: 'ar' as const });
    await Promise.all([1, 2, 3].map((n) => sender.send(envelope(n))));
    const times = fake.callsTo('sendMessage').filter((c) => c.body.chat_id === '7007').map((c) => c.at).sort((a, b) => a - b);
    expect(times).toHaveLength(3);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(900);
  });

  it('registers the command menu in Arabic and English from the templates', async () => {
    {
      const content = loadContent({ flowsDir: path.join(projectRoot, 'flows'), templatesDir: path.join(projectRoot, 'templates'), displayRoot: projectRoot });
      const before = fake.callsTo('setMyCommands').length;
      const telegram = new Telegraf(fake.token, { telegram: { apiRoot: `${fake.url}/`, webhookReply: false } }).telegram;
      expect(await registerCommandMenu(telegram, content, pino({ level: 'silent' }))).toBe(true);
      const [ar, en] = fake.callsTo('setMyCommands').slice(before);
      expect(ar!.body).toEqual({ commands: expect.arrayContaining([{ command: 'human', description: 'التحدث مع باحث اجتماعي' }]) });
      expect(ar!.body.language_code).toBeUndefined();
      expect(en!.body).toMatchObject({ language_code: 'en', commands: expect.arrayContaining([{ command: 'menu', description: 'Main menu' }]) });
      expect((ar!.body.commands as unknown[]).map((c) => (c as { command: string }).command)).toEqual(['start', 'menu', 'lang', 'human']);
    }
  });
});
