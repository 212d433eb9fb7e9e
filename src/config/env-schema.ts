/**
 * The environment Wasl reads — the only place that knows `process.env` exists.
 * Every variable is listed with its default in `.env.example`; a test keeps the two in step.
 */
import { z } from 'zod';

export const roleNames = ['web', 'engine', 'outbound', 'surveys', 'whatsapp'] as const;
export type RoleName = (typeof roleNames)[number];

const booleanString = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

/** What `ROLES=all` means; kept as one value so `WHATSAPP_ENABLED` can tell "all" from an explicit list. */
const allRoles: readonly RoleName[] = roleNames.filter((r) => r !== 'whatsapp');

export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000).describe('HTTP port of the web role (0 = any free port)'),
  HOST: z.string().min(1).default('127.0.0.1').describe('interface the web role listens on'),
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).default('redis://127.0.0.1:6379'),
  QUEUE_PREFIX: z
    .string()
    .regex(/^[a-z0-9_-]+$/i, 'letters, digits, - and _ only')
    .default('wasl')
    .describe('Redis key prefix of every BullMQ queue'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must start with postgres:// (leave it empty to use the embedded PGlite)')
    .optional()
    .describe('PostgreSQL server; unset = embedded PGlite in DATA_DIR'),
  DATA_DIR: z.string().min(1).default('./data'),
  FLOWS_DIR: z.string().min(1).default('./flows'),
  TEMPLATES_DIR: z.string().min(1).default('./templates'),
  ROLES: z
    .string()
    .default('all')
    .transform((v, ctx) => {
      const parts = v.split(',').map((s) => s.trim()).filter(Boolean);
      if (parts.length === 1 && parts[0] === 'all') return allRoles as RoleName[];
      const unknown = parts.filter((p) => !(roleNames as readonly string[]).includes(p));
      if (unknown.length || parts.length === 0) {
        ctx.addIssue({ code: 'custom', message: `unknown role(s) "${unknown.join(',')}"; use "all" or a comma list of ${roleNames.join(', ')}` });
        return z.NEVER;
      }
      return parts as RoleName[];
    }),
  SECRET_KEY: z
    .string()
    .regex(/^[0-9a-f]{64}$/i, 'must be 64 hex characters (32 bytes), e.g. from `openssl rand -hex 32`')
    .optional()
    .describe('encrypts national ID numbers at rest; generated into DATA_DIR on first start when unset (PGlite only)'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ENGINE_CONCURRENCY: z.coerce
    .number()
    .int()
    .min(1)
    .max(256)
    .optional()
    .describe('conversations an engine process drains at once; unset = 64 (app/in-flight-limits.ts)'),
  OUTBOUND_CONCURRENCY: z.coerce
    .number()
    .int()
    .min(1)
    .max(256)
    .optional()
    .describe("send jobs an outbound process runs at once per channel, under the channel's own rate limit; unset = 64"),
  CLI_CHANNEL_ENABLED: booleanString.default(true).describe('the terminal channel used by `npm run chat`'),
  WASL_URL: z.url().default('http://127.0.0.1:3000').describe('where `npm run chat` finds the server'),
  PUBLIC_URL: z
    .url({ protocol: /^https?$/ })
    .optional()
    .describe('Wasl as beneficiaries reach it, e.g. https://wasl.charity.org.sa (the star links in survey mails); unset = WASL_URL'),

  // WhatsApp gateway (channels/whatsapp, docs/channels/whatsapp.md)
  WHATSAPP_ENABLED: booleanString
    .default(false)
    .describe('use the WhatsApp channel; with ROLES=all this process also runs the gateway (the whatsapp role)'),
  CHROMIUM_PATH: z.string().min(1).default('/usr/bin/chromium').describe("the browser whatsapp-web.js drives (Debian's chromium package)"),
  WHATSAPP_CLIENT_ID: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,40}$/, 'letters, digits, - and _ only')
    .default('main')
    .describe('names the WhatsApp session (one per number) in the database'),
  WHATSAPP_MIN_INTERVAL_MS: z.coerce.number().int().min(0).max(600_000).default(3000).describe('least time between two sends from the number'),
  WHATSAPP_PACE_JITTER_MS: z.coerce.number().int().min(0).max(600_000).default(2000).describe('random extra wait added to each interval'),
  WHATSAPP_BACKUP_INTERVAL_MS: z.coerce
    .number()
    .int()
    .min(60_000, 'whatsapp-web.js refuses less than 60000')
    .default(300_000)
    .describe('how often the session is copied into the database'),
  WHATSAPP_ALERT_AFTER_MS: z.coerce.number().int().min(1000).default(600_000).describe('staff are alerted when the session stays down this long'),
  WHATSAPP_SMS_FALLBACK_AFTER_MS: z.coerce
    .number()
    .int()
    .min(1000)
    .default(1_800_000)
    .describe('time-critical replies (request status changes) go by SMS, when SMS_PROVIDER is set, once the session is down this long'),
  WHATSAPP_WEB_VERSION_URL: z
    .url()
    .optional()
    .describe('emergency pin of the WhatsApp Web build ({version} in the URL); unset = the live build'),

  // Telegram bot (channels/telegram, docs/channels/telegram.md)
  TELEGRAM_BOT_TOKEN: z
    .string()
    .regex(/^\d+:[A-Za-z0-9_-]{30,}$/, 'the token @BotFather gave, like 123456789:AAF…')
    .optional()
    .describe('enables the Telegram channel; unset = no Telegram'),
  TELEGRAM_WEBHOOK_URL: z
    .url({ protocol: /^https$/, error: 'an https:// URL ending in /webhooks/telegram (Telegram only calls HTTPS)' })
    .optional()
    .describe('public URL of POST /webhooks/telegram; unset = long polling from the web role'),
  TELEGRAM_WEBHOOK_SECRET: z
    .string()
    .regex(/^[A-Za-z0-9_-]{16,256}$/, '16 to 256 letters, digits, _ or -, e.g. from `openssl rand -hex 32`')
    .optional()
    .describe('Telegram sends it back in X-Telegram-Bot-Api-Secret-Token; required with TELEGRAM_WEBHOOK_URL'),
  TELEGRAM_API_ROOT: z
    .url({ protocol: /^https?$/ })
    .default('https://api.telegram.org')
    .describe('Bot API server (a self-hosted telegram-bot-api, or a fake in tests)'),
  TELEGRAM_CHAT_INTERVAL_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(60_000)
    .default(1000)
    .describe('least time between two messages to one chat (Telegram allows about one a second)'),

  // SMS (channels/sms, docs/channels/sms.md)
  SMS_PROVIDER: z
    .enum(['unifonic', 'taqnyat', 'twilio', 'generic'])
    .optional()
    .describe('enables the SMS channel with this provider; unset = no SMS'),
  SMS_SENDER: z
    .string()
    .regex(/^(\+\d{8,15}|[A-Za-z0-9 .&-]{1,11})$/, 'a registered sender name (up to 11 letters/digits) or a number in E.164')
    .optional()
    .describe('the sender name registered with the operators (or a Twilio number); required with SMS_PROVIDER'),
  SMS_WEBHOOK_SECRET: z
    .string()
    .regex(/^[A-Za-z0-9_-]{16,256}$/, '16 to 256 letters, digits, _ or -, e.g. from `openssl rand -hex 32`')
    .optional()
    .describe('shared secret in the webhook URL (?secret=) or X-Webhook-Secret; required except for Twilio (signed)'),
  SMS_WEBHOOK_BASE_URL: z
    .url({ protocol: /^https?$/ })
    .optional()
    .describe('public base URL the provider calls (e.g. https://wasl.example.org); Twilio signs the full URL'),
  SMS_RATE_LIMIT_PER_SECOND: z.coerce.number().int().min(1).max(1000).optional().describe("overrides the provider's default sends per second"),
  UNIFONIC_APP_SID: z.string().min(8).optional().describe('Unifonic application AppSid'),
  UNIFONIC_BASE_URL: z.url({ protocol: /^https?$/ }).default('https://el.cloud.unifonic.com').describe('Unifonic API (a fake in tests)'),
  TAQNYAT_TOKEN: z.string().min(8).optional().describe('Taqnyat Bearer token from the Taqnyat portal'),
  TAQNYAT_BASE_URL: z.url({ protocol: /^https?$/ }).default('https://api.taqnyat.sa').describe('Taqnyat API (a fake in tests)'),
  TWILIO_ACCOUNT_SID: z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'AC followed by 32 hex digits').optional().describe('Twilio Account SID'),
  TWILIO_AUTH_TOKEN: z.string().min(16).optional().describe('Twilio auth token (signs webhooks too)'),
  TWILIO_BASE_URL: z.url({ protocol: /^https?$/ }).default('https://api.twilio.com').describe('Twilio API (a fake in tests)'),
  SMS_GENERIC_URL: z.url({ protocol: /^https?$/ }).optional().describe('send endpoint of a generic HTTP gateway (see channels/sms/README.md)'),
  SMS_GENERIC_TOKEN: z.string().min(8).optional().describe('Bearer token for the generic HTTP gateway'),

  // Website chat widget (channels/web, docs/channels/web-chat.md)
  WEB_CHAT_ENABLED: booleanString.default(true).describe('the website chat API, widget script and (with WEB_CHAT_DEMO_PAGE) the demo page'),
  WEB_CHAT_ALLOWED_ORIGINS: z
    .string()
    .default('')
    .refine(
      (v) => v.split(',').map((s) => s.trim()).filter(Boolean).every((o) => /^https?:\/\/[^/\s]+$/.test(o)),
      'a comma list of origins like https://charity.org.sa (scheme and host, no path)',
    )
    .describe("sites allowed to embed the widget, besides Wasl's own address"),
  WEB_CHAT_WHATSAPP_NUMBER: z
    .string()
    .regex(/^\+?\d{8,15}$/, 'international digits, e.g. +966501234567')
    .optional()
    .describe('shows a "continue on WhatsApp" link in the widget; unset = no link'),
  WEB_CHAT_DEMO_PAGE: booleanString.default(true).describe('serve the demo page with the widget at /'),
  WEB_CHAT_MESSAGES_PER_MINUTE: z.coerce.number().int().min(1).max(10_000).default(20).describe('messages one device may send a minute'),
  WEB_CHAT_IP_REQUESTS_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(120).describe('chat requests one IP address may make a minute'),

  // Staff console (src/console, docs/console.md)
  CONSOLE_SECURE_COOKIES: booleanString.default(false).describe('mark session cookies Secure (set true whenever the console is served over HTTPS)'),
  CONSOLE_TRUST_PROXY: booleanString
    .default(false)
    .describe('trust X-Forwarded-Proto/-For from a reverse proxy (Secure cookies behind TLS termination, client IP for login limits)'),
  TRUST_PROXY: z
    .string()
    .optional()
    .transform((v, ctx) => parseTrustProxy(v, ctx))
    .describe('which reverse proxies to believe about the client (X-Forwarded-For/-Proto): true, false, a hop count, or a comma list of addresses/CIDRs; unset = CONSOLE_TRUST_PROXY'),
  CONSOLE_SESSION_HOURS: z.coerce.number().int().min(1).max(720).default(12).describe('a console session ends this long after login'),
  CONSOLE_PUBLIC_URL: z.url().optional().describe('the console as staff reach it, for links in staff notifications'),
  STAFF_NOTIFY_SMTP_URL: z.url({ protocol: /^smtps?$/ }).optional().describe('SMTP server for escalation e-mails to staff; unset = no e-mail'),
  STAFF_NOTIFY_EMAILS: z.string().optional().describe('comma list of addresses told of every new escalation (urgent ones also page on-duty supervisors)'),
  STAFF_NOTIFY_FROM: z.string().default('wasl@localhost').describe('sender address of staff notification e-mails'),
  STAFF_TELEGRAM_BOT_TOKEN: z
    .string()
    .regex(/^\d+:[A-Za-z0-9_-]{30,}$/, 'the token @BotFather gave, like 123456789:AAF…')
    .optional()
    .describe('bot that posts new escalations to the staff Telegram group; unset = none'),
  STAFF_TELEGRAM_CHAT_ID: z.string().regex(/^-?\d+$/, 'a numeric chat id, e.g. -1001234567890').optional().describe('the staff group'),
  STAFF_TELEGRAM_API_ROOT: z.url({ protocol: /^https?$/ }).default('https://api.telegram.org').describe('Bot API server for staff notifications (a fake in tests)'),

  // Email (channels/email, docs/channels/email.md)
  SMTP_URL: z
    .url({ protocol: /^smtps?$/ })
    .optional()
    .describe('enables the email channel: the SMTP server replies go through, e.g. smtps://user:app-password@smtp.gmail.com:465'),
  EMAIL_FROM: z
    .string()
    .regex(/^(?:[^<>]*<)?[^\s@<>"]+@[^\s@<>"]+\.[^\s@<>"]+>?$/, 'an address, optionally with a name: "جمعية بر" <care@charity.org.sa>')
    .optional()
    .describe('sender of replies; its domain also names our Message-IDs; required with SMTP_URL'),
  IMAP_URL: z
    .url({ protocol: /^imaps?$/ })
    .optional()
    .describe('mailbox Wasl reads, e.g. imaps://care%40charity.org.sa:app-password@imap.gmail.com:993/INBOX; unset = send only'),
  EMAIL_POLL_INTERVAL_MS: z.coerce
    .number()
    .int()
    .min(1000)
    .max(3_600_000)
    .default(60_000)
    .describe('how often the mailbox is checked besides IMAP IDLE (the only way on servers without IDLE)'),
  EMAIL_MAX_MESSAGE_BYTES: z.coerce
    .number()
    .int()
    .min(65_536)
    .max(100 * 1024 * 1024)
    .default(25 * 1024 * 1024)
    .describe('a mail larger than this (bytes) is not downloaded: it is marked read and its sender asked to resend with files under 10 MB each (default 25 MB)'),
})
  // `ROLES=all` runs the WhatsApp gateway only when WhatsApp is enabled: it needs a phone to pair and Chromium.
  .overwrite((env) => ({
    ...env,
    ROLES: env.ROLES === allRoles ? (env.WHATSAPP_ENABLED ? [...allRoles, 'whatsapp'] : [...allRoles]) : env.ROLES,
  }))
  // Without a secret anyone who guesses the URL could post updates in a beneficiary's name.
  .superRefine((env, ctx) => {
    if (env.TELEGRAM_WEBHOOK_URL && !env.TELEGRAM_WEBHOOK_SECRET) {
      ctx.addIssue({ code: 'custom', path: ['TELEGRAM_WEBHOOK_SECRET'], message: 'required when TELEGRAM_WEBHOOK_URL is set (e.g. `openssl rand -hex 32`)' });
    }
  })
  // Each SMS provider needs its own credentials; say which one is missing rather than fail at the first send.
  .superRefine((env, ctx) => {
    const need: Record<string, (keyof typeof env)[]> = {
      unifonic: ['UNIFONIC_APP_SID', 'SMS_WEBHOOK_SECRET'],
      taqnyat: ['TAQNYAT_TOKEN', 'SMS_WEBHOOK_SECRET'],
      twilio: ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN'],
      generic: ['SMS_GENERIC_URL', 'SMS_GENERIC_TOKEN', 'SMS_WEBHOOK_SECRET'],
    };
    if (!env.SMS_PROVIDER) return;
    for (const key of ['SMS_SENDER' as const, ...need[env.SMS_PROVIDER]!]) {
      if (env[key] === undefined) ctx.addIssue({ code: 'custom', path: [key], message: `required when SMS_PROVIDER=${env.SMS_PROVIDER}` });
    }
  })
  // Mail read but never answered would look like a charity ignoring people: the channel needs both ends.
  .superRefine((env, ctx) => {
    if ((env.SMTP_URL || env.IMAP_URL) && !env.EMAIL_FROM) {
      ctx.addIssue({ code: 'custom', path: ['EMAIL_FROM'], message: 'required when SMTP_URL or IMAP_URL is set' });
    }
    if (env.IMAP_URL && !env.SMTP_URL) {
      ctx.addIssue({ code: 'custom', path: ['SMTP_URL'], message: 'required when IMAP_URL is set (replies go out by SMTP)' });
    }
  });

export type Env = z.infer<typeof envSchema>;

/** Fastify's `trustProxy`: trust every proxy, none, the nearest N hops, or the listed addresses/CIDRs only. */
export type TrustProxy = boolean | number | string[];

const ipOrCidr = z.union([z.ipv4(), z.ipv6(), z.cidrv4(), z.cidrv6()]);

function parseTrustProxy(value: string | undefined, ctx: z.RefinementCtx): TrustProxy | undefined {
  const v = value?.trim();
  if (v === undefined || v === '') return undefined;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  if (/^\d{1,2}$/.test(v)) return Number(v);
  const parts = v.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = parts.filter((p) => !ipOrCidr.safeParse(p).success);
  if (bad.length || parts.length === 0) {
    ctx.addIssue({ code: 'custom', message: `"${bad.join(',') || v}" is not true, false, a hop count or a comma list of IP addresses/CIDRs (e.g. 10.0.0.1,192.168.0.0/16)` });
    return z.NEVER;
  }
  return parts;
}

/** TRUST_PROXY, or the older console-only switch when it is unset. */
export function effectiveTrustProxy(env: Pick<Env, 'TRUST_PROXY' | 'CONSOLE_TRUST_PROXY'>): TrustProxy {
  return env.TRUST_PROXY ?? env.CONSOLE_TRUST_PROXY;
}
