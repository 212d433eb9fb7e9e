/**
 * Sending on WhatsApp, from the gateway process (the only one holding the session). Before each send it
 * enforces the ban-risk rules (ENGINEERING.md §1.6): only reply to people who wrote first, never talk over a
 * human who took the chat, and pace the number's sends with jitter. While the session is down, it throws a
 * retryable error with a delay, so the outbound worker pauses the queue without using up attempts: messages
 * wait, none is dropped.
 */
import { eq, sql } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { outboundPayloadSchema } from '../../messages/outbound-message';
import type { Db } from '../../store/database';
import { contacts, conversations, messages } from '../../store/schema';
import { ChannelDeliveryError, type ChannelAdapter, type ChannelCapabilities, type OutboundEnvelope, type RetryScope } from '../channel-adapter';
import { splitText, withNumberedChoices } from '../format-choices';
import type { SmsFallback } from './sms-fallback';
import type { WhatsappGateway } from './whatsapp-gateway';

/** How long the queue pauses before trying again while the session is down. */
export const SESSION_DOWN_RETRY_MS = 5000;
/** How long a reply that cannot go by SMS is set aside once the SMS fallback applies (see below). */
export const PARKED_WHILE_DOWN_MS = 15_000;
/** How long a job picked up by a standby gateway's worker is set aside for the active gateway's worker. */
const STANDBY_STEP_ASIDE_MS = 500;
/** WhatsApp accepts far longer texts, but long bubbles read badly on a phone; longer replies are split. */
export const WHATSAPP_MAX_TEXT = 4096;

export interface WhatsappAdapterDeps {
  db: Db;
  redis: Redis;
  /** Redis key of the pace lease: one per number. */
  paceKey: string;
  log: Logger;
  /** The gateway of this process; undefined in processes that do not run the `whatsapp` role. */
  gateway: WhatsappGateway | undefined;
  pacing: { minIntervalMs: number; jitterMs: number };
  smsFallback?: SmsFallback | undefined;
  smsFallbackAfterMs: number;
  random?: () => number;
}

export function whatsappCapabilities(minIntervalMs: number): ChannelCapabilities {
  return { maxTextLength: WHATSAPP_MAX_TEXT, choices: 'numbered', rateLimit: { max: 1, durationMs: Math.max(minIntervalMs, 100) } };
}

/** WhatsApp cuts media captions at about 1,024 characters. */
const WHATSAPP_MAX_CAPTION = 1024;

export function createWhatsappAdapter(deps: WhatsappAdapterDeps): ChannelAdapter {
  const random = deps.random ?? Math.random;
  const paceMs = () => deps.pacing.minIntervalMs + Math.floor(random() * deps.pacing.jitterMs);
  const wait = (reason: string, retryAfterMs: number, cause?: unknown, retryScope: RetryScope = 'channel') =>
    new ChannelDeliveryError(reason, 'whatsapp', true, retryAfterMs, { cause, retryScope });
  const refuse = (reason: string) => new ChannelDeliveryError(reason, 'whatsapp', false);

  return {
    channel: 'whatsapp',
    capabilities: whatsappCapabilities(deps.pacing.minIntervalMs),
    async send(m: OutboundEnvelope) {
      const ctx = await loadSendContext(deps.db, m.messageId);
      if (!ctx) throw refuse(`message ${m.messageId} has no conversation`);
      // Never message a number that has not written first (ban risk, and the beneficiary's consent).
      if (!ctx.contactWroteFirst) throw refuse(`refusing to message ${redact(m.channelUserId)}: they never wrote to us`);
      if (ctx.conversationStatus === 'human' && ctx.author === 'bot') {
        throw refuse('a staff member took over this chat; the bot reply queued before that is withheld');
      }

      const gateway = deps.gateway;
      if (!gateway || gateway.status.state !== 'ready') {
        const why = `WhatsApp session is ${gateway?.status.state ?? 'not running in this process'}`;
        // A standby gateway's worker must neither fall back nor pause the queue: the session is fine in the
        // process that holds the number, whose worker takes the job next.
        if (gateway?.status.state === 'standby') throw wait(why, STANDBY_STEP_ASIDE_MS, undefined, 'message');
        const fallback = deps.smsFallback;
        if (!gateway || !fallback) throw wait(why, SESSION_DOWN_RETRY_MS);
        const downMs = gateway.downForMs();
        const dueInMs = deps.smsFallbackAfterMs - downMs;
        // A file never goes by SMS (src/messages/file-delivery.ts): it waits for WhatsApp.
        if (!m.attachment && ctx.verifiedMobile && fallback.accepts(ctx)) {
          if (dueInMs > 0) throw wait(why, Math.min(dueInMs, SESSION_DOWN_RETRY_MS));
          const receipt = await fallback.send({ messageId: m.messageId, mobile: ctx.verifiedMobile, template: ctx.template, text: ctx.smsText ?? m.text });
          if (receipt) {
            deps.log.warn({ messageId: m.messageId, downMs }, 'WhatsApp down too long: sent this time-critical reply by SMS');
            return receipt;
          }
        }
        // Past the fallback time, a reply that must wait for WhatsApp steps aside instead of pausing the queue,
        // so the time-critical replies queued behind it reach the SMS fallback.
        if (dueInMs <= 0) throw wait(why, PARKED_WHILE_DOWN_MS, undefined, 'message');
        throw wait(why, SESSION_DOWN_RETRY_MS);
      }

      if (deps.pacing.minIntervalMs + deps.pacing.jitterMs > 0) {
        const took = await deps.redis.set(deps.paceKey, String(m.messageId), 'PX', paceMs(), 'NX');
        if (took !== 'OK') {
          const ttl = await deps.redis.pttl(deps.paceKey);
          throw wait('pacing WhatsApp sends', Math.max(ttl, 50));
        }
      }
      // A file goes as WhatsApp media; text short enough is its caption, longer text (or choices) goes first.
      const captioned = m.attachment && m.choices.length === 0 && m.text.length <= WHATSAPP_MAX_CAPTION;
      const parts = captioned ? [] : splitText(withNumberedChoices(m), WHATSAPP_MAX_TEXT);
      let providerMessageId = '';
      try {
        for (const [i, part] of parts.entries()) {
          if (i > 0) await new Promise((r) => setTimeout(r, paceMs()));
          providerMessageId = await gateway.send(m.channelUserId, part);
        }
        if (m.attachment) {
          if (parts.length) await new Promise((r) => setTimeout(r, paceMs()));
          const file = { mimeType: m.attachment.mimeType, bytes: await m.attachment.content(), fileName: m.attachment.fileName };
          providerMessageId = await gateway.sendFile(m.channelUserId, file, captioned ? m.text : '');
        }
      } catch (err) {
        // If the session died under us, wait for it like any other outage; otherwise use up an attempt.
        if (gateway.status.state !== 'ready') throw wait(`WhatsApp session lost while sending: ${(err as Error).message}`, SESSION_DOWN_RETRY_MS, err);
        throw new ChannelDeliveryError(`WhatsApp send failed: ${(err as Error).message}`, 'whatsapp', true, undefined, { cause: err });
      }
      if (parts.length > 1 && deps.pacing.minIntervalMs + deps.pacing.jitterMs > 0) {
        await deps.redis.set(deps.paceKey, String(m.messageId), 'PX', paceMs());
      }
      return { providerMessageId };
    },
  };
}

interface SendContext {
  author: 'beneficiary' | 'bot' | 'staff' | 'system';
  template: string | undefined;
  smsText: string | undefined;
  conversationStatus: string;
  verifiedMobile: string | null;
  contactWroteFirst: boolean;
}

async function loadSendContext(db: Db, messageId: number): Promise<SendContext | null> {
  const [row] = await db
    .select({
      author: messages.author,
      payload: messages.payload,
      conversationStatus: conversations.status,
      verifiedMobile: contacts.verifiedMobile,
      contactWroteFirst: sql<boolean>`exists (
        select 1 from ${messages} mi join ${conversations} ci on ci.id = mi.conversation_id
        where ci.contact_id = ${contacts.id} and mi.direction = 'in')`,
    })
    .from(messages)
    .innerJoin(conversations, eq(conversations.id, messages.conversationId))
    .innerJoin(contacts, eq(contacts.id, conversations.contactId))
    .where(eq(messages.id, messageId))
    .limit(1);
  if (!row) return null;
  const payload = outboundPayloadSchema.partial().safeParse(row.payload);
  return {
    author: row.author,
    template: payload.success ? payload.data.template : undefined,
    smsText: payload.success ? payload.data.smsText : undefined,
    conversationStatus: row.conversationStatus,
    verifiedMobile: row.verifiedMobile,
    contactWroteFirst: row.contactWroteFirst === true || (row.contactWroteFirst as unknown) === 't',
  };
}

/** Logs and errors never carry a full phone number. */
function redact(chatId: string): string {
  return chatId.replace(/^(\d{3})\d+(\d{2})@/, '$1…$2@');
}
