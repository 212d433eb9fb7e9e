import { loadEnv } from '../../config/load-config';
import { emailConfigFromEnv, parseImapUrl, parseMailbox } from './email-config';
import { isOwnMessageId, messageIdList, outboundMessageId, trimReferences } from './message-ids';
import { replySubject } from './email-sender';
import type { Organisation } from '../../config/organisation-schema';

describe('email settings', () => {
  test('IMAP URL: encoded user, TLS and default ports, folder', () => {
    expect(parseImapUrl('imaps://care%40charity.org.sa:p%3Ass@imap.gmail.com/INBOX')).toEqual({
      host: 'imap.gmail.com',
      port: 993,
      secure: true,
      user: 'care@charity.org.sa',
      pass: 'p:ss',
      mailbox: 'INBOX',
    });
    expect(parseImapUrl('imap://u:p@127.0.0.1:10143/')).toMatchObject({ port: 10143, secure: false, mailbox: 'INBOX' });
  });

  test('EMAIL_FROM with an Arabic name, or a bare address', () => {
    expect(parseMailbox('"جمعية بر الخوار" <care@birr.example>')).toEqual({ name: 'جمعية بر الخوار', address: 'care@birr.example' });
    expect(parseMailbox('care@birr.example')).toEqual({ address: 'care@birr.example' });
    expect(() => parseMailbox('not an address')).toThrow(/EMAIL_FROM/);
  });

  test('the environment: SMTP_URL turns the channel on; EMAIL_FROM is required with it; IMAP needs SMTP', () => {
    const env = loadEnv({ SMTP_URL: 'smtp://127.0.0.1:2525', EMAIL_FROM: 'Care <care@Birr.example>', IMAP_URL: 'imap://u:p@127.0.0.1:143/INBOX' });
    expect(emailConfigFromEnv(env)).toMatchObject({ messageIdDomain: 'birr.example', pollIntervalMs: 60_000, imap: { host: '127.0.0.1' } });
    expect(() => loadEnv({ SMTP_URL: 'smtp://127.0.0.1:2525' })).toThrow(/EMAIL_FROM/);
    expect(() => loadEnv({ IMAP_URL: 'imap://u:p@h/INBOX', EMAIL_FROM: 'a@b.example' })).toThrow(/SMTP_URL/);
    expect(() => loadEnv({ SMTP_URL: 'http://x', EMAIL_FROM: 'a@b.example' })).toThrow(/SMTP_URL/);
  });
});

describe('message ids and subjects', () => {
  test('ours are deterministic and recognisable', () => {
    const id = outboundMessageId(12, 345, 'birr.example');
    expect(id).toBe('<c12.m345@birr.example>');
    expect(isOwnMessageId(id, 'Birr.example')).toBe(true);
    expect(isOwnMessageId('<c12.m345@other.example>', 'birr.example')).toBe(false);
  });

  test('a string, a list or a header with several ids', () => {
    expect(messageIdList('<a@x> <b@x>')).toEqual(['<a@x>', '<b@x>']);
    expect(messageIdList(['<a@x>', '<a@x>', '<c@x>'])).toEqual(['<a@x>', '<c@x>']);
    expect(messageIdList(undefined)).toEqual([]);
  });

  test('long References keep the root and the latest', () => {
    const ids = Array.from({ length: 30 }, (_, i) => `<${i}@x>`);
    const kept = trimReferences(ids);
    expect(kept).toHaveLength(20);
    expect(kept[0]).toBe('<0@x>');
    expect(kept.at(-1)).toBe('<29@x>');
  });

  test('replies keep their subject with one "Re:"', () => {
    const org = { name: { ar: 'جمعية بر الخوار', en: 'Birr' } } as unknown as Organisation;
    expect(replySubject('رد: Re: طلب دعم', org, 'ar')).toBe('Re: طلب دعم');
    expect(replySubject('', org, 'ar')).toBe('جمعية بر الخوار');
    expect(replySubject(undefined, org, 'en')).toBe('Birr');
  });
});
