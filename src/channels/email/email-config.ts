/**
 * The email channel's settings, derived once from the environment: where replies go out (SMTP), which mailbox
 * is read (IMAP) and the sender. Credentials stay inside the URLs the operator set; nothing here logs them.
 */
import { z } from 'zod';
import type { Env } from '../../config/env-schema';

export const imapSettingsSchema = z.object({
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  /** Implicit TLS (imaps://, port 993); plain imap:// still upgrades with STARTTLS when the server offers it. */
  secure: z.boolean(),
  user: z.string().min(1),
  pass: z.string(),
  mailbox: z.string().min(1),
});
export type ImapSettings = z.infer<typeof imapSettingsSchema>;

export const emailConfigSchema = z.object({
  smtpUrl: z.string().min(1),
  from: z.object({ name: z.string().optional(), address: z.string().min(3) }),
  /** Right-hand side of our Message-IDs: the sender's domain, so ids are globally unique per organisation. */
  messageIdDomain: z.string().min(1),
  imap: imapSettingsSchema.optional(),
  /** @defaultValue 60000 */
  pollIntervalMs: z.number().int().min(1000),
});
export type EmailConfig = z.infer<typeof emailConfigSchema>;

export class EmailConfigError extends Error {
  constructor(
    message: string,
    readonly variable: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'EmailConfigError';
  }
}

/** Splits `"Name" <addr@domain>` or `addr@domain`. */
export function parseMailbox(value: string): { name?: string; address: string } {
  const m = /^\s*(?:"?([^"<]*?)"?\s*)?<([^<>\s]+@[^<>\s]+)>\s*$/.exec(value);
  if (m) return m[1] ? { name: m[1].trim(), address: m[2]! } : { address: m[2]! };
  const bare = value.trim();
  if (!/^[^\s@<>"]+@[^\s@<>"]+$/.test(bare)) throw new EmailConfigError(`"${value}" is not an e-mail address`, 'EMAIL_FROM');
  return { address: bare };
}

export function parseImapUrl(url: string): ImapSettings {
  const u = new URL(url);
  if (!u.username) throw new EmailConfigError('the URL has no user name (imaps://user:password@host/INBOX)', 'IMAP_URL');
  const secure = u.protocol === 'imaps:';
  return imapSettingsSchema.parse({
    host: u.hostname,
    port: u.port ? Number(u.port) : secure ? 993 : 143,
    secure,
    user: decodeURIComponent(u.username),
    pass: decodeURIComponent(u.password),
    mailbox: decodeURIComponent(u.pathname.replace(/^\//, '')) || 'INBOX',
  });
}

export function emailConfigFromEnv(env: Env): EmailConfig {
  if (!env.SMTP_URL) throw new EmailConfigError('not set', 'SMTP_URL');
  if (!env.EMAIL_FROM) throw new EmailConfigError('required with SMTP_URL', 'EMAIL_FROM');
  const from = parseMailbox(env.EMAIL_FROM);
  return emailConfigSchema.parse({
    smtpUrl: env.SMTP_URL,
    from,
    messageIdDomain: from.address.split('@')[1]!.toLowerCase(),
    imap: env.IMAP_URL ? parseImapUrl(env.IMAP_URL) : undefined,
    pollIntervalMs: env.EMAIL_POLL_INTERVAL_MS,
  });
}
