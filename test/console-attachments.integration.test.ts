/**
 * A researcher sends a file from the console, and each channel delivers it its own way — through the real
 * pipeline (outbox, outbound queue, adapter) on PostgreSQL and Redis: Telegram uploads it with sendPhoto /
 * sendDocument (multipart, to the fake Bot API), email attaches it as MIME (to an SMTP sink), the website chat
 * gets a download link that serves the exact bytes, and SMS is refused in the console with a clear 409.
 * Files are checked by content and size, and every attachment is audited.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import pino from 'pino';
import { webUserIdOf } from '../src/channels/web/device-id';
import { ingest } from '../src/pipeline/ingest';
import { auditLog, contacts, conversations, messages } from '../src/store/schema';
import { FakeTelegramApi, fakeJpeg, tg, type UploadedFile } from './fakes/fake-telegram-api';
import { startSmtpSink, type SmtpSink } from './fakes/smtp-sink';
import { signedIn } from './console-client';
import { startTestWasl, waitFor, type TestWasl } from './support/harness';

const pdf = (text = 'خطاب الجمعية') => Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.from(text), Buffer.from('\n%%EOF\n')]);

describe('attaching a file for the beneficiary', () => {
  let wasl: TestWasl;
  let telegram: FakeTelegramApi;
  let sink: SmtpSink;
  const db = () => wasl.database.db;

  beforeAll(async () => {
    telegram = await FakeTelegramApi.start();
    sink = await startSmtpSink();
    wasl = await startTestWasl({
      db: 'postgres',
      extraEnv: {
        TELEGRAM_BOT_TOKEN: telegram.token,
        TELEGRAM_API_ROOT: telegram.url,
        TELEGRAM_CHAT_INTERVAL_MS: '50',
        SMTP_URL: sink.url,
        EMAIL_FROM: '"جمعية بر الخوار" <care@birr.example>',
      },
    });
    await telegram.waitForCall('getUpdates');
  }, 180_000);
  afterAll(async () => {
    await wasl?.stop();
    await telegram?.stop();
    await sink?.stop();
  });

  async function conversationOf(channel: string, channelUserId: string): Promise<number> {
    return waitFor(`the ${channel} conversation to wait for a researcher`, async () => {
      const [row] = await db()
        .select({ id: conversations.id, status: conversations.status })
        .from(conversations)
        .innerJoin(contacts, eq(contacts.id, conversations.contactId))
        .where(and(eq(contacts.channel, channel), eq(contacts.channelUserId, channelUserId)));
      return row?.status === 'waiting' ? row.id : null;
    });
  }

  /** A researcher who has claimed the conversation. */
  async function claimed(conversationId: number) {
    const r = await signedIn(db(), wasl.url!, { role: 'researcher' });
    expect((await r.client.post(`/api/conversations/${conversationId}/claim`)).status).toBe(200);
    return r;
  }

  const attach = (client: Awaited<ReturnType<typeof claimed>>['client'], conversationId: number, file: Buffer, fileName: string, caption?: string) =>
    client.post(`/api/conversations/${conversationId}/attachments`, { fileName, base64: file.toString('base64'), ...(caption ? { caption } : {}) });

  async function sentRow(messageId: number) {
    return waitFor(`message ${messageId} to be sent`, async () => {
      const [row] = await db().select().from(messages).where(eq(messages.id, messageId));
      return row && row.status !== 'queued' ? row : null;
    });
  }

  it('Telegram: a photo with its caption by sendPhoto, a PDF by sendDocument, both uploaded as multipart', async () => {
    const chatId = 7001;
    telegram.pushUpdate(tg.text(chatId, 'السلام عليكم'));
    telegram.pushUpdate(tg.text(chatId, 'موظف'));
    const conversationId = await conversationOf('telegram', String(chatId));
    const r = await claimed(conversationId);

    const photo = fakeJpeg(4096);
    const sent = await attach(r.client, conversationId, photo, 'صورة الإيصال.jpg', 'هذه صورة الإيصال المطلوبة');
    expect(sent.status).toBe(201);
    const call = await telegram.waitForCall('sendPhoto', (c) => String(c.body.chat_id) === String(chatId));
    const uploaded = call.body.photo as UploadedFile;
    expect(Buffer.compare(uploaded.bytes, photo)).toBe(0);
    expect(uploaded.fileName).toBe('صورة الإيصال.jpg');
    expect(call.body.caption).toBe('هذه صورة الإيصال المطلوبة');
    expect((await sentRow(sent.body.messageId)).status).toBe('sent');

    const letter = pdf();
    const doc = await attach(r.client, conversationId, letter, 'letter.pdf');
    expect(doc.status).toBe(201);
    const docCall = await telegram.waitForCall('sendDocument', (c) => String(c.body.chat_id) === String(chatId));
    expect(Buffer.compare((docCall.body.document as UploadedFile).bytes, letter)).toBe(0);
    expect(docCall.body.caption).toBeUndefined();

    // The conversation view shows what was sent; the attachment is audited.
    const view = await r.client.get(`/api/conversations/${conversationId}`);
    expect(view.body.history.find((m: any) => m.id === doc.body.messageId).file).toEqual({ fileName: 'letter.pdf', mimeType: 'application/pdf', sizeBytes: letter.length });
    const audit = await db().select().from(auditLog).where(and(eq(auditLog.action, 'conversation.attach'), eq(auditLog.staffId, r.id)));
    expect(audit.map((a) => a.details)).toEqual([
      expect.objectContaining({ fileName: 'صورة الإيصال.jpg', mimeType: 'image/jpeg', sizeBytes: photo.length }),
      expect.objectContaining({ fileName: 'letter.pdf', mimeType: 'application/pdf' }),
    ]);
  });

  it('email: the file is a MIME attachment of the reply mail', async () => {
    const address = `beneficiary-${randomUUID().slice(0, 8)}@example.org`;
    const deps = { db: db(), queues: wasl.queues, log: pino({ level: 'silent' }) };
    await ingest(deps, { channel: 'email', channelUserId: address, providerMessageId: `<${randomUUID()}@example.org>`, text: 'السلام عليكم' });
    await ingest(deps, { channel: 'email', channelUserId: address, providerMessageId: `<${randomUUID()}@example.org>`, text: 'موظف' });
    const conversationId = await conversationOf('email', address);
    const r = await claimed(conversationId);
    const letter = pdf('قرار اللجنة');
    const sent = await attach(r.client, conversationId, letter, 'قرار اللجنة.pdf', 'مرفق قرار اللجنة.');
    expect(sent.status).toBe(201);
    const mail = await waitFor('the mail with the attachment', async () => sink.mails.find((m) => m.envelope.to.includes(address) && m.parsed.attachments.length > 0));
    const [file] = mail.parsed.attachments;
    expect(file).toMatchObject({ filename: 'قرار اللجنة.pdf', contentType: 'application/pdf', contentDisposition: 'attachment' });
    expect(Buffer.compare(file!.content, letter)).toBe(0);
    expect(mail.parsed.text).toContain('مرفق قرار اللجنة.');
  });

  it('website chat: a download link in the stream that serves exactly the file; a wrong token finds nothing', async () => {
    const deviceId = randomBytes(16).toString('base64url');
    const say = (text: string) =>
      fetch(`${wasl.url}/api/web/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ deviceId, clientMessageId: randomUUID(), text }) });
    expect((await say('السلام عليكم')).status).toBe(202);
    expect((await say('موظف')).status).toBe(202);
    const conversationId = await conversationOf('web', webUserIdOf(deviceId));
    const r = await claimed(conversationId);
    const photo = fakeJpeg(3000);
    const sent = await attach(r.client, conversationId, photo, 'map.jpg');
    expect(sent.status).toBe(201);
    await sentRow(sent.body.messageId);

    // What the widget receives when it (re)connects: the message with its link.
    const res = await fetch(`${wasl.url}/api/web/stream?deviceId=${deviceId}`, { headers: { accept: 'text/event-stream', 'last-event-id': String(sent.body.messageId - 1) } });
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes('"attachment"')) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    const event = JSON.parse(/^data: (.*)$/m.exec(text.slice(text.indexOf(`id: ${sent.body.messageId}`)))![1]!);
    expect(event.attachment).toMatchObject({ fileName: 'map.jpg', mimeType: 'image/jpeg', sizeBytes: photo.length });
    expect(event.attachment.url).toMatch(new RegExp(`^/api/files/${sent.body.messageId}/[0-9a-f]{64}$`));

    const download = await fetch(`${wasl.url}${event.attachment.url}`);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('image/jpeg');
    expect(download.headers.get('content-disposition')).toMatch(/^attachment;/);
    expect(download.headers.get('x-content-type-options')).toBe('nosniff');
    expect(Buffer.compare(Buffer.from(await download.arrayBuffer()), photo)).toBe(0);
    const forged = await fetch(`${wasl.url}/api/files/${sent.body.messageId}/${'0'.repeat(64)}`);
    expect(forged.status).toBe(404);
  });

  it('SMS is refused in the console with a clear message; bad files are refused by content and size', async () => {
    const mobile = `+9665${String(Date.now()).slice(-8)}`;
    const deps = { db: db(), queues: wasl.queues, log: pino({ level: 'silent' }) };
    await ingest(deps, { channel: 'sms', channelUserId: mobile, providerMessageId: randomUUID(), text: 'السلام عليكم' });
    await ingest(deps, { channel: 'sms', channelUserId: mobile, providerMessageId: randomUUID(), text: 'موظف' });
    const conversationId = await conversationOf('sms', mobile);
    const r = await claimed(conversationId);
    const refused = await attach(r.client, conversationId, pdf(), 'letter.pdf');
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('CONV_ERR_CHANNEL_CANNOT_SEND_FILES');
    expect(refused.body.error).toMatch(/sms, which cannot carry files/);
    const page = await r.client.get(`/console/conversations/${conversationId}`);
    expect(page.text).not.toContain('id="attach-form"');

    // Content decides, not the name: an executable called .pdf is refused, as are empty and oversized files.
    const exe = await attach(r.client, conversationId, Buffer.from('MZ\x90\0fake'), 'letter.pdf');
    expect(exe.status).toBe(400);
    expect(exe.body.error).toMatch(/JPEG, PNG or WebP images and PDF/);
    const big = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(10 * 1024 * 1024)]);
    expect((await attach(r.client, conversationId, big, 'big.pdf')).status).toBe(400);
    const none = await db().select().from(messages).where(and(eq(messages.conversationId, conversationId), eq(messages.author, 'staff')));
    expect(none).toEqual([]);
  });
});
