/**
 * Reads the charity's mailbox: imapflow keeps the connection in IDLE so new mail arrives within a second, and
 * a timer checks every EMAIL_POLL_INTERVAL_MS as well (servers without IDLE, missed events). imapflow does not
 * reconnect by itself, so a closed or failed connection is reopened here with exponential backoff.
 *
 * Mail is taken by UID above the last one handled (persisted with the mailbox's UIDVALIDITY), not by the
 * \Seen flag, because staff may open the same mailbox in Outlook and read a mail before Wasl does. \Seen is
 * set only after the mail is stored (or deliberately ignored): one that fails to store stays unseen, the batch
 * stops there so a sender's mails keep their order, and the next check tries it again. On the first run, and
 * when UIDVALIDITY changes (the server rebuilt the mailbox), the unseen mail is what gets taken.
 *
 * Each mail's size is asked first: one over EMAIL_MAX_MESSAGE_BYTES is never downloaded whole (a 500 MB mail, or
 * a flood of big ones, would sit in memory), only its first bytes for the header, and it is marked and passed
 * like any other, so it is neither lost nor fetched again (receive-oversized-email.ts).
 */
import { ImapFlow } from 'imapflow';
import type { Logger } from 'pino';
import type { ChannelReadiness } from '../channel-readiness';
import type { Db } from '../../store/database';
import type { ImapSettings } from './email-config';
import { readMailboxPosition, saveMailboxPosition } from './email-threads-repo';
import type { MailboxLocation, ReceiveOutcome } from './receive-email';
import { OVERSIZED_HEAD_BYTES, type OversizedMailLocation } from './receive-oversized-email';

export interface EmailPollerDeps {
  imap: ImapSettings;
  /** @defaultValue 60000 */
  pollIntervalMs: number;
  db: Db;
  log: Logger;
  receive(raw: Buffer, at: MailboxLocation): Promise<ReceiveOutcome>;
  /** EMAIL_MAX_MESSAGE_BYTES: a larger mail goes to `receiveOversized` instead, with only its first bytes. */
  maxMessageBytes: number;
  receiveOversized(prefix: Buffer, at: OversizedMailLocation): Promise<ReceiveOutcome>;
  /** First reconnect delay, doubled after each failure up to `maxBackoffMs`. @defaultValue 1000 */
  minBackoffMs?: number;
  /** @defaultValue 60000 */
  maxBackoffMs?: number;
}

export interface EmailPoller {
  start(): void;
  stop(): Promise<void>;
  /**
   * For `/readyz`: ready while the mailbox is open and answered within three check intervals (plus 30 s for a
   * long batch); otherwise why not.
   */
  status(): ChannelReadiness;
}

export class MailboxSyncError extends Error {
  constructor(
    message: string,
    readonly mailbox: string,
    readonly uid: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'MailboxSyncError';
  }
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });

export function createEmailPoller(deps: EmailPollerDeps): EmailPoller {
  const { imap, log } = deps;
  /** Names the sync position: another account or mailbox starts from scratch. */
  const mailboxKey = `${imap.user.toLowerCase()}@${imap.host.toLowerCase()}:${imap.port}/${imap.mailbox}`;
  const stopping = new AbortController();
  let client: ImapFlow | undefined;
  let running: Promise<void> | undefined;
  let syncing: Promise<void> | undefined;
  let again = false;
  let lastAnswerAt = 0;
  /** Why the mailbox is not usable now; undefined while it is. */
  let down: string | undefined = 'IMAP connecting';
  const staleAfterMs = 3 * deps.pollIntervalMs + 30_000;
  const answered = () => {
    lastAnswerAt = Date.now();
    down = undefined;
  };
  const describe = (err: unknown) => {
    const e = err as { message?: string; responseText?: string };
    // imapflow's message is often just "Command failed"; the server's own words say more.
    return [e.message ?? String(err), e.responseText].filter(Boolean).join(': ');
  };

  async function sync(c: ImapFlow): Promise<void> {
    const lock = await c.getMailboxLock(imap.mailbox);
    try {
      const box = c.mailbox;
      if (!box) throw new Error(`mailbox ${imap.mailbox} is not open`);
      const uidValidity = Number(box.uidValidity);
      const known = await readMailboxPosition(deps.db, mailboxKey);
      const fresh = !known || known.uidValidity !== uidValidity;
      if (fresh && known) log.warn({ mailbox: mailboxKey, was: known.uidValidity, now: uidValidity }, 'UIDVALIDITY changed: taking the unseen mail again');
      let lastUid = fresh ? 0 : known.lastUid;
      const found = fresh ? await c.search({ seen: false }, { uid: true }) : await c.search({ uid: `${lastUid + 1}:*` }, { uid: true });
      // `n:*` always matches the newest message, even below n.
      const uids = (found || []).filter((u) => u > lastUid).sort((a, b) => a - b);
      for (const uid of uids) {
        if (stopping.signal.aborted) return;
        const sized = await c.fetchOne(String(uid), { size: true }, { uid: true });
        const sizeBytes = sized ? sized.size : undefined;
        // RFC822.SIZE is mandatory in IMAP4rev1; should a server still leave it out, the mail is read whole rather than never.
        const oversized = sizeBytes !== undefined && sizeBytes > deps.maxMessageBytes;
        if (oversized) log.warn({ mailbox: mailboxKey, uid, sizeBytes, limit: deps.maxMessageBytes }, 'email over EMAIL_MAX_MESSAGE_BYTES: only its header is fetched, the mail is not downloaded');
        const message = sized ? await c.fetchOne(String(uid), { source: oversized ? { start: 0, maxLength: OVERSIZED_HEAD_BYTES } : true }, { uid: true }) : false;
        lastAnswerAt = Date.now();
        if (message && message.source) {
          let outcome: ReceiveOutcome;
          try {
            outcome = oversized ? await deps.receiveOversized(message.source, { uidValidity, uid, sizeBytes }) : await deps.receive(message.source, { uidValidity, uid });
          } catch (err) {
            throw new MailboxSyncError(`could not store mail UID ${uid} of ${mailboxKey}; it stays unseen and is tried again`, mailboxKey, uid, { cause: err });
          }
          if (outcome.kind === 'ignored') log.info({ mailbox: mailboxKey, uid, reason: outcome.reason }, 'email not answered');
          await c.messageFlagsAdd(String(uid), ['\\Seen'], { uid: true });
        }
        lastUid = uid;
        await saveMailboxPosition(deps.db, mailboxKey, { uidValidity, lastUid });
      }
      // Mail already read before Wasl first looked stays with the staff: continue after it.
      if (fresh) await saveMailboxPosition(deps.db, mailboxKey, { uidValidity, lastUid: Math.max(lastUid, box.uidNext - 1) });
    } finally {
      lock.release();
    }
  }

  /** Runs a sync now, or once more after the running one (events coalesce). Never throws. */
  function requestSync(c: ImapFlow): void {
    if (syncing) {
      again = true;
      return;
    }
    syncing = (async () => {
      do {
        again = false;
        try {
          await sync(c);
          answered();
        } catch (err) {
          if (stopping.signal.aborted || !c.usable) return;
          // A mail that could not be stored is the database's trouble; the mailbox did answer.
          if (err instanceof MailboxSyncError) lastAnswerAt = Date.now();
          else down = `IMAP check failed: ${describe(err)}`;
          log.warn({ err, mailbox: mailboxKey }, 'email sync failed; retrying at the next check');
          return;
        }
      } while (again && !stopping.signal.aborted);
    })().finally(() => {
      syncing = undefined;
    });
  }

  async function session(): Promise<void> {
    const c = new ImapFlow({
      host: imap.host,
      port: imap.port,
      secure: imap.secure,
      auth: { user: imap.user, pass: imap.pass },
      logger: false,
      // Enter IDLE soon after each command instead of imapflow's 15 s default.
      autoIdleDelay: 500,
      // Some servers drop an IDLE silently after ~30 minutes; restart it well before.
      maxIdleTime: 10 * 60_000,
      missingIdleCommand: 'STATUS',
    });
    client = c;
    const closed = new Promise<void>((resolve) => c.once('close', () => resolve()));
    c.on('error', (err: unknown) => log.warn({ err, mailbox: mailboxKey }, 'IMAP connection error'));
    c.on('exists', () => requestSync(c));
    await c.connect();
    await c.mailboxOpen(imap.mailbox);
    answered();
    log.info({ mailbox: mailboxKey, idle: c.capabilities.has('IDLE') }, 'email mailbox open');
    const timer = setInterval(() => requestSync(c), deps.pollIntervalMs);
    try {
      requestSync(c);
      await closed;
    } finally {
      clearInterval(timer);
    }
  }

  async function run(): Promise<void> {
    const min = deps.minBackoffMs ?? 1000;
    const max = deps.maxBackoffMs ?? 60_000;
    let delay = min;
    while (!stopping.signal.aborted) {
      const openedAt = Date.now();
      try {
        await session();
        down = 'IMAP connection closed; reconnecting';
      } catch (err) {
        down = `IMAP connection failed: ${describe(err)}`;
        if (!stopping.signal.aborted) log.warn({ err, mailbox: mailboxKey, retryInMs: delay }, 'cannot reach the mailbox');
      }
      if (stopping.signal.aborted) break;
      // A connection that lived a while was healthy: start the backoff again from the bottom.
      if (Date.now() - openedAt > max) delay = min;
      log.info({ mailbox: mailboxKey, retryInMs: delay }, 'reconnecting to the mailbox');
      await sleep(delay, stopping.signal);
      delay = Math.min(delay * 2, max);
    }
  }

  return {
    start() {
      running ??= run();
    },
    async stop() {
      stopping.abort();
      await syncing?.catch(() => undefined);
      if (client?.usable) await client.logout().catch(() => client?.close());
      else client?.close();
      await running;
    },
    status() {
      if (down) return { ready: false, state: down };
      if (Date.now() - lastAnswerAt > staleAfterMs) return { ready: false, state: `IMAP: the mailbox has not answered for over ${Math.round(staleAfterMs / 1000)} s` };
      return { ready: true, state: 'ok' };
    },
  };
}
