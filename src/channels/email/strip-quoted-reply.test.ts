import { stripQuotedReply } from './strip-quoted-reply';

describe('stripQuotedReply', () => {
  test.each([
    ['Gmail English', 'Yes please\n\nOn Sun, 22 Nov 2026 at 10:15, Birr <care@birr.example> wrote:\n> Is it correct?\n> 1. Yes', 'Yes please'],
    ['Gmail English, attribution wrapped', '2\n\nOn Sun, 22 Nov 2026 at 10:15, Jam\'iyyat Birr al-Khawar Charity\n<care@birr.example> wrote:\n> menu', '2'],
    ['Gmail Arabic', 'نعم\n\nفي الأحد، ٢٢ نوفمبر ٢٠٢٦ في ١٠:١٥ ص، جمعية بر <care@birr.example> كتب:\n> هل البيانات صحيحة؟', 'نعم'],
    ['Gmail Arabic with RLM marks', '\u200fنعم\n\n\u200fفي الأحد، 22 نوفمبر 2026 في 10:15 ص جمعية بر <care@birr.example> كتبت:\u200f\n> سؤال', '\u200fنعم'],
    ['Outlook English', 'Agreed\r\n\r\nFrom: Birr <care@birr.example>\r\nSent: Sunday, November 22, 2026 10:15 AM\r\nTo: me\r\nSubject: RE: x\r\n\r\nold text', 'Agreed'],
    ['Outlook Arabic with a rule', 'موافق\n\n________________________________\nمن: جمعية بر <care@birr.example>\nأُرسلت: الأحد، 22 نوفمبر 2026 10:15 ص\nإلى: فهد\nالموضوع: طلب\n\nقديم', 'موافق'],
    ['Outlook Arabic "تم الإرسال"', 'نعم\n\nمن: جمعية بر\nتم الإرسال: الأحد\nإلى: فهد', 'نعم'],
    ['Original Message', 'ok\n-----Original Message-----\nFrom: x\nold', 'ok'],
    ['Arabic Original Message', 'حسنا\n-----الرسالة الأصلية-----\nمن: س', 'حسنا'],
    ['signature', 'كم المدة؟\n\n-- \nخالد\n0551234567', 'كم المدة؟'],
    ['iPhone Arabic signature', 'شكرا\n\nأُرسلت من الـ iPhone الخاص بي', 'شكرا'],
    ['interleaved quotes', '> question one\nanswer one\n> question two\nanswer two', 'answer one\nanswer two'],
  ])('%s', (_name, input, expected) => {
    expect(stripQuotedReply(input)).toBe(expected);
  });

  test('a sentence that merely starts like a marker stays', () => {
    const text = 'أرسلت من قبل طلبا ولم يصلني رد\nمن: أجل ذلك أكتب لكم';
    expect(stripQuotedReply(text)).toBe(text);
  });

  test('a mail that is all history leaves nothing', () => {
    expect(stripQuotedReply('> only\n> quoted')).toBe('');
  });
});
