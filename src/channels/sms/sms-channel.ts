/** SMS as a channel module: the driver chosen by SMS_PROVIDER, its webhook, and the opt-out rules. */
import { createReplyRenderer } from '../../templating/render-reply';
import type { ChannelModule } from '../channel-module';
import { createSmsProvider } from './create-sms-provider';
import { createSmsAdapter } from './sms-adapter';
import { createSmsReadiness } from './sms-readiness';
import { registerSmsWebhook } from './sms-webhook-routes';

export const smsChannel: ChannelModule = {
  channel: 'sms',
  enabled: (env) => env.SMS_PROVIDER !== undefined,
  async create(ctx) {
    const provider = createSmsProvider(ctx.env);
    const renderer = createReplyRenderer(ctx.content.templates, ctx.content.organisation);
    const { env } = ctx;
    const readiness = createSmsReadiness({
      redis: ctx.redis,
      prefix: env.QUEUE_PREFIX,
      log: ctx.log.child({ channel: 'sms' }),
      secrets: [env.UNIFONIC_APP_SID, env.TAQNYAT_TOKEN, env.TWILIO_AUTH_TOKEN, env.SMS_GENERIC_TOKEN, env.SMS_WEBHOOK_SECRET],
    });
    return {
      adapter: readiness.observe(createSmsAdapter({ provider, log: ctx.log })),
      readiness: () => readiness.check(),
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
