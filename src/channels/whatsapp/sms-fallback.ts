/**
 * Time-critical replies by SMS while the WhatsApp session is down (issue #4, ban-risk controls): when the session
 * has been down longer than WHATSAPP_SMS_FALLBACK_AFTER_MS, a request's status change goes by SMS to the number
 * WhatsApp proved (`contacts.verified_mobile`), in its short `@sms` form. Surveys never (the policy: a survey
 * only on the channel the beneficiary consented to), nor anything else: those keep waiting in the queue.
 *
 * The fallback runs inside the WhatsApp message's own send job (the job id is the message id), so the message
 * is sent once, on one channel: the row is then marked sent and re-labelled `sms` (DeliveryReceipt.via), and the
 * SMS provider's delivery reports find it. Used whenever the SMS channel is configured (SMS_PROVIDER).
 */
import { and, eq } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Db } from '../../store/database';
import { contacts } from '../../store/schema';
import { ChannelDeliveryError, type DeliveryReceipt } from '../channel-adapter';
import type { SmsProvider } from '../sms/sms-provider';

/** Templates that may go by SMS: a beneficiary should not wait for a decision on their request. */
const timeCriticalTemplate = /^request-status\./;
/** After a provider refused a fallback for good (a 4xx), it is not tried again for that message for this long. */
const REFUSED_FOR_MS = 24 * 3600_000;

export interface FallbackMessage {
  messageId: number;
  /** E.164, proved by WhatsApp. */
  mobile: string;
  template: string | undefined;
  /** The `@sms` rendering kept beside the message, or its WhatsApp text when there is none. */
  text: string;
}

export interface SmsFallback {
  /** Whether this reply may go by SMS at all: status changes yes, surveys and everything else never. */
  accepts(reply: { template: string | undefined }): boolean;
  /**
   * Sends it by SMS. Null when it may not go by SMS after all (the number opted out of SMS, or the provider
   * refused it): the message then keeps waiting for WhatsApp. Throws a retryable ChannelDeliveryError when the
   * provider asks to slow down or cannot be reached.
   */
  send(message: FallbackMessage): Promise<DeliveryReceipt | null>;
}

export function createSmsFallback(deps: { provider: SmsProvider; db: Db; redis: Redis; prefix: string; log: Logger }): SmsFallback {
  const refusedKey = (id: number) => `${deps.prefix}:whatsapp:sms-fallback-refused:${id}`;
  return {
    accepts: ({ template }) => template !== undefined && timeCriticalTemplate.test(template),
    async send(m) {
      // «إيقاف»/STOP on SMS stops every SMS to the number, fallbacks included.
      const [optedOut] = await deps.db
        .select({ id: contacts.id })
        .from(contacts)
        .where(and(eq(contacts.channel, 'sms'), eq(contacts.channelUserId, m.mobile), eq(contacts.optedOut, true)))
        .limit(1);
      if (optedOut) return null;
      if (await deps.redis.exists(refusedKey(m.messageId))) return null;
      try {
        const { providerMessageId } = await deps.provider.send({ to: m.mobile, text: m.text, reference: `wasl-${m.messageId}` });
        return { providerMessageId, via: { channel: 'sms', text: m.text, reason: 'WhatsApp session down' } };
      } catch (err) {
        if (err instanceof ChannelDeliveryError && !err.retryable) {
          deps.log.error({ err, messageId: m.messageId }, 'the SMS provider refused a WhatsApp fallback; the message waits for WhatsApp');
          await deps.redis.set(refusedKey(m.messageId), '1', 'PX', REFUSED_FOR_MS);
          return null;
        }
        throw err;
      }
    },
  };
}
