/**
 * Sends replies to the website chat: published on Redis and relayed by the web role to the device's open
 * streams. Nobody connected is fine — the widget replays what it missed when it comes back.
 */
import type { Redis } from 'ioredis';
import type { ChannelAdapter } from '../channel-adapter';
import { publishReply } from '../reply-stream';

export function createWebAdapter(redis: Redis, prefix: string): ChannelAdapter {
  return {
    channel: 'web',
    capabilities: { maxTextLength: 8000, choices: 'buttons', rateLimit: null },
    async send(m) {
      await publishReply(redis, prefix, 'web', m);
      return { providerMessageId: `web-${m.messageId}` };
    },
  };
}
