/**
 * The email channel as a module: replies by SMTP from the outbound role; the mailbox is read by the web role
 * only, so a deployment with several processes has exactly one reader per mailbox (two readers would race for
 * the same UIDs). Enabled by SMTP_URL; IMAP_URL adds the inbound side.
 */
import type { ChannelModule } from '../channel-module';
import { emailChromeFrom } from './email-layout';
import { emailConfigFromEnv } from './email-config';
import { createEmailPoller, type EmailPoller } from './email-poller';
import { createEmailAdapter } from './email-sender';
import { receiveEmail } from './receive-email';

export const emailChannel: ChannelModule = {
  channel: 'email',
  enabled: (env) => env.SMTP_URL !== undefined,
  async create(ctx) {
    const config = emailConfigFromEnv(ctx.env);
    const adapter = createEmailAdapter(config, { db: ctx.db, organisation: ctx.content.organisation, chrome: emailChromeFrom(ctx.content.templates), ratingLinks: ctx.ratingLinks });
    let poller: EmailPoller | undefined;
    if (config.imap && ctx.roles.includes('web')) {
      poller = createEmailPoller({
        imap: config.imap,
        pollIntervalMs: config.pollIntervalMs,
        db: ctx.db,
        log: ctx.log.child({ channel: 'email' }),
        receive: (raw, at) => receiveEmail({ db: ctx.db, log: ctx.log, documents: ctx.documents, config, ingest: ctx.ingest }, raw, at),
      });
    }
    return {
      adapter,
      async start() {
        poller?.start();
      },
      async stop() {
        await poller?.stop();
        adapter.close();
      },
    };
  },
};
