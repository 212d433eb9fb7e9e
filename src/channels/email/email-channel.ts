/**
 * The email channel as a module: replies by SMTP from the outbound role; the mailbox is read by the web role
 * only, so a deployment with several processes has exactly one reader per mailbox (two readers would race for
 * the same UIDs). Enabled by SMTP_URL; IMAP_URL adds the inbound side.
 */
import nodemailer from 'nodemailer';
import type { ChannelModule } from '../channel-module';
import type { ReadinessTiming } from '../channel-readiness';
import { emailChromeFrom } from './email-layout';
import { emailConfigFromEnv } from './email-config';
import { createEmailPoller, type EmailPoller } from './email-poller';
import { createEmailReadiness } from './email-readiness';
import { createEmailAdapter } from './email-sender';
import { receiveEmail } from './receive-email';
import { receiveOversizedEmail } from './receive-oversized-email';
import { createReplyRenderer } from '../../templating/render-reply';

export interface EmailChannelOptions {
  /** How long the last send's outcome stands for `/readyz` before an SMTP `verify()`; tests shorten it. */
  readiness?: ReadinessTiming;
}

export function createEmailChannel(options: EmailChannelOptions = {}): ChannelModule {
  return {
    channel: 'email',
    enabled: (env) => env.SMTP_URL !== undefined,
    async create(ctx) {
      const config = emailConfigFromEnv(ctx.env);
      // Ours rather than the adapter's own, so readiness can `verify()` the same server and login.
      const transporter = nodemailer.createTransport(config.smtpUrl);
      const adapter = createEmailAdapter(config, { db: ctx.db, organisation: ctx.content.organisation, chrome: emailChromeFrom(ctx.content.templates), ratingLinks: ctx.ratingLinks, transporter });
      let poller: EmailPoller | undefined;
      if (config.imap && ctx.roles.includes('web')) {
        const oversizedDeps = {
          db: ctx.db,
          log: ctx.log,
          config,
          renderer: createReplyRenderer(ctx.content.templates, ctx.content.organisation),
          queues: ctx.queues,
          defaultLanguage: ctx.content.organisation.defaultLanguage,
          maxMessageBytes: ctx.env.EMAIL_MAX_MESSAGE_BYTES,
        };
        poller = createEmailPoller({
          imap: config.imap,
          pollIntervalMs: config.pollIntervalMs,
          db: ctx.db,
          log: ctx.log.child({ channel: 'email' }),
          receive: (raw, at) => receiveEmail({ db: ctx.db, log: ctx.log, documents: ctx.documents, config, ingest: ctx.ingest }, raw, at),
          maxMessageBytes: ctx.env.EMAIL_MAX_MESSAGE_BYTES,
          receiveOversized: (prefix, at) => receiveOversizedEmail(oversizedDeps, prefix, at),
        });
      }
      const readiness = createEmailReadiness({
        transporter,
        poller,
        timing: options.readiness,
        secrets: [config.imap?.pass, smtpPassword(config.smtpUrl)],
      });
      return {
        adapter: readiness.observe(adapter),
        readiness: () => readiness.check(),
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
}

/** The password inside SMTP_URL, if any: kept out of every readiness reason. */
function smtpPassword(url: string): string | undefined {
  try {
    return decodeURIComponent(new URL(url).password) || undefined;
  } catch {
    return undefined;
  }
}

/** The channel as `npm start` uses it. */
export const emailChannel = createEmailChannel();
