/**
 * Mail over EMAIL_MAX_MESSAGE_BYTES against the real Dovecot and SMTP sink, with Wasl on PGlite and real Redis:
 * with a 200 KB limit, a 1 MB mail is never downloaded (only its header: no body, no attachment kept), its
 * sender gets the templated answer threaded onto it, staff see it in the conversation with the reason, it is
 * marked \Seen and never fetched again; a normal mail beside it is answered as usual, and a big bounce is not.
 */
import { and, asc, eq } from 'drizzle-orm';
import { contacts, conversations, messages } from '../src/store/schema';
import { LogCapture } from './abuse/support/wasl-watch';
import { dovecotAvailable, startDovecot, type TestDovecot } from './fakes/dovecot';
import { startSmtpSink, type SmtpSink } from './fakes/smtp-sink';
import { firstMail } from './fixtures/email/build-replies';
import { startTestWasl, waitFor, type TestWasl } from './support/harness';

const FROM = '"جمعية بر الخوار" <care@birr.example>';
const SLOW = 180_000;
const LIMIT = 200 * 1024;
const describeWithDovecot = dovecotAvailable ? describe : describe.skip;

/** A mail of about `bytes` with a PDF attachment and a body text that must never reach the database. */
function bigMail(opts: { from: string; messageId: string; bytes: number; extraHeaders?: string[] }): string {
  const pdf = Buffer.alloc(Math.ceil((opts.bytes * 3) / 4), 0x20);
  pdf.write('%PDF-1.7\n');
  return [
    `From: "سارة العتيبي" <${opts.from}>`,
    `To: ${FROM}`,
    `Subject: =?UTF-8?B?${Buffer.from('عقد الإيجار').toString('base64')}?=`,
    `Message-ID: ${opts.messageId}`,
    'MIME-Version: 1.0',
    ...(opts.extraHeaders ?? []),
    'Content-Type: multipart/mixed; boundary="BIG"',
    '',
    '--BIG',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'BODY-THAT-MUST-NOT-BE-READ',
    '--BIG',
    'Content-Type: application/pdf; name="lease.pdf"',
    'Content-Disposition: attachment; filename="lease.pdf"',
    'Content-Transfer-Encoding: base64',
    '',
    (pdf.toString('base64').match(/.{1,76}/g) ?? []).join('\r\n'),
    '--BIG--',
    '',
  ].join('\r\n');
}

describeWithDovecot('email over EMAIL_MAX_MESSAGE_BYTES (Dovecot + SMTP sink, PGlite)', () => {
  let dovecot: TestDovecot;
  let sink: SmtpSink;
  let wasl: TestWasl;
  const logs = new LogCapture();

  beforeAll(async () => {
    dovecot = await startDovecot();
    sink = await startSmtpSink();
    wasl = await startTestWasl({
      db: 'pglite',
      extraEnv: {
        SMTP_URL: sink.url,
        EMAIL_FROM: FROM,
        IMAP_URL: dovecot.url,
        EMAIL_POLL_INTERVAL_MS: '1000',
        EMAIL_MAX_MESSAGE_BYTES: String(LIMIT),
        CLI_CHANNEL_ENABLED: 'false',
        LOG_LEVEL: 'info',
      },
      options: { logDestination: logs.destination },
    });
  }, SLOW);
  afterAll(async () => {
    await wasl?.stop();
    await sink?.stop();
    await dovecot?.stop();
  }, SLOW);

  const inboundOf = (address: string) =>
    wasl.database.db
      .select({ id: messages.id, text: messages.text, payload: messages.payload, status: messages.status, error: messages.error, providerMessageId: messages.providerMessageId })
      .from(messages)
      .innerJoin(conversations, eq(conversations.id, messages.conversationId))
      .innerJoin(contacts, eq(contacts.id, conversations.contactId))
      .where(and(eq(contacts.channelUserId, address), eq(messages.direction, 'in')))
      .orderBy(asc(messages.id));
  const oversizedLines = (uid: number) =>
    logs.lines.map((l) => JSON.parse(l) as { msg?: string; uid?: number; sizeBytes?: number }).filter((l) => l.msg?.includes('EMAIL_MAX_MESSAGE_BYTES') && l.uid === uid);

  it('answers a 1 MB mail without downloading it, answers the normal mail beside it, and never fetches it again', async () => {
    const sara = 'sara.otaibi@example.sa';
    const big = bigMail({ from: sara, messageId: '<big-1@example.sa>', bytes: 1024 * 1024 });
    expect(big.length).toBeGreaterThan(5 * LIMIT);
    const bigUid = await dovecot.append(big);
    const normal = firstMail({ from: 'khalid@example.sa', fromName: 'خالد', to: FROM, subject: 'سؤال', text: 'السلام عليكم' });
    const normalUid = await dovecot.append(normal.raw);

    const toSara = () => sink.mails.filter((m) => m.envelope.to[0] === sara);
    const [notice] = await waitFor('the answer to the big mail', async () => toSara().length > 0 && toSara());
    // The conversation is new, so the organisation's default language (Arabic); the limits come from the settings.
    expect(notice!.parsed.text).toMatch(/أكبر من الحجم الذي نستقبله \((0\.2|٠٫٢) ميجابايت\)/);
    expect(notice!.parsed.text).toMatch(/كل ملف على (10|١٠) ميجابايت/);
    expect(notice!.parsed.inReplyTo).toBe('<big-1@example.sa>');
    expect(notice!.parsed.subject).toBe('Re: عقد الإيجار');

    // Stored for staff without its body or attachment, with the reason; never handed to the engine.
    const [stored] = await inboundOf(sara);
    expect(stored).toMatchObject({ text: '', payload: { media: [] }, status: 'processed', providerMessageId: '<big-1@example.sa>' });
    expect(stored!.error).toMatch(/^mail of 1(\.\d)? MB over the 0\.2 MB limit/);
    const [contact] = await wasl.database.db.select().from(contacts).where(eq(contacts.channelUserId, sara));
    expect(contact).toMatchObject({ channel: 'email', displayName: 'سارة العتيبي' });
    const warned = oversizedLines(bigUid);
    expect(warned).toHaveLength(1);
    expect(warned[0]!.sizeBytes).toBe(Buffer.byteLength(big));
    expect(logs.lines.join('\n')).not.toContain(sara);

    await waitFor('the normal mail to be answered', async () => sink.mails.some((m) => m.envelope.to[0] === 'khalid@example.sa'));
    expect((await inboundOf('khalid@example.sa')).map((m) => m.text)).toEqual(['السلام عليكم']);
    await waitFor('both mails to be marked seen', async () => {
      const flags = await dovecot.flags();
      return flags.get(bigUid)?.has('\\Seen') && flags.get(normalUid)?.has('\\Seen');
    });

    // Later checks (every second) take the next mail and leave the big one alone.
    const later = firstMail({ from: 'khalid@example.sa', fromName: 'خالد', to: FROM, subject: 'سؤال', text: 'شكرا' });
    await dovecot.append(later.raw);
    await waitFor('the later mail to be stored', async () => (await inboundOf('khalid@example.sa')).length === 2);
    await new Promise((r) => setTimeout(r, 2500));
    expect(oversizedLines(bigUid)).toHaveLength(1);
    expect(await inboundOf(sara)).toHaveLength(1);
    expect(toSara()).toHaveLength(1);
    expect(logs.lines.filter((l) => (JSON.parse(l) as { level: number }).level >= 50)).toEqual([]);
  }, SLOW);

  it('never answers a big automatic mail (a bounce carrying the whole original), and stores nothing of it', async () => {
    const before = sink.mails.length;
    const bounce = bigMail({ from: 'mailer-daemon@mail.example.sa', messageId: '<bounce-1@mail.example.sa>', bytes: 512 * 1024, extraHeaders: ['Auto-Submitted: auto-replied'] });
    const uid = await dovecot.append(bounce);
    await waitFor('the bounce to be marked seen', async () => (await dovecot.flags()).get(uid)?.has('\\Seen'));
    expect(oversizedLines(uid)).toHaveLength(1);
    expect(await wasl.database.db.select().from(messages).where(eq(messages.providerMessageId, '<bounce-1@mail.example.sa>'))).toEqual([]);
    expect(await wasl.database.db.select().from(contacts).where(eq(contacts.channelUserId, 'mailer-daemon@mail.example.sa'))).toEqual([]);
    // A mail after it is still answered: the poller moved on.
    const after = firstMail({ from: 'mona@example.sa', fromName: 'منى', to: FROM, subject: 'طلب', text: 'مرحبا' });
    await dovecot.append(after.raw);
    await waitFor('the next mail to be answered', async () => sink.mails.slice(before).some((m) => m.envelope.to[0] === 'mona@example.sa'));
    expect(sink.mails.filter((m) => m.envelope.to[0] === 'mailer-daemon@mail.example.sa')).toEqual([]);
  }, SLOW);
});
