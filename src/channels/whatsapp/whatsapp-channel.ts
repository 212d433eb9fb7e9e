/**
 * WhatsApp (whatsapp-web.js) as a channel module. The session lives in ONE process, the `whatsapp` role
 * (`ROLES=whatsapp`, or `ROLES=all` with WHATSAPP_ENABLED=true): that process runs the gateway, ingests what
 * arrives, and runs this channel's outbound worker (`outboundRole`), because only it can send. The console (web
 * role) shows the state the gateway publishes in Redis (whatsapp-status-view.ts).
 */
import path from 'node:path';
import type { Logger } from 'pino';
import type { InboundMessageInput } from '../../messages/inbound-message';
import type { ChannelContext, ChannelModule } from '../channel-module';
import { recordAck } from './delivery-acks';
import { gatewayStates, whatsappReadiness } from './gateway-status';
import { recordPhoneTakeover } from './phone-takeover';
import { createStaffNoticeQueue, staffNotifyConfigured, type StaffNoticeQueue } from '../../staff/staff-notify';
import { createOutageAlerts } from './outage-alerts';
import { createPostgresSessionStore } from './postgres-session-store';
import { createSmsProvider } from '../sms/create-sms-provider';
import { createSmsFallback, type SmsFallback } from './sms-fallback';
import { createWhatsappAdapter } from './whatsapp-adapter';
import { createChromiumClientFactory, loggableMessageId, type WhatsappClientFactory, type WhatsappMessage } from './whatsapp-client';
import { WhatsappGateway, type GatewayAlert, type GatewayOptions } from './whatsapp-gateway';
import { toInboundMessage } from './whatsapp-inbound';

/** Messages one sender may send per minute before the rest are slowed (never dropped), so one chat cannot starve others. */
export const INBOUND_PER_SENDER_PER_MINUTE = 30;
/** How long one more message from a flooding sender waits before it is stored. */
const FLOOD_DELAY_MS = 2000;
/** An ack can overtake the recording of our own send's provider id; try again this often, this many times. */
const ACK_RETRY = { everyMs: 1000, times: 5 };

export interface WhatsappChannelOptions {
  /** Builds the whatsapp-web.js client; tests pass a fake. @defaultValue Chromium + RemoteAuth on the database */
  clientFactory?: WhatsappClientFactory;
  /** Time-critical replies by SMS during long outages; see sms-fallback.ts. @defaultValue the SMS channel's provider when SMS_PROVIDER is set, else none */
  smsFallback?: SmsFallback;
  /** Also told of a long outage, besides staff (outage-alerts.ts) and the error log. @defaultValue none */
  onAlert?(alert: GatewayAlert): void;
  /** Gateway timings and QR printing (tests shorten them). */
  gateway?: Partial<Pick<GatewayOptions, 'heartbeatMs' | 'backoff' | 'printQr'>>;
}

export function createWhatsappChannel(options: WhatsappChannelOptions = {}): ChannelModule {
  return {
    channel: 'whatsapp',
    enabled: (env) => env.WHATSAPP_ENABLED || env.ROLES.includes('whatsapp'),
    async create(ctx) {
      const { env, log } = ctx;
      const prefix = env.QUEUE_PREFIX;
      const clientId = env.WHATSAPP_CLIENT_ID;
      let gateway: WhatsappGateway | undefined;
      let notices: StaffNoticeQueue | undefined;
      if (ctx.roles.includes('whatsapp')) {
        notices = staffNotifyConfigured(env) ? createStaffNoticeQueue({ url: env.REDIS_URL, maxRetriesPerRequest: null }, prefix) : undefined;
        const outage = createOutageAlerts({ redis: ctx.redis, prefix, log: log.child({ channel: 'whatsapp' }), notices });
        const dataPath = path.resolve(env.DATA_DIR, 'whatsapp');
        gateway = new WhatsappGateway({
          clientFactory: options.clientFactory ?? createChromiumClientFactory(),
          clientOptions: {
            clientId,
            dataPath,
            store: createPostgresSessionStore(ctx.db, dataPath),
            chromiumPath: env.CHROMIUM_PATH,
            backupSyncIntervalMs: env.WHATSAPP_BACKUP_INTERVAL_MS,
            webVersionUrl: env.WHATSAPP_WEB_VERSION_URL,
          },
          redis: ctx.redis,
          prefix,
          log: log.child({ channel: 'whatsapp' }),
          handlers: createHandlers(ctx, () => gateway),
          alertAfterMs: env.WHATSAPP_ALERT_AFTER_MS,
          onAlert: async (alert) => {
            options.onAlert?.(alert);
            await outage.down(alert);
          },
          onRecovered: (recovery) => outage.up(recovery),
          ...options.gateway,
        });
      }
      return {
        adapter: createWhatsappAdapter({
          db: ctx.db,
          redis: ctx.redis,
          paceKey: `${prefix}:pace:whatsapp:${clientId}`,
          log,
          gateway,
          pacing: { minIntervalMs: env.WHATSAPP_MIN_INTERVAL_MS, jitterMs: env.WHATSAPP_PACE_JITTER_MS },
          smsFallback:
            options.smsFallback ??
            (env.SMS_PROVIDER ? createSmsFallback({ provider: createSmsProvider(env), db: ctx.db, redis: ctx.redis, prefix, log: log.child({ channel: 'whatsapp' }) }) : undefined),
          smsFallbackAfterMs: env.WHATSAPP_SMS_FALLBACK_AFTER_MS,
        }),
        outboundRole: 'whatsapp',
        readiness: async () => {
          const { ready, whatsapp } = await whatsappReadiness(ctx.redis, prefix, clientId);
          return { ready, state: whatsapp };
        },
        readinessStates: gatewayStates,
        start: async () => gateway?.start(),
        stop: async () => {
          await gateway?.stop();
          await notices?.close();
        },
      };
    },
  };
}

/** The channel as `npm start` uses it: Debian's Chromium, session in the database. */
export const whatsappChannel = createWhatsappChannel();

function createHandlers(ctx: ChannelContext, gateway: () => WhatsappGateway | undefined): GatewayOptions['handlers'] {
  const log = ctx.log.child({ channel: 'whatsapp' });
  const defaultLanguage = ctx.content.organisation.defaultLanguage === 'en' ? 'en' : 'ar';
  // Handlers are async (media downloads), so two messages of one chat could overtake each other; chain them.
  const chains = new Map<string, Promise<void>>();
  const inOrder = (chatId: string, work: () => Promise<void>): Promise<void> => {
    const next = (chains.get(chatId) ?? Promise.resolve()).then(work, work);
    chains.set(chatId, next);
    void next.finally(() => chains.get(chatId) === next && chains.delete(chatId)).catch(() => undefined);
    return next;
  };

  return {
    message: (m: WhatsappMessage) =>
      inOrder(m.from, async () => {
        const decision = await toInboundMessage(m, { documents: ctx.documents, log });
        if (decision.kind === 'ignored') {
          log.debug({ messageId: m.id.id, reason: decision.reason }, 'WhatsApp message ignored');
          return;
        }
        if (!(await withinInboundLimit(ctx, m.from))) {
          // Never drop a beneficiary's message: a flooding chat is only slowed, in its own per-chat chain, so
          // other chats are not held back (the engine drains one conversation at a time anyway).
          log.warn({ messageId: m.id.id }, `WhatsApp sender over ${INBOUND_PER_SENDER_PER_MINUTE} messages a minute; slowed down`);
          await new Promise((r) => setTimeout(r, FLOOD_DELAY_MS));
        }
        await ingestWithRetry(ctx, decision.message, log);
      }),
    ownMessage: (m: WhatsappMessage) =>
      inOrder(m.to, async () => {
        if (await gateway()?.isOwnSend(m.id._serialized)) return;
        await recordPhoneTakeover({ db: ctx.db, log, ...(ctx.counters ? { counters: ctx.counters } : {}) }, m, defaultLanguage);
      }),
    async ack(m: WhatsappMessage, ack: number) {
      for (let i = 0; i < ACK_RETRY.times; i++) {
        if ((await recordAck(ctx.db, m.id._serialized, ack)) !== 'unknown-message') return;
        await new Promise((r) => setTimeout(r, ACK_RETRY.everyMs));
      }
      log.debug({ messageId: loggableMessageId(m.id._serialized), ack }, 'ack for a message Wasl did not send');
    },
  };
}

async function withinInboundLimit(ctx: ChannelContext, chatId: string): Promise<boolean> {
  const key = `${ctx.env.QUEUE_PREFIX}:whatsapp:inbound:${chatId}`;
  const [[, count]] = (await ctx.redis.multi().incr(key).pexpire(key, 60_000, 'NX').exec()) as [[Error | null, number]];
  return count <= INBOUND_PER_SENDER_PER_MINUTE;
}

/** WhatsApp does not redeliver what we failed to store, so a database hiccup gets a few more tries. */
async function ingestWithRetry(ctx: ChannelContext, message: InboundMessageInput, log: Logger): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await ctx.ingest(message);
      return;
    } catch (err) {
      if (attempt >= 4) throw err;
      log.warn({ err, messageId: loggableMessageId(message.providerMessageId), attempt }, 'storing a WhatsApp message failed; retrying');
      await new Promise((r) => setTimeout(r, 500 * 2 ** attempt));
    }
  }
}
