/**
 * Email's part of `/readyz`: replies can go out (the SMTP server took the last mail or the login of a cached
 * `verify()`, channel-readiness.ts) and, where this process reads the mailbox, IMAP is connected and its last
 * check went through (email-poller.ts). Failing parts are named, e.g. `SMTP unreachable: connect ECONNREFUSED …`.
 */
import type { Transporter } from 'nodemailer';
import { ChannelDeliveryError, type ChannelAdapter } from '../channel-adapter';
import { createReadinessTracker, redact, reportingSends, type ChannelReadiness, type ReadinessTiming } from '../channel-readiness';
import type { EmailPoller } from './email-poller';

/** nodemailer's codes for "no SMTP session was possible", as opposed to the server refusing one mail. */
const UNREACHABLE = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ETLS', 'EPROTOCOL', 'ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EHOSTUNREACH']);
const REFUSED_LOGIN = new Set(['EAUTH', 'ENOAUTH']);

/** Why SMTP cannot be used, or `null` when the server answered (a 4xx/5xx about one mail is its answer). */
export function smtpFailureReason(err: unknown): string | null {
  const e = err as { code?: string; responseCode?: number; message?: string };
  const message = e.message ?? String(err);
  if (e.code !== undefined && REFUSED_LOGIN.has(e.code)) return `SMTP refused the login: ${message}`;
  // 421: the server is shutting the channel (RFC 5321 §3.8), e.g. overloaded or in maintenance.
  if ((e.code !== undefined && UNREACHABLE.has(e.code)) || e.responseCode === 421) return `SMTP unreachable: ${message}`;
  return null;
}

export interface EmailReadiness {
  /** The adapter, reporting each send's outcome. */
  observe<A extends ChannelAdapter>(adapter: A): A;
  check(): Promise<ChannelReadiness>;
}

export function createEmailReadiness(deps: {
  transporter: Pick<Transporter, 'verify'>;
  /** The mailbox reader, when this process runs it. */
  poller?: Pick<EmailPoller, 'status'>;
  timing?: ReadinessTiming;
  /** The SMTP and IMAP passwords. */
  secrets: readonly (string | undefined)[];
}): EmailReadiness {
  const smtp = createReadinessTracker({
    ...deps.timing,
    probe: () => deps.transporter.verify(),
    describe: (err) => smtpFailureReason(err) ?? `SMTP: ${(err as Error).message}`,
    secrets: deps.secrets,
  });
  return {
    observe: (adapter) =>
      reportingSends(adapter, (err) => {
        if (err === undefined) return smtp.succeeded();
        if (!(err instanceof ChannelDeliveryError)) return;
        const reason = smtpFailureReason(err.cause);
        if (reason === null) smtp.succeeded();
        else smtp.failed(reason);
      }),
    async check() {
      const parts = [await smtp.check(), ...(deps.poller ? [deps.poller.status()] : [])];
      const failing = parts.filter((p) => !p.ready);
      if (failing.length === 0) return { ready: true, state: 'ok' };
      return { ready: false, state: redact(failing.map((p) => p.state).join('; '), deps.secrets).slice(0, 300) };
    },
  };
}
