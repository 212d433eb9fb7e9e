/**
 * The email channel against real servers: a Dovecot IMAP server started for the test (mail put in with IMAP
 * APPEND, as a delivery would) and an SMTP sink in the process, with Wasl on PGlite and real Redis. A
 * beneficiary applies for support by mail from Gmail and Outlook, each reply threaded onto theirs; automatic
 * mail is never answered; a mail that cannot be stored stays unseen and is taken again.
 */
import { and, asc, eq, inArray } from 'drizzle-orm';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ParsedMail } from 'mailparser';
import { emailChannel } from '../src/channels/email/email-channel';
import { parseInboundEmail } from '../src/channels/email/parse-inbound-email';
import type { ChannelModule } from '../src/channels/channel-module';
import { ingest } from '../src/pipeline/ingest';
import { openMemoryPglite } from '../src/store/database';
import { contacts, conversations, emailThreads, messages, requestDocuments, requests } from '../src/store/schema';
import { dovecotAvailable, startDovecot, type TestDovecot } from './fakes/dovecot';
import { startSmtpSink, type CapturedMail, type SmtpSink } from './fakes/smtp-sink';
import { firstMail, gmailReply, outlookReply, type ReplyTo } from './fixtures/email/build-replies';
import { startTestWasl, waitFor, type TestWasl } from './support/harness';

const FROM = '"جمعية بر الخوار" <care@birr.example>';
// PGlite's first start and a 16-mail conversation are slow on a busy CI machine.
const SLOW = 180_000;
const describeWithDovecot = dovecotAvailable ? describe : describe.skip;
const sample = (name: string) => readFileSync(path.join(__dirname, 'fixtures', 'email', name));

const emailEnv = (sink: SmtpSink, dovecot: TestDovecot) => ({
  SMTP_URL: sink.url,
  EMAIL_FROM: FROM,
  IMAP_URL: dovecot.url,
  EMAIL_POLL_INTERVAL_MS: '1000',
  CLI_CHANNEL_ENABLED: 'false',
});

/** What a mail client needs to answer a captured mail. */
function replyTarget(mail: CapturedMail): ReplyTo {
  const p = mail.parsed;
  const refs = p.references === undefined ? [] : Array.isArray(p.references) ? p.references : [p.references];
  return { messageId: p.messageId!, references: refs, subject: p.subject ?? '', text: p.text ?? '', from: FROM };
}

/** Waits until every inbound mail of this address is processed and every reply sent. */
async function settled(wasl: TestWasl, address: string, providerMessageId: string): Promise<void> {
  const db = wasl.database.db;
  await waitFor(`mail ${providerMessageId} to be stored`, async () => {
    const rows = await db.select({ id: messages.id }).from(messages).where(and(eq(messages.channel, 'email'), eq(messages.providerMessageId, providerMessageId)));
    return rows.length > 0;
  });
  await waitFor(`${address}'s conversation to settle`, async () => {
    const pending = await db
      .select({ id: messages.id })
      .from(messages)
      .innerJoin(conversations, eq(conversations.id, messages.conversationId))
      .innerJoin(contacts, eq(contacts.id, conversations.contactId))
      .where(and(eq(contacts.channel, 'email'), eq(contacts.channelUserId, address), inArray(messages.status, ['received', 'queued'])))
      .limit(1);
    return pending.length === 0;
  });
}

const plainText = (m: ParsedMail) => m.text ?? '';

describeWithDovecot('email channel (Dovecot + SMTP sink, PGlite)', () => {
  let dovecot: TestDovecot;
  let sink: SmtpSink;
  let wasl: TestWasl;

  beforeAll(async () => {
    dovecot = await startDovecot();
    sink = await startSmtpSink();
    wasl = await startTestWasl({ db: 'pglite', extraEnv: emailEnv(sink, dovecot) });
  }, SLOW);
  afterAll(async () => {
    await wasl?.stop();
    await sink?.stop();
    await dovecot?.stop();
  }, SLOW);

  /** The beneficiary sends a mail; returns the mails Wasl sent in answer. */
  async function send(address: string, mail: { raw: string | Buffer; messageId: string }): Promise<CapturedMail[]> {
    const before = sink.mails.length;
    await dovecot.append(mail.raw);
    await settled(wasl, address, mail.messageId);
    return sink.mails.slice(before);
  }

  it('takes a support request by mail from Gmail and Outlook replies, each answer threaded onto the last mail', async () => {
    const address = 'noura.alshehri@gmail.com';
    const person = { from: 'Noura.AlShehri@Gmail.com', fromName: 'نورة الشهري' };
    const first = firstMail({ ...person, to: FROM, subject: 'طلب دعم', text: 'السلام عليكم\n\nأُرسلت من الـ iPhone الخاص بي\n' });
    let answers = await send(address, first);
    expect(answers.length).toBeGreaterThan(0);
    const welcome = answers.map((m) => plainText(m.parsed)).join('\n');
    expect(welcome).toContain('جمعية بر الخوار');
    expect(welcome).toMatch(/1\. تقديم طلب/);
    expect(welcome).toContain('برقم الخيار أو بكلمته');

    // Each reply is sent to the beneficiary, from the charity, in one thread with what they wrote.
    let parentId = first.messageId;
    const checkThreaded = (mails: CapturedMail[]) => {
      for (const m of mails) {
        expect(m.envelope.to).toEqual([address]);
        expect(m.parsed.from?.value[0]?.address).toBe('care@birr.example');
        expect(m.parsed.messageId).toMatch(/^<c\d+\.m\d+@birr\.example>$/);
        expect(m.parsed.inReplyTo).toBe(parentId);
        const refs = Array.isArray(m.parsed.references) ? m.parsed.references : [m.parsed.references];
        expect(refs.at(-1)).toBe(parentId);
        expect(m.parsed.subject).toBe('Re: طلب دعم');
        expect(m.parsed.html).toContain('dir="rtl"');
        expect(m.parsed.html).toContain('0504621286');
        expect(m.raw.toString('latin1')).toMatch(/^Subject: =\?UTF-8\?[BQ]\?/m);
      }
    };
    checkThreaded(answers);

    const steps: { answer: string; expect?: string }[] = [
      { answer: '1', expect: 'اسمك الرباعي' },
      { answer: 'نورة سعد عبدالله الشهري', expect: 'الهوية' },
      { answer: '1101234563', expect: 'جوال' },
      { answer: '0551234567', expect: 'مدينة' },
      { answer: 'جدة' },
      { answer: 'الصفا', expect: 'أفراد' },
      { answer: '4', expect: 'دخل' },
      { answer: '1800', expect: 'السكن' },
      { answer: '2', expect: 'نوع الدعم' },
      { answer: '3' },
      { answer: 'زوجي متوفى والإيجار متأخر ثلاثة أشهر', expect: '******4563' },
      { answer: 'نعم', expect: 'أقر' },
      { answer: '1', expect: 'REQ-' },
      { answer: '1' }, // send the documents now
    ];
    for (const [i, step] of steps.entries()) {
      const to = replyTarget(answers.at(-1)!);
      // Alternate the two clients: the quoted history differs, the stripped answer must not.
      const reply = i % 2 === 0 ? gmailReply({ ...person, to, answer: step.answer }) : outlookReply({ ...person, to, answer: step.answer });
      answers = await send(address, reply);
      expect(answers.length).toBeGreaterThan(0);
      parentId = reply.messageId;
      checkThreaded(answers);
      if (step.expect) expect(answers.map((m) => plainText(m.parsed)).join('\n')).toContain(step.expect);
    }

    // The documents step: a Gmail reply with the lease as a PDF attachment.
    const pdfBytes = (await parseInboundEmail(sample('pdf-attachment.eml'))).attachments[0]!.content;
    const withPdf = gmailReply({ ...person, to: replyTarget(answers.at(-1)!), answer: 'مرفق عقد الإيجار', attachment: { fileName: 'lease.pdf', mimeType: 'application/pdf', content: pdfBytes } });
    answers = await send(address, withPdf);
    parentId = withPdf.messageId;
    checkThreaded(answers);
    expect(answers.map((m) => plainText(m.parsed)).join('\n')).toContain('وصلنا المستند');

    const db = wasl.database.db;
    const [contact] = await db.select().from(contacts).where(eq(contacts.channel, 'email'));
    expect(contact).toMatchObject({ channelUserId: address, displayName: 'نورة الشهري', verifiedMobile: null });
    const [request] = await db.select().from(requests).where(eq(requests.contactId, contact!.id));
    expect(request).toMatchObject({ status: 'submitted' });
    expect(request!.answers).toMatchObject({ name: 'نورة سعد عبدالله الشهري', mobile: '+966551234567', familySize: 4, monthlyIncome: 1800 });
    const documents = await db.select().from(requestDocuments).where(eq(requestDocuments.requestId, request!.id));
    expect(documents).toEqual([expect.objectContaining({ mimeType: 'application/pdf', fileName: 'lease.pdf', sizeBytes: pdfBytes.length })]);

    // The engine saw only the answers: no quoted history, no signature.
    const inbound = await db
      .select({ text: messages.text })
      .from(messages)
      .innerJoin(conversations, eq(conversations.id, messages.conversationId))
      .where(and(eq(conversations.contactId, contact!.id), eq(messages.direction, 'in')))
      .orderBy(asc(messages.id));
    // (The engine stores the national ID masked, as on every channel.)
    const asStored = steps.map((s) => (s.answer === '1101234563' ? '******4563' : s.answer));
    expect(inbound.map((m) => m.text)).toEqual(['السلام عليكم', ...asStored, 'مرفق عقد الإيجار']);

    // Every mail was marked \Seen once stored.
    const flags = await dovecot.flags();
    expect([...flags.values()].every((f) => f.has('\\Seen'))).toBe(true);
    // Our own ids are remembered for threading.
    const ours = await db.select().from(emailThreads).where(eq(emailThreads.direction, 'out'));
    expect(ours.length).toBe(sink.mails.length);
  }, SLOW);

  it('never answers an out-of-office reply or a bounce, and stores neither as a beneficiary message', async () => {
    const before = sink.mails.length;
    const ooo = await dovecot.append(sample('out-of-office.eml'));
    const dsn = await dovecot.append(sample('dsn-bounce.eml'));
    await waitFor('both automatic mails to be handled', async () => {
      const flags = await dovecot.flags();
      return flags.get(ooo)?.has('\\Seen') && flags.get(dsn)?.has('\\Seen');
    });
    // A person's mail after them is still answered: the poller moved on past the ignored ones.
    const html = sample('html-only.eml');
    const answered = await send('salem.q@example.sa', { raw: html, messageId: '<html-only-7f3a@example.sa>' });
    expect(answered.length).toBeGreaterThan(0);
    expect(sink.mails.slice(before).every((m) => m.envelope.to[0] === 'salem.q@example.sa')).toBe(true);

    const db = wasl.database.db;
    const automatic = await db.select().from(contacts).where(inArray(contacts.channelUserId, ['fahad.otaibi@outlook.sa', 'mailer-daemon@mail.birr.example']));
    expect(automatic).toEqual([]);
    const stored = await db.select().from(messages).where(inArray(messages.providerMessageId, ['<PAXPR08MB7412OOF0001@PAXPR08MB7412.eurprd08.prod.outlook.com>', '<20261122072001.4F1C2A3B4D@mail.birr.example>']));
    expect(stored).toEqual([]);

    // HTML-only mail from an unknown sender: a new contact; markup in it is text, and never markup in our reply.
    const [fromHtml] = await db.select({ text: messages.text }).from(messages).where(eq(messages.providerMessageId, '<html-only-7f3a@example.sa>'));
    expect(fromHtml!.text).toContain('<script>alert(1)</script>');
    expect(fromHtml!.text).toContain('أرغب في التقديم على مساعدة غذائية للأسرة.');
    for (const m of answered) expect(m.parsed.html).not.toMatch(/<script/i);
  }, SLOW);

  it('threads a reply into the conversation it answers, only for the same sender, reopening a recently resolved one', async () => {
    const db = wasl.database.db;
    const hana = { from: 'hana.q@example.sa', fromName: 'هناء القحطاني' };
    const first = firstMail({ ...hana, to: FROM, subject: 'استفسار', text: 'السلام عليكم' });
    const welcome = await send(hana.from, first);
    expect(welcome.length).toBeGreaterThan(0);
    const conversationOf = async (providerMessageId: string) => {
      const [row] = await db.select({ conversationId: messages.conversationId }).from(messages).where(eq(messages.providerMessageId, providerMessageId));
      return row!.conversationId;
    };
    const original = await conversationOf(first.messageId);
    const resolve = (resolvedAt: Date) =>
      db.update(conversations).set({ status: 'resolved', resolvedAt, state: { language: 'ar', frame: null, misses: 0 } }).where(eq(conversations.id, original));

    // A researcher resolved it; Hana answers our last mail a little later: the same conversation, open again.
    await resolve(new Date());
    const reply = gmailReply({ ...hana, to: replyTarget(welcome.at(-1)!), answer: 'شكرا لكم، عندي سؤال آخر' });
    const answers = await send(hana.from, reply);
    expect(await conversationOf(reply.messageId)).toBe(original);
    const [reopened] = await db.select().from(conversations).where(eq(conversations.id, original));
    expect(reopened).toMatchObject({ status: 'bot', resolvedAt: null });
    expect(answers.length).toBeGreaterThan(0);
    for (const m of answers) expect(m.parsed.inReplyTo).toBe(reply.messageId);

    // Someone else answering Hana's thread (a forwarded mail, or a forged In-Reply-To) stays in their own conversation.
    const omar = { from: 'omar.z@example.sa', fromName: 'عمر الزهراني' };
    const forged = outlookReply({ ...omar, to: replyTarget(answers.at(-1)!), answer: 'السلام عليكم' });
    await send(omar.from, forged);
    const omarsConversation = await conversationOf(forged.messageId);
    expect(omarsConversation).not.toBe(original);
    const [owner] = await db.select({ address: contacts.channelUserId }).from(conversations).innerJoin(contacts, eq(contacts.id, conversations.contactId)).where(eq(conversations.id, omarsConversation));
    expect(owner!.address).toBe(omar.from);

    // A reply long after the conversation was resolved starts a new one.
    await resolve(new Date(Date.now() - 8 * 24 * 3_600_000));
    const late = gmailReply({ ...hana, to: replyTarget(answers.at(-1)!), answer: 'مرحبا مجددا' });
    await send(hana.from, late);
    const lateConversation = await conversationOf(late.messageId);
    expect(lateConversation).not.toBe(original);
    const [stillResolved] = await db.select({ status: conversations.status }).from(conversations).where(eq(conversations.id, original));
    expect(stillResolved!.status).toBe('resolved');
  }, SLOW);

  it('retries a mail the SMTP server defers (421) and fails one it rejects (550) without retrying', async () => {
    const outbound = async (address: string) =>
      wasl.database.db
        .select({ status: messages.status, error: messages.error })
        .from(messages)
        .innerJoin(conversations, eq(conversations.id, messages.conversationId))
        .innerJoin(contacts, eq(contacts.id, conversations.contactId))
        .where(and(eq(contacts.channelUserId, address), eq(messages.direction, 'out')));

    sink.failNext(421);
    const deferred = firstMail({ from: 'reem@example.sa', fromName: 'ريم', to: FROM, subject: 'سؤال', text: 'مرحبا' });
    const received = await send('reem@example.sa', deferred);
    expect(received.length).toBeGreaterThan(0);
    expect((await outbound('reem@example.sa')).every((m) => m.status === 'sent')).toBe(true);

    sink.failNext(550);
    const rejected = firstMail({ from: 'no.such.user@example.sa', fromName: 'x', to: FROM, subject: 'سؤال', text: 'مرحبا' });
    await send('no.such.user@example.sa', rejected);
    const rows = await outbound('no.such.user@example.sa');
    expect(rows[0]).toMatchObject({ status: 'failed' });
    expect(rows[0]!.error).toContain('550');
  }, SLOW);
});

describeWithDovecot('email channel when the database fails', () => {
  let dovecot: TestDovecot;
  let sink: SmtpSink;
  let wasl: TestWasl;
  let failing = true;
  let failedAttempts = 0;

  beforeAll(async () => {
    dovecot = await startDovecot();
    sink = await startSmtpSink();
    // While `failing`, messages are ingested into a real database that has been closed.
    const closed = await openMemoryPglite();
    await closed.close();
    const flaky: ChannelModule = {
      ...emailChannel,
      create: (ctx) =>
        emailChannel.create({
          ...ctx,
          ingest: (m) => {
            if (!failing) return ctx.ingest(m);
            failedAttempts++;
            return ingest({ db: closed.db, queues: ctx.queues, log: ctx.log }, m);
          },
        }),
    };
    wasl = await startTestWasl({ db: 'pglite', extraEnv: emailEnv(sink, dovecot), options: { channelModules: [flaky] } });
  }, SLOW);
  afterAll(async () => {
    await wasl?.stop();
    await sink?.stop();
    await dovecot?.stop();
  }, SLOW);

  it('leaves a mail unseen while it cannot be stored, and takes it again once it can', async () => {
    const mail = firstMail({ from: 'huda@example.sa', fromName: 'هدى', to: FROM, subject: 'مساعدة', text: 'السلام عليكم' });
    const uid = await dovecot.append(mail.raw);
    await waitFor('two failed attempts', async () => failedAttempts >= 2);
    expect((await dovecot.flags()).get(uid)?.has('\\Seen')).toBe(false);
    expect(await wasl.database.db.select().from(messages)).toEqual([]);
    expect(sink.mails).toHaveLength(0);

    failing = false;
    await settled(wasl, 'huda@example.sa', mail.messageId);
    await waitFor('the mail to be marked seen', async () => (await dovecot.flags()).get(uid)?.has('\\Seen'));
    const stored = await wasl.database.db.select().from(messages).where(eq(messages.providerMessageId, mail.messageId));
    expect(stored).toHaveLength(1);
    await sink.waitForMails(1);
    expect(sink.mails[0]!.parsed.inReplyTo).toBe(mail.messageId);
  }, SLOW);
});
