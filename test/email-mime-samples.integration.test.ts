/**
 * The MIME samples in test/fixtures/email, as Gmail, Outlook, Apple Mail, Thunderbird and mail servers write
 * them, through the email channel's parser: the right Arabic out of every charset and encoding, only the new
 * text of a reply, documents kept, and automatic mail recognised.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseInboundEmail } from '../src/channels/email/parse-inbound-email';

const sample = (name: string) => readFileSync(path.join(__dirname, 'fixtures', 'email', name));

describe('email MIME samples', () => {
  test('Gmail reply in Arabic: only the answer, threading ids kept', async () => {
    const mail = await parseInboundEmail(sample('gmail-reply-ar.eml'));
    expect(mail).toMatchObject({
      text: 'نعم',
      subject: 'Re: طلب دعم',
      fromAddress: 'noura.alshehri@gmail.com',
      fromName: 'نورة الشهري',
      inReplyTo: ['<c1.m5@birr.example>'],
      references: ['<c1.m5@birr.example>'],
      automatic: null,
    });
    expect(mail.messageId).toBe('<CAJx8Uo2b9fQe7kqYt3R_9vN1sWdH4n0m=K6Yp+u3vF2a@mail.gmail.com>');
  });

  test('Outlook reply in Arabic: the من:/أُرسلت: block and everything below it removed', async () => {
    const mail = await parseInboundEmail(sample('outlook-reply-ar.eml'));
    expect(mail.text).toBe('موافق، وأرفقت المستندات لاحقاً');
    expect(mail.subject).toBe('رد: طلب دعم');
    expect(mail.fromAddress).toBe('fahad.otaibi@outlook.sa');
  });

  test('HTML-only mail becomes text; a script is dropped and escaped markup stays text', async () => {
    const mail = await parseInboundEmail(sample('html-only.eml'));
    expect(mail.text).toContain('السلام عليكم،');
    expect(mail.text).toContain('أرغب في التقديم على مساعدة غذائية للأسرة.');
    expect(mail.text).not.toContain("alert('x')");
    expect(mail.text).toContain('<script>alert(1)</script>');
    expect(mail.text).not.toContain('color: #333');
  });

  test.each([
    ['base64-arabic.eml', 'حالة الطلب', 'السلام عليكم ورحمة الله\nأريد الاستفسار عن حالة طلبي رقم REQ-10001'],
    ['qp-arabic.eml', 'مدة الدراسة', 'مرحبا، كم تستغرق دراسة الطلب؟'],
    ['windows-1256.eml', 'طلب مساعدة', 'السلام عليكم\nأرجو مساعدتي في سداد الإيجار'],
    ['iso-8859-6.eml', 'بيانات', 'السلام عليكم\nعدد أفراد الأسرة ستة'],
  ])('%s decodes to the right Arabic (subject and body, signature stripped)', async (file, subject, text) => {
    const mail = await parseInboundEmail(sample(file));
    expect(mail.subject).toBe(subject);
    expect(mail.text).toBe(text);
    expect(mail.automatic).toBeNull();
  });

  test('an out-of-office reply is automatic', async () => {
    const mail = await parseInboundEmail(sample('out-of-office.eml'));
    expect(mail.automatic).toBe('auto-submitted');
    expect(mail.subject).toBe('رد تلقائي: طلب دعم');
  });

  test('a DSN bounce is automatic', async () => {
    const mail = await parseInboundEmail(sample('dsn-bounce.eml'));
    expect(mail.automatic).not.toBeNull();
    expect(mail.fromAddress).toBe('mailer-daemon@mail.birr.example');
  });

  test('the PDF is kept as a document; the inline signature logo is not', async () => {
    const mail = await parseInboundEmail(sample('pdf-attachment.eml'));
    expect(mail.text).toBe('مرفق صورة عقد الإيجار');
    expect(mail.attachments).toHaveLength(1);
    expect(mail.attachments[0]).toMatchObject({ mimeType: 'application/pdf', fileName: 'عقد-الإيجار.pdf' });
    expect(mail.attachments[0]!.content.subarray(0, 5).toString()).toBe('%PDF-');
    expect(mail.skippedAttachments).toEqual([expect.objectContaining({ mimeType: 'image/png', reason: 'inline' })]);
  });

  test('text beyond 10,000 characters is cut', async () => {
    const raw = `From: a@example.sa\r\nTo: b@example.sa\r\nSubject: x\r\nMessage-ID: <long@x>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${'ا'.repeat(12_000)}\r\n`;
    const mail = await parseInboundEmail(raw);
    expect(mail.text).toHaveLength(10_000);
    expect(mail.truncated).toBe(true);
  });
});
