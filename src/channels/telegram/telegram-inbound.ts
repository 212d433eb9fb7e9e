/**
 * One Telegram update → at most one `ingest()`. Shared by the webhook and the poller; it stores and returns,
 * and never answers the beneficiary (the engine does, through the outbox). The only calls it makes to Telegram
 * are housekeeping the app needs at once: stopping the button's spinner and removing a used keyboard.
 *
 * Idempotent: a redelivered update carries the same provider message id, `ingest` reports a duplicate, and the
 * housekeeping is skipped.
 */
import { and, eq, gt } from 'drizzle-orm';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Telegram } from 'telegraf';
import type { DocumentStore } from '../../documents/document-store';
import { parseSaudiMobile } from '../../identity/saudi-mobile';
import { cutText } from '../../text/storable-text';
import type { InboundMessageInput } from '../../messages/inbound-message';
import { findStoredInbound, type IngestResult } from '../../pipeline/ingest';
import type { Db } from '../../store/database';
import { contacts, conversations, messages } from '../../store/schema';
import { fetchTelegramFile } from './telegram-files';
import { classifyUpdate, type TelegramCommand, type TelegramEvent, type TelegramUpdate } from './telegram-update';

/** Longest text ingested from one message; Telegram allows 4096, the engine's longest answer is 4000. */
export const MAX_INBOUND_TEXT = 4000;

export interface TelegramInboundDeps {
  telegram: Telegram;
  db: Db;
  redis: Redis;
  prefix: string;
  log: Logger;
  documents: DocumentStore;
  ingest(message: InboundMessageInput): Promise<IngestResult>;
  /** The engine word each command is ingested as (telegram-commands.ts). */
  commandWords: Record<TelegramCommand, string>;
}

export type InboundOutcome = 'ingested' | 'duplicate' | 'stale-button' | 'membership' | 'ignored';

export interface TelegramInbound {
  handle(update: TelegramUpdate): Promise<InboundOutcome>;
}

/**
 * A shared contact's number in E.164: Saudi numbers through the same rules as typed ones, others through
 * libphonenumber. Telegram sends numbers with or without the leading "+".
 */
export function normaliseSharedPhone(raw: string): string | null {
  const trimmed = raw.trim();
  const international = /^\d{8,15}$/.test(trimmed) && !trimmed.startsWith('0') ? `+${trimmed}` : trimmed;
  const saudi = parseSaudiMobile(international);
  if (saudi) return saudi;
  const phone = parsePhoneNumberFromString(international);
  return phone?.isValid() ? phone.number : null;
}

export function createTelegramInbound(deps: TelegramInboundDeps): TelegramInbound {
  const { telegram, log } = deps;

  /** Housekeeping calls are not worth failing an update for: the message is stored either way. */
  const quietly = (what: string, call: () => Promise<unknown>) => {
    void call().catch((err: unknown) => log.debug({ err: (err as Error).message, what }, 'telegram housekeeping call failed'));
  };
  const dropKeyboard = (chatId: string, messageId: number | undefined) => {
    if (messageId !== undefined) quietly('editMessageReplyMarkup', () => telegram.editMessageReplyMarkup(chatId, messageId, undefined, undefined));
  };

  /** Someone writing to the bot has not blocked it: a blocked-then-unblocked contact may be messaged again. */
  const markReachable = async (chatId: string, reachable: boolean) => {
    await deps.db
      .update(contacts)
      .set({ optedOut: !reachable })
      .where(and(eq(contacts.channel, 'telegram'), eq(contacts.channelUserId, chatId), eq(contacts.optedOut, reachable)));
  };

  /**
   * A button press counts only on the newest message of its conversation, and only once per keyboard: an old
   * keyboard's "2" would otherwise answer whatever question is open now.
   */
  const isFreshChoice = async (event: Extract<TelegramEvent, { kind: 'choice' }>): Promise<boolean> => {
    const [origin] = await deps.db
      .select({ conversationId: messages.conversationId, channel: contacts.channel, channelUserId: contacts.channelUserId, status: conversations.status })
      .from(messages)
      .innerJoin(conversations, eq(conversations.id, messages.conversationId))
      .innerJoin(contacts, eq(contacts.id, conversations.contactId))
      .where(and(eq(messages.id, event.waslMessageId), eq(messages.direction, 'out')))
      .limit(1);
    if (!origin || origin.channel !== 'telegram' || origin.channelUserId !== event.chatId || origin.status === 'resolved') return false;
    const newer = await deps.db
      .select({ id: messages.id })
      .from(messages)
      .where(and(eq(messages.conversationId, origin.conversationId), eq(messages.direction, 'out'), gt(messages.id, event.waslMessageId)))
      .limit(1);
    if (newer.length > 0) return false;
    // First tap wins; a redelivery of that same tap is let through (ingest then reports the duplicate).
    const key = `${deps.prefix}:telegram:chosen:${event.waslMessageId}`;
    const claimed = await deps.redis.set(key, event.callbackQueryId, 'EX', 7 * 24 * 3600, 'NX');
    return claimed === 'OK' || (await deps.redis.get(key)) === event.callbackQueryId;
  };

  const messageInput = async (event: Extract<TelegramEvent, { kind: 'message' }>): Promise<InboundMessageInput> => {
    let text = event.command ? deps.commandWords[event.command] : event.text;
    if (text.length > MAX_INBOUND_TEXT) {
      log.info({ chatId: event.chatId, length: text.length }, 'telegram text longer than the limit; the rest is cut');
      text = cutText(text, MAX_INBOUND_TEXT);
    }
    const input: InboundMessageInput = {
      channel: 'telegram',
      channelUserId: event.chatId,
      providerMessageId: event.providerMessageId,
      text,
      media: [],
      receivedAt: event.receivedAt,
    };
    if (event.displayName) input.displayName = event.displayName;
    if (event.contact) {
      const mobile = normaliseSharedPhone(event.contact.phoneNumber);
      // The number answers a "your mobile?" question like a typed one; only the sender's own contact proves it.
      if (!input.text) input.text = mobile ?? event.contact.phoneNumber;
      if (mobile && event.contact.own) input.verifiedMobile = mobile;
    }
    if (event.location && !input.text) {
      // Kept as a link a researcher can open; no flow step reads coordinates yet.
      input.text = `https://www.google.com/maps?q=${event.location.latitude},${event.location.longitude}`;
    }
    if (event.file) {
      const outcome = await fetchTelegramFile({ telegram, documents: deps.documents }, event.file);
      // A refused file arrives as a message without a file, so the open question says what it needs.
      if (outcome.ok) input.media = [outcome.media];
      else log.info({ chatId: event.chatId, reason: outcome.reason, claimed: event.file.claimedMimeType }, 'telegram file refused');
    }
    return input;
  };

  return {
    async handle(update) {
      const event = classifyUpdate(update);
      switch (event.kind) {
        case 'ignored':
          log.debug({ updateId: update.update_id, reason: event.reason }, 'telegram update ignored');
          return 'ignored';
        case 'membership':
          await markReachable(event.chatId, !event.blocked);
          log.info({ chatId: event.chatId, blocked: event.blocked }, 'telegram user changed the bot membership');
          return 'membership';
        case 'stale-button':
          quietly('answerCallbackQuery', () => telegram.answerCbQuery(event.callbackQueryId));
          dropKeyboard(event.chatId, event.keyboardMessageId);
          return 'stale-button';
        case 'choice': {
          if (!(await isFreshChoice(event))) {
            // Our reply to this very tap outdates its keyboard: a redelivery of it is a duplicate, already answered.
            if (await findStoredInbound(deps.db, 'telegram', event.providerMessageId)) return 'duplicate';
            quietly('answerCallbackQuery', () => telegram.answerCbQuery(event.callbackQueryId));
            dropKeyboard(event.chatId, event.keyboardMessageId);
            return 'stale-button';
          }
          const result = await deps.ingest({
            channel: 'telegram',
            channelUserId: event.chatId,
            providerMessageId: event.providerMessageId,
            // The engine reads a choice by the number shown next to it.
            text: String(event.number),
            ...(event.displayName ? { displayName: event.displayName } : {}),
          });
          if (result.duplicate) return 'duplicate';
          quietly('answerCallbackQuery', () => telegram.answerCbQuery(event.callbackQueryId));
          dropKeyboard(event.chatId, event.keyboardMessageId);
          await markReachable(event.chatId, true);
          return 'ingested';
        }
        case 'message': {
          const result = await deps.ingest(await messageInput(event));
          if (result.duplicate) return 'duplicate';
          await markReachable(event.chatId, true);
          return 'ingested';
        }
      }
    },
  };
}
