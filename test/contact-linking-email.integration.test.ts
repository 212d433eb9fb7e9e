/**
 * An email address joins a beneficiary's record only after proof that they read it: asked for in a
 * conversation where Wasl knows them, a one-time code is mailed (a real SMTP sink) and typed back there. A mail
 * from an address, however it is signed, links nothing by itself. Wasl on PGlite with real Redis.
 */
import { and, eq } from 'drizzle-orm';
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { ingest } from '../src/pipeline/ingest';
import { contacts, emailLinkCodes } from '../src/store/schema';
import { startSmtpSink, type SmtpSink } from './fakes/smtp-sink';
import { submitRequest } from './support/intake-script';
import { startTestWasl, waitFor, type TestChat, type TestWasl } from './support/harness';

describe('linking an email address to a beneficiary', () => {
  let sink: SmtpSink;
  let wasl: TestWasl;
  beforeAll(async () => {
    sink = await startSmtpSink();
    wasl = await startTestWasl({ db: 'pglite', extraEnv: sink.env });
  });
  afterAll(async () => {
    await wasl?.stop();
    await sink?.stop();
  });

  const beneficiaryOf = async (channel: string, user: string) =>
    (await wasl.database.db.select().from(contacts).where(and(eq(contacts.channel, channel), eq(contacts.channelUserId, user))))[0]?.beneficiaryId;
  const mailFrom = (address: string, text: string) =>
    ingest(
      { db: wasl.database.db, queues: wasl.queues, log: pino({ level: 'silent' }) },
      { channel: 'email', channelUserId: address, providerMessageId: `<${randomUUID()}@example.sa>`, text, displayName: 'منيرة' },
    );
  /** The six-digit code in the latest mail to `address`. */
  const codeMailedTo = (address: string) =>
    waitFor(`the code mail to ${address}`, async () => {
      const mail = [...sink.mails].reverse().find((m) => m.envelope.to[0] === address);
      return mail ? /\b(\d{6})\b/.exec(mail.parsed.text ?? '')?.[1] : undefined;
    });
  /** From the main menu of a known conversation to the code question. */
  async function askToLink(chat: TestChat, address: string): Promise<string> {
    await chat.say('القائمة');
    const options = (await chat.say('ابي احدث بياناتي')).join('\n');
    expect(options).toContain('إضافة بريدي الإلكتروني');
    expect((await chat.say('إضافة بريدي الإلكتروني')).join('\n')).toContain('بريدك الإلكتروني');
    return (await chat.say(address)).join('\n');
  }

  it('links the address once the code mailed to it is typed back; a mail from it then reaches the same record', async () => {
    const chat = wasl.chat('munira-on-cli');
    await submitRequest(chat, '1101234563');
    const applicant = await beneficiaryOf('cli', 'munira-on-cli');
    const address = 'munira.h@example.sa';

    // Before any proof, a mail "from" the address is somebody new, whatever it claims.
    await mailFrom(address, 'أنا منيرة صاحبة الطلب، اربطوا بريدي بملفي');
    expect(await beneficiaryOf('email', address)).not.toBe(applicant);

    expect(await askToLink(chat, 'Munira.H@Example.sa')).toContain(address);
    const code = await codeMailedTo(address);
    const mail = [...sink.mails].reverse().find((m) => m.envelope.to[0] === address)!;
    expect(mail.parsed.text).toContain('تجاهل');
    // Only the hash is kept.
    const [row] = await wasl.database.db.select().from(emailLinkCodes).where(eq(emailLinkCodes.address, address));
    expect(row!.codeHash).not.toContain(code);

    const wrong = code === '000000' ? '111111' : '000000';
    expect((await chat.say(wrong)).join('\n')).toContain('غير صحيح');
    expect(await beneficiaryOf('email', address)).not.toBe(applicant);

    expect((await chat.say(code)).join('\n')).toContain('مرتبطًا بملفك');
    expect(await beneficiaryOf('email', address)).toBe(applicant);

    // The next mail from the address lands on the applicant's record.
    const next = await mailFrom(address, 'السلام عليكم');
    expect(next.duplicate).toBe(false);
    expect(await beneficiaryOf('email', address)).toBe(applicant);
  });

  it('keeps an address apart when the code is never typed, or typed wrong until it expires', async () => {
    const chat = wasl.chat('salma-on-cli');
    await chat.say('السلام عليكم');
    const salma = await beneficiaryOf('cli', 'salma-on-cli');
    const address = 'someone.else@example.sa';
    await askToLink(chat, address);
    const code = await codeMailedTo(address);
    const wrong = code === '000000' ? '111111' : '000000';
    let last = '';
    for (let i = 0; i < 5; i++) last = (await chat.say(wrong)).join('\n');
    expect(last).toContain('انتهت صلاحية الرمز');
    expect(await beneficiaryOf('email', address)).not.toBe(salma);
    expect(await beneficiaryOf('email', address)).toBeDefined();

    // A code asked for by one conversation cannot be used from another.
    const other = wasl.chat('intruder-on-cli');
    await other.say('السلام عليكم');
    await askToLink(other, 'victim@example.sa');
    const victimCode = await codeMailedTo('victim@example.sa');
    const bystander = wasl.chat('bystander-on-cli');
    await bystander.say('السلام عليكم');
    await askToLink(bystander, 'bystander@example.sa');
    expect((await bystander.say(victimCode)).join('\n')).not.toContain('مرتبطًا بملفك');
    expect(await beneficiaryOf('email', 'victim@example.sa')).not.toBe(await beneficiaryOf('cli', 'bystander-on-cli'));
  });

  it('refuses what is not an address', async () => {
    const chat = wasl.chat('typo-on-cli');
    await chat.say('السلام عليكم');
    expect(await askToLink(chat, 'not an address')).toContain('لا يبدو بريدًا');
  });
});
