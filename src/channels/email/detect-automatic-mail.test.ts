import { simpleParser } from 'mailparser';
import { detectAutomaticMail } from './detect-automatic-mail';

const signals = async (headers: string, from = 'person@example.sa') => {
  const mail = await simpleParser(`From: ${from}\r\nTo: care@birr.example\r\nMessage-ID: <x@y>\r\n${headers}\r\n\r\nbody\r\n`);
  return detectAutomaticMail({ headers: mail.headers, fromAddress: from.toLowerCase(), subject: mail.subject });
};

describe('detectAutomaticMail', () => {
  test.each([
    ['Subject: hello', null],
    ['Auto-Submitted: no\r\nSubject: hello', null],
    ['Auto-Submitted: auto-replied', 'auto-submitted'],
    ['Auto-Submitted: auto-generated', 'auto-submitted'],
    ['X-Autoreply: yes', 'auto-reply-header'],
    ['X-Autorespond: Out of office', 'auto-reply-header'],
    ['Precedence: bulk', 'precedence'],
    ['Precedence: auto_reply', 'precedence'],
    ['Precedence: junk', 'precedence'],
    ['Content-Type: multipart/report; report-type=disposition-notification; boundary="b"', 'delivery-report'],
    ['Return-Path: <>', 'null-return-path'],
    ['List-Id: <news.example.sa>', 'mailing-list'],
    ['Subject: Automatic reply: طلب دعم', 'auto-reply-subject'],
    ['Subject: =?UTF-8?B?2LHYryDYqtmE2YLYp9im2Yo6INi32YTYqA==?=', 'auto-reply-subject'],
  ])('%j → %s', async (headers, reason) => {
    expect(await signals(headers)).toBe(reason);
  });

  test('MAILER-DAEMON and postmaster senders', async () => {
    expect(await signals('Subject: Undelivered Mail', 'MAILER-DAEMON@mx.example.sa')).toBe('mailer-daemon');
    expect(await signals('Subject: Delivery failure', 'postmaster@example.sa')).toBe('mailer-daemon');
  });
});
