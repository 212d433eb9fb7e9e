/**
 * `POST /webhooks/telegram` under bad input: arbitrary and malformed JSON, forged secrets, replays, 10 MB and
 * deeply nested bodies, invalid UTF-8, hostile text in every string of an update. Each answer must be a 2xx or
 * a 4xx — never a 5xx — and afterwards the stored records are sound and a normal message is still answered.
 */
import { and, eq } from 'drizzle-orm';
import fc from 'fast-check';
import { telegramChannel } from '../../src/channels/telegram/telegram-channel';
import { MAX_INBOUND_TEXT } from '../../src/channels/telegram/telegram-inbound';
import { messages } from '../../src/store/schema';
import { FakeTelegramApi } from '../fakes/fake-telegram-api';
import { waitFor, type TestWasl } from '../support/harness';
import { AbuseReport } from './support/abuse-report';
import { announceSeed, EMOJI, fuzzParams, hostileText, nested, NESTINGS } from './support/hostile-strings';
import { useAbuseWasl } from './support/abuse-wasl';
import { inboundCount, isSoundText, storedRecordProblems } from './support/wasl-watch';

const SECRET = 'abuse-secret-0123456789abcdef';
const report = new AbuseReport('Telegram webhook (POST /webhooks/telegram)');
let fake: FakeTelegramApi;
const abuse = useAbuseWasl({
  report,
  start: async () => {
    fake = await FakeTelegramApi.start();
    return {
      db: 'pglite',
      extraEnv: {
        TELEGRAM_BOT_TOKEN: fake.token,
        TELEGRAM_API_ROOT: fake.url,
        TELEGRAM_WEBHOOK_URL: 'https://wasl.example.org/webhooks/telegram',
        TELEGRAM_WEBHOOK_SECRET: SECRET,
        TELEGRAM_CHAT_INTERVAL_MS: '0',
      },
      options: { channelModules: [telegramChannel] },
    };
  },
  after: () => fake?.stop(),
});
const { logs } = abuse;
let wasl: TestWasl;
beforeAll(async () => {
  announceSeed('telegram-webhook.abuse');
  wasl = abuse.wasl();
  await fake.waitForCall('setWebhook');
});

async function post(body: string | Buffer, headers: Record<string, string> = {}, secret: string | null = SECRET): Promise<number> {
  try {
    const res = await fetch(`${wasl.url}/webhooks/telegram`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(secret !== null ? { 'x-telegram-bot-api-secret-token': secret } : {}), ...headers },
      body,
    });
    await res.arrayBuffer();
    return res.status;
  } catch {
    // A reset connection is the server giving up on a request: a crash for the report.
    return 599;
  }
}

let nextUpdateId = 1_000_000;
let nextChat = 900_000_000;
const person = (id: number, first: string, last?: string) => ({ id, is_bot: false, first_name: first, ...(last !== undefined ? { last_name: last } : {}) });

/** Updates shaped like Telegram's, with hostile strings in every field a person controls. */
const hostileUpdate = fc
  .record({
    text: hostileText(),
    first: hostileText(3),
    last: fc.option(hostileText(2), { nil: undefined }),
    kind: fc.constantFrom('text', 'caption', 'command', 'callback', 'contact'),
    callbackData: fc.oneof(hostileText(2), fc.constant('c:1:1'), fc.constant('c:999:999999999999999')),
  })
  .map(({ text, first, last, kind, callbackData }) => {
    const chatId = nextChat++;
    const from = person(chatId, first, last);
    const chat = { id: chatId, type: 'private' };
    const base = { message_id: nextUpdateId, date: Math.floor(Date.now() / 1000), chat, from };
    const update_id = nextUpdateId++;
    switch (kind) {
      case 'text':
        return { update_id, message: { ...base, text } };
      case 'caption':
        return { update_id, message: { ...base, caption: text, photo: [] } };
      case 'command':
        return { update_id, message: { ...base, text: `/${text}`, entities: [{ type: 'bot_command', offset: 0, length: text.length + 1 }] } };
      case 'callback':
        return { update_id, callback_query: { id: `${text}-${update_id}`, from, data: callbackData, message: { message_id: 1, chat } } };
      default:
        return { update_id, message: { ...base, contact: { phone_number: text, first_name: first, user_id: chatId } } };
    }
  });

describe('Telegram webhook under bad input', () => {
  it('answers any JSON value with 2xx or 4xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 4 }), async (value) => {
        const status = await post(JSON.stringify(value));
        expect(report.http('arbitrary JSON', status, JSON.stringify(value))).not.toBe('crash');
      }),
      fuzzParams(150),
    );
  });

  it('answers update-shaped bodies with hostile strings with 2xx or 4xx, storing sound text', async () => {
    await fc.assert(
      fc.asyncProperty(hostileUpdate, async (update) => {
        const status = await post(JSON.stringify(update));
        expect(report.http('hostile update', status, JSON.stringify(update))).not.toBe('crash');
        if (status === 200 && update.message && 'text' in update.message) {
          // A 2xx means stored: Telegram will not deliver it again.
          const [row] = await wasl.database.db.select({ text: messages.text }).from(messages).where(eq(messages.providerMessageId, `tg-${update.message.chat.id}-${update.message.message_id}`));
          expect(row).toBeDefined();
          expect(isSoundText(row!.text)).toBe(true);
        }
      }),
      fuzzParams(200),
    );
  });

  it('refuses malformed JSON with 400', async () => {
    const malformed = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 40 }).filter((s) => {
        try {
          JSON.parse(s);
          return false;
        } catch {
          return true;
        }
      }),
      fc.jsonValue().map((v) => JSON.stringify({ update_id: 1, v }).slice(0, -1)),
      fc.constantFrom('{"update_id": ', '{"update_id":1,}', "{'update_id':1}", '{"__proto__":{"x":1},"update_id":1', '\u0000', 'null null'),
    );
    await fc.assert(
      fc.asyncProperty(malformed, async (body) => {
        const status = await post(body);
        report.http('malformed JSON', status, body);
        expect(status).toBe(400);
      }),
      fuzzParams(80),
    );
  });

  it('refuses a forged or missing secret with 401 and stores nothing', async () => {
    const before = await inboundCount(wasl.database.db, 'telegram');
    await fc.assert(
      fc.asyncProperty(fc.option(fc.string({ unit: 'grapheme-ascii', maxLength: 64 }), { nil: null }), hostileUpdate, async (secret, update) => {
        fc.pre(secret !== SECRET);
        const status = await post(JSON.stringify(update), {}, secret);
        report.http('forged secret', status);
        expect(status).toBe(401);
      }),
      fuzzParams(60),
    );
    expect(await inboundCount(wasl.database.db, 'telegram')).toBe(before);
  });

  it('stores a replayed update once, even when the copies arrive together', async () => {
    await fc.assert(
      fc.asyncProperty(hostileText(3), fc.integer({ min: 2, max: 6 }), async (text, copies) => {
        const chatId = nextChat++;
        const update = { update_id: nextUpdateId++, message: { message_id: 77, date: Math.floor(Date.now() / 1000), chat: { id: chatId, type: 'private' }, from: person(chatId, 'نورة'), text } };
        const statuses = await Promise.all(Array.from({ length: copies }, () => post(JSON.stringify(update))));
        for (const s of statuses) report.http('replayed update', s);
        expect(statuses.every((s) => s === 200)).toBe(true);
        const stored = await wasl.database.db
          .select({ id: messages.id })
          .from(messages)
          .where(and(eq(messages.direction, 'in'), eq(messages.providerMessageId, `tg-${chatId}-77`)));
        expect(stored).toHaveLength(1);
      }),
      fuzzParams(30),
    );
  });

  it('acts once on a replayed button tap, whether the copies arrive together or after the reply', async () => {
    const keyboardOf = (c: { body: Record<string, unknown> }) =>
      ((c.body.reply_markup as { inline_keyboard?: { callback_data: string }[][] } | undefined)?.inline_keyboard ?? []).flat().map((b) => b.callback_data);
    const toChat = (chatId: number) => fake.callsTo('sendMessage').filter((c) => c.body.chat_id === String(chatId) && c.status === 200);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 2, max: 6 }), fc.integer({ min: 1, max: 3 }), fc.nat(), async (copies, later, pick) => {
        const chatId = nextChat++;
        const chat = { id: chatId, type: 'private' };
        const from = person(chatId, 'نورة');
        const menu = { update_id: nextUpdateId++, message: { message_id: 1, date: Math.floor(Date.now() / 1000), chat, from, text: '/menu', entities: [{ type: 'bot_command', offset: 0, length: 5 }] } };
        expect(await post(JSON.stringify(menu))).toBe(200);
        await wasl.chat(String(chatId)).replies(30_000);
        const withKeyboard = toChat(chatId).filter((c) => keyboardOf(c).length > 0).at(-1);
        expect(withKeyboard).toBeDefined();
        const buttons = keyboardOf(withKeyboard!);
        const keyboardMessageId = (withKeyboard!.result as { message_id: number }).message_id;
        const callbackId = `cb-${chatId}`;
        const tap = JSON.stringify({
          update_id: nextUpdateId++,
          callback_query: { id: callbackId, from, chat_instance: '1', data: buttons[pick % buttons.length], message: { message_id: keyboardMessageId, date: 0, chat } },
        });
        const together = await Promise.all(Array.from({ length: copies }, () => post(tap)));
        for (const s of together) report.http('replayed button tap', s);
        expect(together.every((s) => s === 200)).toBe(true);
        // The engine answers the tap; only then is the keyboard outdated, which a late copy must not take for a new tap.
        await wasl.chat(String(chatId)).replies(30_000);
        const sentBefore = toChat(chatId).length;
        for (let i = 0; i < later; i++) expect(report.http('replayed button tap', await post(tap))).toBe('accepted');
        // A tap on no keyboard of ours is answered at once: once its answer is in, so is any the late copies caused.
        const probeId = `probe-${chatId}`;
        await post(JSON.stringify({ update_id: nextUpdateId++, callback_query: { id: probeId, from, chat_instance: '1', data: 'x', message: { message_id: keyboardMessageId + 1_000_000, date: 0, chat } } }));
        await fake.waitForCall('answerCallbackQuery', (c) => c.body.callback_query_id === probeId);
        await wasl.chat(String(chatId)).replies(30_000);

        const stored = await wasl.database.db
          .select({ text: messages.text })
          .from(messages)
          .where(and(eq(messages.direction, 'in'), eq(messages.providerMessageId, `tg-cb-${callbackId}`)));
        expect(stored).toHaveLength(1);
        expect(fake.callsTo('answerCallbackQuery').filter((c) => c.body.callback_query_id === callbackId)).toHaveLength(1);
        expect(fake.callsTo('editMessageReplyMarkup').filter((c) => c.body.chat_id === String(chatId) && c.body.message_id === keyboardMessageId)).toHaveLength(1);
        expect(toChat(chatId)).toHaveLength(sentBefore);
      }),
      fuzzParams(12),
    );
  });

  it('refuses a 10 MB body with 413, with or without a Content-Length', async () => {
    const big = Buffer.alloc(10 * 1024 * 1024, 0x20);
    big.write('{"update_id":1,"message":{"text":"');
    const started = Date.now();
    const status = await post(big);
    report.http('10 MB body', status);
    expect(status).toBe(413);
    // Streamed without a length: the limit still holds, counted as it arrives.
    const chunks = (async function* () {
      for (let i = 0; i < 10; i++) yield Buffer.alloc(1024 * 1024, 0x20);
    })();
    const res = await fetch(`${wasl.url}/webhooks/telegram`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': SECRET },
      body: chunks as unknown as NonNullable<RequestInit['body']>,
      duplex: 'half',
    } as RequestInit).catch(() => null);
    // Fastify may answer 413 or close the socket once the limit is passed; both refuse without buffering it all.
    report.http('10 MB body (chunked)', res?.status ?? 413);
    expect(res?.status ?? 413).toBe(413);
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('answers deeply nested JSON with 2xx or 4xx', async () => {
    for (const depth of [1_000, 10_000, 100_000]) {
      for (const nesting of NESTINGS) {
        const [open] = nesting;
        const deep = nested(depth, nesting);
        for (const body of [deep, `{"update_id":${nextUpdateId++},"extra":${deep}}`, `{"update_id":${nextUpdateId++},"message":${deep}}`]) {
          const status = await post(body);
          expect(report.http('deep nesting', status, `${depth} × ${open}`)).not.toBe('crash');
        }
      }
    }
  });

  it('answers bodies with invalid UTF-8 bytes with 2xx or 4xx, storing sound text', async () => {
    const badBytes = fc.constantFrom([0xff], [0xfe, 0xff], [0xc0, 0xaf], [0xe0, 0x80, 0xaf], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xc3], [0x80]);
    await fc.assert(
      fc.asyncProperty(fc.array(badBytes, { minLength: 1, maxLength: 4 }), hostileText(2), async (bytes, text) => {
        const chatId = nextChat++;
        const json = JSON.stringify({ update_id: nextUpdateId++, message: { message_id: 1, date: 1, chat: { id: chatId, type: 'private' }, from: person(chatId, 'X'), text: `${text}@@` } });
        const [head, tail] = json.split('@@') as [string, string];
        const body = Buffer.concat([Buffer.from(head), Buffer.from(bytes.flat()), Buffer.from(tail)]);
        expect(report.http('invalid UTF-8', await post(body), body.toString('latin1'))).not.toBe('crash');
      }),
      fuzzParams(60),
    );
  });

  it('stores a long text cut at the limit without splitting an emoji', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...EMOJI), fc.integer({ min: MAX_INBOUND_TEXT - 3, max: MAX_INBOUND_TEXT }), async (emoji, prefix) => {
        const chatId = nextChat++;
        const text = 'ب'.repeat(prefix) + emoji.repeat(3);
        const update = { update_id: nextUpdateId++, message: { message_id: 5, date: 1, chat: { id: chatId, type: 'private' }, from: person(chatId, 'X'), text } };
        report.http('long text at the limit', await post(JSON.stringify(update)));
        const [row] = await wasl.database.db.select({ text: messages.text }).from(messages).where(eq(messages.providerMessageId, `tg-${chatId}-5`));
        expect(row?.text).toBeDefined();
        expect(text.startsWith(row!.text!)).toBe(true);
        expect(row!.text!).not.toContain('\uFFFD');
      }),
      fuzzParams(12),
    );
  });

  it('afterwards: no 5xx, no error logged, sound records, and a normal message is still answered', async () => {
    expect(report.crashes()).toBe(0);
    expect(await storedRecordProblems(wasl.database.db, 'telegram')).toEqual([]);
    const chatId = nextChat++;
    const update = { update_id: nextUpdateId++, message: { message_id: 1, date: Math.floor(Date.now() / 1000), chat: { id: chatId, type: 'private' }, from: person(chatId, 'نورة'), text: 'السلام عليكم' } };
    expect(await post(JSON.stringify(update))).toBe(200);
    await waitFor('a reply to the normal message', async () => fake.callsTo('sendMessage').find((c) => c.body.chat_id === String(chatId)), 30_000);
    expect(logs.errors()).toEqual([]);
    expect(logs.broken).toEqual([]);
  });
});
