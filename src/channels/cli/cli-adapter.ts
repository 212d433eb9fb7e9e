/**
 * The terminal channel behind `npm run chat`: replies are published on Redis and streamed to the terminal
 * client by the web role over server-sent events. It exercises the whole pipeline — ingest, drain, outbox,
 * outbound queue — exactly as WhatsApp or Telegram do; only the last hop differs.
 */
import type { Redis } from 'ioredis';
import type { ChannelAdapter } from '../channel-adapter';
import { withNumberedChoices } from '../format-choices';

export const cliTopic = (prefix: string, userId: string) => `${prefix}:cli:${userId}`;

export interface CliEvent {
  id: number;
  text: string;
}

export function createCliAdapter(redis: Redis, prefix: string): ChannelAdapter {
  return {
    channel: 'cli',
    capabilities: { maxTextLength: 8000, choices: 'numbered', rateLimit: { max: 200, durationMs: 1000 } },
    async send(m) {
      const event: CliEvent = { id: m.messageId, text: withNumberedChoices(m) };
      await redis.publish(cliTopic(prefix, m.channelUserId), JSON.stringify(event));
      return { providerMessageId: `cli-${m.messageId}` };
    },
  };
}
