/**
 * The Telegram `ChannelAdapter`: one outbound message → one or more `sendMessage` calls (and a `sendPhoto` or
 * `sendDocument` upload for a file a researcher attaches), within Telegram's
 * limits (https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this): about one message a
 * second per chat (paced here, in Redis, across every outbound process), 30 a second overall (the queue's
 * limiter, from `capabilities.rateLimit`), and `429 retry_after` when Telegram still finds us too fast: that
 * chat is held back for that long (its messages step aside without using up an attempt) while every other chat
 * keeps receiving — Telegram's 429s come from the per-chat limits in practice, and the global 30/s is already
 * kept by the limiter.
 *
 * A split message that fails half-way is resumed, not resent: the parts already delivered are remembered.
 */
import { and, eq } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Telegram } from 'telegraf';
import type { Db } from '../../store/database';
import { contacts } from '../../store/schema';
import { ChannelDeliveryError, type ChannelAdapter, type EnvelopeAttachment, type OutboundEnvelope } from '../channel-adapter';
import { renderForTelegram, TELEGRAM_MAX_TEXT, type TelegramSendPayload } from './telegram-render';

export interface TelegramSenderDeps {
  telegram: Telegram;
  db: Db;
  redis: Redis;
  prefix: string;
  log: Logger;
  /** Least time between two messages to one chat. @defaultValue 1000 */
  chatIntervalMs: number;
}

/** Telegram's limit on a photo's or document's caption (https://core.telegram.org/bots/api#senddocument). */
const TELEGRAM_MAX_CAPTION = 1024;

type TelegramPart =
  | { method: 'sendMessage'; payload: TelegramSendPayload }
  | { method: 'sendPhoto' | 'sendDocument'; file: EnvelopeAttachment; caption: string };

/** Photos are shown inline (JPEG and PNG); a PDF or WebP goes as a document, unchanged. */
function fileMethod(mimeType: string): 'sendPhoto' | 'sendDocument' {
  return mimeType === 'image/jpeg' || mimeType === 'image/png' ? 'sendPhoto' : 'sendDocument';
}

/** The name goes into a multipart header: no quotes or line breaks. */
function safeFileName(name: string): string {
  return name.replace(/["\r\n\\]+/g, '_').slice(0, 200) || 'file';
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Telegram's error as telegraf raises it (`TelegramError`): the Bot API's `error_code`, `description`, `parameters`. */
interface TelegramApiError {
  code?: unknown;
  description?: unknown;
  parameters?: { retry_after?: unknown };
}

/** 403s that mean this person can no longer be messaged (https://core.telegram.org/api/errors#403-forbidden). */
const unreachable = /blocked by the user|user is deactivated|bot was kicked|chat not found/i;

export function createTelegramSender(deps: TelegramSenderDeps): ChannelAdapter {
  const { telegram, redis, log } = deps;
  /** Set from a 429 for as long as Telegram asked: the chat's other messages wait too, outside the worker's slots. */
  const holdKey = (chatId: string) => `${deps.prefix}:telegram:hold:${chatId}`;

  /** Waits until this chat may receive another message; the wait is at most one interval per message ahead. */
  const pace = async (chatId: string) => {
    if (deps.chatIntervalMs <= 0) return;
    const key = `${deps.prefix}:pace:telegram:${chatId}`;
    for (;;) {
      if ((await redis.set(key, '1', 'PX', deps.chatIntervalMs, 'NX')) === 'OK') return;
      const ttl = await redis.pttl(key);
      await sleep(Math.min(Math.max(ttl, 10), deps.chatIntervalMs));
    }
  };

  const optOut = async (chatId: string) => {
    await deps.db
      .update(contacts)
      .set({ optedOut: true })
      .where(and(eq(contacts.channel, 'telegram'), eq(contacts.channelUserId, chatId)));
  };

  const toDeliveryError = async (err: unknown, m: OutboundEnvelope): Promise<ChannelDeliveryError> => {
    const e = err as TelegramApiError;
    const code = typeof e.code === 'number' ? e.code : undefined;
    const description = typeof e.description === 'string' ? e.description : (err as Error).message;
    const context = `telegram send for message ${m.messageId} to chat ${m.channelUserId}`;
    if (code === 429) {
      const retryAfterMs = Math.max(1, Number(e.parameters?.retry_after ?? 1) || 1) * 1000;
      await redis.set(holdKey(m.channelUserId), '1', 'PX', retryAfterMs);
      return new ChannelDeliveryError(`${context}: 429 ${description}`, 'telegram', true, retryAfterMs, { cause: err, retryScope: 'message' });
    }
    if (code === 403 || (code === 400 && unreachable.test(description))) {
      if (unreachable.test(description)) {
        await optOut(m.channelUserId);
        log.info({ chatId: m.channelUserId, description }, 'telegram user cannot be reached; contact marked opted out');
      }
      return new ChannelDeliveryError(`${context}: ${code} ${description}`, 'telegram', false, undefined, { cause: err });
    }
    // Any other 4xx is a request Telegram will refuse again; 5xx and network failures may pass next time.
    if (code !== undefined && code >= 400 && code < 500) return new ChannelDeliveryError(`${context}: ${code} ${description}`, 'telegram', false, undefined, { cause: err });
    return new ChannelDeliveryError(`${context}: ${description}`, 'telegram', true, undefined, { cause: err });
  };

  return {
    channel: 'telegram',
    capabilities: { maxTextLength: TELEGRAM_MAX_TEXT, choices: 'buttons', rateLimit: { max: 30, durationMs: 1000 } },
    async send(m) {
      // A file goes as a photo or document; text short enough rides along as its caption, longer text goes first.
      const captioned = m.attachment && m.choices.length === 0 && m.text.length <= TELEGRAM_MAX_CAPTION;
      const parts: TelegramPart[] = captioned ? [] : renderForTelegram(m).map((p) => ({ method: 'sendMessage', payload: p }));
      if (m.attachment) parts.push({ method: fileMethod(m.attachment.mimeType), file: m.attachment, caption: captioned ? m.text : '' });
      if (parts.length === 0) throw new ChannelDeliveryError(`message ${m.messageId} has no text and no choices`, 'telegram', false);
      // A chat that blocked the bot (contacts.opted_out) never gets here: the shared send path skips it
      // (pipeline/opt-out-policy.ts).
      const heldMs = await redis.pttl(holdKey(m.channelUserId));
      if (heldMs > 0) {
        throw new ChannelDeliveryError(`chat ${m.channelUserId} is held back by Telegram's 429 for ${heldMs} ms`, 'telegram', true, heldMs, { retryScope: 'message' });
      }
      const progressKey = `${deps.prefix}:telegram:sent:${m.messageId}`;
      const done = await redis.hgetall(progressKey);
      let lastId = '';
      for (const [i, part] of parts.entries()) {
        if (done[i]) {
          lastId = done[i]!;
          continue;
        }
        await pace(m.channelUserId);
        let sent;
        try {
          const payload =
            part.method === 'sendMessage'
              ? { chat_id: m.channelUserId, text: part.payload.text, ...(part.payload.reply_markup ? { reply_markup: part.payload.reply_markup } : {}) }
              : {
                  chat_id: m.channelUserId,
                  // An InputFile: telegraf uploads it as multipart/form-data.
                  [part.method === 'sendPhoto' ? 'photo' : 'document']: { source: await part.file.content(), filename: safeFileName(part.file.fileName) },
                  ...(part.caption ? { caption: part.caption } : {}),
                };
          sent = await telegram.callApi(
            part.method as 'sendMessage',
            payload as never,
            // telegraf types its signal as the `abort-controller` shim's; node-fetch 2 accepts Node's own at run time.
            { signal: AbortSignal.timeout(part.method === 'sendMessage' ? 30_000 : 120_000) as never },
          );
        } catch (err) {
          throw await toDeliveryError(err, m);
        }
        lastId = String(sent.message_id);
        await redis.multi().hset(progressKey, String(i), lastId).expire(progressKey, 24 * 3600).exec();
      }
      // The keyboard's message: a button press names it, and the console can find the message on Telegram.
      return { providerMessageId: lastId };
    },
  };
}
