import { formatReferenceNumber, parseReferenceNumber } from './reference-number';

describe('parseReferenceNumber', () => {
  test.each([
    ['canonical', 'REQ-10482', 'REQ-10482'],
    ['lower case with a space', 'req 10482', 'REQ-10482'],
    ['no separator', 'REQ10482', 'REQ-10482'],
    ['hash separator', 'req#10482', 'REQ-10482'],
    ['Arabic words and Arabic-Indic digits', 'رقم الطلب ١٠٤٨٢', 'REQ-10482'],
    ['Persian digits', 'رقم الطلب ۱۰۴۸۲', 'REQ-10482'],
    ['inside a sentence', 'طلبي REQ-22917 وش صار عليه', 'REQ-22917'],
    ['wrapped in bidi marks', '\u200FREQ-10482\u200F', 'REQ-10482'],
    ['the same reference twice', 'REQ-10482 يعني REQ-10482', 'REQ-10482'],
  ])('%s: %j → %s', (_how, text, expected) => {
    expect(parseReferenceNumber(text)).toBe(expected);
  });

  test.each([
    ['two different references', 'REQ-10482 و REQ-22917'],
    ['two different bare numbers', 'رقم 10482 او 22917'],
    ['a national ID number', '1000000008'],
    ['a national ID in Arabic-Indic digits', '١٠٠٠٠٠٠٠٠٨'],
    ['a mobile number', '0501234567'],
    ['a mobile number in E.164', '+966501234567'],
    ['a mobile number, grouped', '050 123 4567'],
    ['no digits at all', 'وش صار على طلبي'],
    ['a number too short to be a reference', 'عندي 3 اطفال'],
    ['empty', ''],
  ])('%s: %j → null', (_why, text) => {
    expect(parseReferenceNumber(text)).toBeNull();
  });

  test('formatReferenceNumber output parses back to itself', () => {
    for (const n of [1000, 10482, 999_999_999]) {
      const ref = formatReferenceNumber(n);
      expect(parseReferenceNumber(ref)).toBe(ref);
    }
  });
});
