/**
 * Sends replies by SMS: choices become a numbered list (the beneficiary answers with the digit or the word),
 * and a number that opted out is refused — a permanent failure, never retried — except for the one
 * confirmation of the opt-out itself.
 */
import { eq } from 'drizzle-orm';
import type { Logger } from 'pino';
import { outboundPayloadSchema } from '../../messages/outbound-message';
import type { Db } from '../../store/database';
import { contacts, conversations, messages } from '../../store/schema';
import { ChannelDeliveryError, type ChannelAdapter } from '../channel-adapter';
import { withNumberedChoices } from '../format-choices';
import { countSegments } from './segment-count';
import type { SmsProvider } from './sms-provider';
import { optOutNoticeTemplates } from './subscription';

/** Above this many parts a reply is still sent (the provider concatenates it) but logged as costly. */
const COSTLY_SEGMENTS = 4;

export function createSmsAdapter(deps: { provider: SmsProvider; db: Db; log: Logger }): ChannelAdapter {
  return {
    channel: 'sms',
    // Twilio's limit for one concatenated message; the Saudi gateways accept at least as much.
    capabilities: { maxTextLength: 1600, choices: 'numbered', rateLimit: deps.provider.rateLimit },
    async send(m) {
      // The console refuses files for SMS (src/messages/file-delivery.ts); this guards any other producer.
      if (m.attachment) throw new ChannelDeliveryError(`message ${m.messageId} carries a file, which SMS cannot send`, 'sms', false);
      const [row] = await deps.db
        .select({ optedOut: contacts.optedOut, payload: messages.payload })
        .from(messages)
        .innerJoin(conversations, eq(conversations.id, messages.conversationId))
        .innerJoin(contacts, eq(contacts.id, conversations.contactId))
        .where(eq(messages.id, m.messageId))
        .limit(1);
      if (row?.optedOut) {
        const template = outboundPayloadSchema.partial().safeParse(row.payload).data?.template;
        if (!template || !optOutNoticeTemplates.includes(template)) {
          throw new ChannelDeliveryError(`sms: message ${m.messageId} not sent, the recipient opted out (STOP)`, 'sms', false);
        }
      }
      const text = withNumberedChoices(m);
      const segments = countSegments(text);
      if (segments.segments > COSTLY_SEGMENTS) {
        deps.log.warn({ messageId: m.messageId, ...segments }, 'long SMS reply; consider a shorter @sms template variant');
      }
      return deps.provider.send({ to: m.channelUserId, text, reference: `wasl-${m.messageId}` });
    },
  };
}
