/** The website chat as a channel module: the widget, its API, and replies relayed over server-sent events. */
import path from 'node:path';
import { Redis } from 'ioredis';
import type { ChannelModule } from '../channel-module';
import { createReplyHub } from '../reply-stream';
import { parseAllowedOrigins } from './allowed-origins';
import { createRequestLimiter } from './request-limiter';
import { createWebAdapter } from './web-adapter';
import { registerWebRoutes } from './web-routes';

/** `public/widget` at the project root (this file is in src/channels/web). */
const widgetDir = path.resolve(__dirname, '..', '..', '..', 'public', 'widget');

export const webChannel: ChannelModule = {
  channel: 'web',
  enabled: (env) => env.WEB_CHAT_ENABLED,
  async create(ctx) {
    let subscriber: Redis | undefined;
    const { env } = ctx;
    return {
      adapter: createWebAdapter(ctx.redis, env.QUEUE_PREFIX),
      async registerRoutes(app) {
        subscriber = new Redis(env.REDIS_URL, { maxRetriesPerRequest: null });
        await registerWebRoutes(app, {
          db: ctx.db,
          hub: await createReplyHub(subscriber, env.QUEUE_PREFIX, 'web'),
          limiter: createRequestLimiter(ctx.redis, env.QUEUE_PREFIX),
          organisation: ctx.content.organisation,
          allowedOrigins: parseAllowedOrigins(env.WEB_CHAT_ALLOWED_ORIGINS),
          whatsappNumber: env.WEB_CHAT_WHATSAPP_NUMBER,
          demoPage: env.WEB_CHAT_DEMO_PAGE,
          limits: { messagesPerMinute: env.WEB_CHAT_MESSAGES_PER_MINUTE, ipRequestsPerMinute: env.WEB_CHAT_IP_REQUESTS_PER_MINUTE },
          widgetDir,
          ingest: ctx.ingest,
        });
      },
      async stop() {
        await subscriber?.quit();
      },
    };
  },
};
