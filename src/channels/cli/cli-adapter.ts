/**
 * The terminal channel behind `npm run chat`: replies are published on Redis and streamed to the terminal
 * client by the web role over server-sent events. It exercises the whole pipeline — ingest, drain, outbox,
 * outbound queue — exactly as WhatsApp or Telegram do; only the last hop differs.
 */
import type { Redis } from 'ioredis';
import type { ChannelAdapter } from '../channel-adapter';
import { publishReply } from '../reply-stream';

export function createCliAdapter(redis: Redis, prefix: string): ChannelAdapter {
  return {
    channel: 'cli',
    capabilities: { maxTextLength: 8000, choices: 'numbered', rateLimit: null },
    async send(m) {
      await publishReply(redis, prefix, 'cli', m);
      return { providerMessageId: `cli-${m.messageId}` };
    },
  };
}
