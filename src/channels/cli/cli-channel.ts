/** The terminal channel as a module: replies over Redis pub/sub, HTTP routes for `npm run chat`. */
import { Redis } from 'ioredis';
import type { ChannelModule } from '../channel-module';
import { createCliAdapter } from './cli-adapter';
import { registerCliRoutes } from './cli-routes';
import { cliChannelToken } from './cli-token';

export const cliChannel: ChannelModule = {
  channel: 'cli',
  enabled: (env) => env.CLI_CHANNEL_ENABLED,
  async create(ctx) {
    let subscriber: Redis | undefined;
    return {
      adapter: createCliAdapter(ctx.redis, ctx.env.QUEUE_PREFIX),
      async registerRoutes(app) {
        subscriber = new Redis(ctx.env.REDIS_URL, { maxRetriesPerRequest: null });
        await registerCliRoutes(app, {
          db: ctx.db,
          ingest: ctx.ingest,
          documents: ctx.documents,
          subscriber,
          prefix: ctx.env.QUEUE_PREFIX,
          token: cliChannelToken(ctx.secretKey),
        });
      },
      async stop() {
        await subscriber?.quit();
      },
    };
  },
};
