/**
 * Sends replies by SMS: choices become a numbered list (the beneficiary answers with the digit or the word).
 * A number that opted out never gets here: the shared send path skips it (pipeline/opt-out-policy.ts).
 */
import type { Logger } from 'pino';
import { ChannelDeliveryError, type ChannelAdapter } from '../channel-adapter';
import { withNumberedChoices } from '../format-choices';
import { countSegments } from './segment-count';
import type { SmsProvider } from './sms-provider';

/** Above this many parts a reply is still sent (the provider concatenates it) but logged as costly. */
const COSTLY_SEGMENTS = 4;

export function createSmsAdapter(deps: { provider: SmsProvider; log: Logger }): ChannelAdapter {
  return {
    channel: 'sms',
    // Twilio's limit for one concatenated message; the Saudi gateways accept at least as much.
    capabilities: { maxTextLength: 1600, choices: 'numbered', rateLimit: deps.provider.rateLimit },
    async send(m) {
      // The console refuses files for SMS (src/messages/file-delivery.ts); this guards any other producer.
      if (m.attachment) throw new ChannelDeliveryError(`message ${m.messageId} carries a file, which SMS cannot send`, 'sms', false);
      const text = withNumberedChoices(m);
      const segments = countSegments(text);
      if (segments.segments > COSTLY_SEGMENTS) {
        deps.log.warn({ messageId: m.messageId, ...segments }, 'long SMS reply; consider a shorter @sms template variant');
      }
      return deps.provider.send({ to: m.channelUserId, text, reference: `wasl-${m.messageId}` });
    },
  };
}
