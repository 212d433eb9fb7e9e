/** SMS as a channel module: the driver chosen by SMS_PROVIDER, its webhook, and the opt-out rules. */
import { createReplyRenderer } from '../../templating/render-reply';
import type { ChannelModule } from '../channel-module';
import { createSmsProvider } from './create-sms-provider';
import { createSmsAdapter } from './sms-adapter';
import { registerSmsWebhook } from './sms-webhook-routes';

export const smsChannel: ChannelModule = {
  channel: 'sms',
  enabled: (env) => env.SMS_PROVIDER !== undefined,
  async create(ctx) {
    const provider = createSmsProvider(ctx.env);
    const renderer = createReplyRenderer(ctx.content.templates, ctx.content.organisation);
    return {
      adapter: createSmsAdapter({ provider, log: ctx.log }),
      async registerRoutes(app) {
        await registerSmsWebhook(app, {
          provider,
          db: ctx.db,
          log: ctx.log,
          queues: ctx.queues,
          renderer,
          publicBaseUrl: ctx.env.SMS_WEBHOOK_BASE_URL,
          ingest: ctx.ingest,
        });
      },
    };
  },
};
