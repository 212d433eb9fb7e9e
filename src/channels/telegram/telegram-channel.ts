/**
 * Telegram as a channel module (README.md in this folder lists what it sends and receives). `TELEGRAM_BOT_TOKEN`
 * turns it on. Ingress runs in the web role: long polling when `TELEGRAM_WEBHOOK_URL` is unset, otherwise
 * `POST /webhooks/telegram` on the web server. Replies go out from the outbound role through `telegram-sender`.
 */
import { Telegraf } from 'telegraf';
import type { ChannelModule } from '../channel-module';
import type { ReadinessTiming } from '../channel-readiness';
import { commandWords, registerCommandMenu } from './telegram-commands';
import { createFloodGuard } from './telegram-flood-guard';
import { createTelegramInbound } from './telegram-inbound';
import { startTelegramPoller, type TelegramPoller } from './telegram-poller';
import { createTelegramReadiness, ReportingTelegram } from './telegram-readiness';
import { createTelegramSender } from './telegram-sender';
import { allowedUpdates } from './telegram-update';
import { registerTelegramWebhook } from './telegram-webhook';

/** telegraf resolves method URLs against `apiRoot`; without a trailing slash a path's last segment is lost. */
const withTrailingSlash = (url: string) => (url.endsWith('/') ? url : `${url}/`);

export interface TelegramChannelOptions {
  /** How long a Bot API call's outcome stands for `/readyz` before a `getMe` probe; tests shorten it. */
  readiness?: ReadinessTiming;
}

export function createTelegramChannel(options: TelegramChannelOptions = {}): ChannelModule {
  return {
    channel: 'telegram',
    enabled: (env) => Boolean(env.TELEGRAM_BOT_TOKEN),
    async create(ctx) {
      const { env } = ctx;
      const log = ctx.log.child({ channel: 'telegram' });
      // webhookReply: false — replies never ride on the webhook's HTTP response (they come from the outbox).
      const apiOptions = { apiRoot: withTrailingSlash(env.TELEGRAM_API_ROOT), webhookReply: false };
      const bot = new Telegraf(env.TELEGRAM_BOT_TOKEN!, { telegram: apiOptions });
      const readiness = createTelegramReadiness({
        token: env.TELEGRAM_BOT_TOKEN!,
        timing: options.readiness,
        // telegraf types its signal as the `abort-controller` shim's; node-fetch 2 accepts Node's own.
        getMe: (signal) => telegram.callApi('getMe', {}, { signal: signal as never }),
      });
      const telegram = new ReportingTelegram(env.TELEGRAM_BOT_TOKEN!, apiOptions, readiness);
      bot.telegram = telegram;
      const floodGuard = createFloodGuard(ctx.redis, env.QUEUE_PREFIX);
      const inbound = createTelegramInbound({
        telegram,
        db: ctx.db,
        redis: ctx.redis,
        prefix: env.QUEUE_PREFIX,
        log,
        documents: ctx.documents,
        ingest: ctx.ingest,
        commandWords: commandWords(ctx.content.commands),
      });
      const webhookUrl = env.TELEGRAM_WEBHOOK_URL;
      const secret = env.TELEGRAM_WEBHOOK_SECRET;
      const runsIngress = ctx.roles.includes('web');
      const stopping = new AbortController();
      let poller: TelegramPoller | undefined;
      let connecting: Promise<void> | undefined;

      /** Telegram may be unreachable at start-up: keep trying in the background rather than refuse to start. */
      const connect = async () => {
        for (let attempt = 0; !stopping.signal.aborted; attempt++) {
          try {
            const me = await telegram.getMe();
            bot.botInfo = me;
            await registerCommandMenu(telegram, ctx.content, log);
            if (webhookUrl) {
              await telegram.setWebhook(webhookUrl, { secret_token: secret, allowed_updates: [...allowedUpdates], drop_pending_updates: false });
              log.info({ bot: me.username, webhook: webhookUrl }, 'telegram webhook set');
            } else {
              // Polling fails with 409 while a webhook is set; keep its pending updates for the poller.
              await telegram.deleteWebhook({ drop_pending_updates: false });
              if (stopping.signal.aborted) return;
              poller = startTelegramPoller({ telegram, log, floodGuard, handle: (u) => inbound.handle(u) });
              log.info({ bot: me.username }, 'telegram bot connected (long polling)');
            }
            return;
          } catch (err) {
            const code = (err as { code?: unknown }).code;
            if (code === 401 || code === 404) {
              log.error({ code }, 'Telegram refused TELEGRAM_BOT_TOKEN; check it with @BotFather (the channel stays off)');
              return;
            }
            log.warn({ err: (err as Error).message, attempt }, 'cannot reach Telegram yet; retrying');
            await new Promise<void>((resolve) => {
              const timer = setTimeout(resolve, Math.min(30_000, 1000 * 2 ** Math.min(attempt, 5)));
              stopping.signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
            });
          }
        }
      };

      return {
        adapter: createTelegramSender({
          telegram,
          db: ctx.db,
          redis: ctx.redis,
          prefix: env.QUEUE_PREFIX,
          log,
          chatIntervalMs: env.TELEGRAM_CHAT_INTERVAL_MS,
        }),
        ...(webhookUrl && secret ? { registerRoutes: (app) => registerTelegramWebhook(app, { secret, inbound, floodGuard }) } : {}),
        readiness: () => readiness.check(),
        async start() {
          if (runsIngress) connecting = connect();
        },
        async stop() {
          stopping.abort();
          // A getMe hanging on an unreachable Telegram must not hold up shutdown; connect() starts no poller once stopping.
          await Promise.race([connecting, new Promise((r) => setTimeout(r, 2000).unref())]);
          await poller?.stop();
        },
      };
    },
  };
}

/** The channel as `npm start` uses it. */
export const telegramChannel = createTelegramChannel();
