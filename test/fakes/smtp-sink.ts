/**
 * An SMTP server in the test process (the `smtp-server` package, ENGINEERING.md §5.4) that accepts every mail
 * and keeps it, parsed, so tests read exactly what a recipient's server would receive. It can be told to
 * refuse the next mails with a given reply code (421 temporary, 550 permanent).
 */
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface CapturedMail {
  envelope: { from: string; to: string[] };
  raw: Buffer;
  parsed: ParsedMail;
}

export interface SmtpSink {
  port: number;
  /** `smtp://127.0.0.1:port`, as SMTP_URL takes it. */
  url: string;
  /** SMTP_URL and EMAIL_FROM for a Wasl that mails through this sink, as the charity's address. */
  env: { SMTP_URL: string; EMAIL_FROM: string };
  mails: CapturedMail[];
  /** Refuses the next `count` mails with this SMTP reply code. */
  failNext(code: number, count?: number): void;
  waitForMails(count: number, timeoutMs?: number): Promise<CapturedMail[]>;
  stop(): Promise<void>;
}

export async function startSmtpSink(): Promise<SmtpSink> {
  const mails: CapturedMail[] = [];
  let failures: { code: number; left: number } | undefined;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (failures && failures.left > 0) {
          failures.left--;
          const err = Object.assign(new Error(failures.code >= 500 ? 'mailbox unavailable' : 'try again later'), { responseCode: failures.code });
          callback(err);
          return;
        }
        const raw = Buffer.concat(chunks);
        const envelope = {
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
        };
        simpleParser(raw)
          .then((parsed) => {
            mails.push({ envelope, raw, parsed });
            callback();
          })
          .catch(callback);
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.server.address() as { port: number }).port;
  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    env: { SMTP_URL: `smtp://127.0.0.1:${port}`, EMAIL_FROM: '"جمعية بر الخوار" <care@birr.example>' },
    mails,
    failNext(code, count = 1) {
      failures = { code, left: count };
    },
    async waitForMails(count, timeoutMs = 20_000) {
      const started = Date.now();
      while (mails.length < count) {
        if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${count} mails (have ${mails.length})`);
        await new Promise((r) => setTimeout(r, 25));
      }
      return mails.slice(0, count);
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
