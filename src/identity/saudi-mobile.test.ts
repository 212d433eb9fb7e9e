import { maskMobile, parseSaudiMobile } from './saudi-mobile';

const arabicIndic = (ascii: string) => ascii.replace(/\d/g, (d) => String.fromCharCode(0x0660 + Number(d)));
const persian = (ascii: string) => ascii.replace(/\d/g, (d) => String.fromCharCode(0x06f0 + Number(d)));

describe('parseSaudiMobile', () => {
  test.each([
    '0501234567',
    '501234567',
    '+966501234567',
    '00966501234567',
    '966501234567',
    '050 123 4567',
    '050-123-4567',
    '(050) 123-4567',
    '+966 50 123 4567',
    '00966 50 123 45 67',
    '+966-50-123-4567',
    '(+966) 501234567',
    arabicIndic('0501234567'),
    persian('0501234567'),
    `+${arabicIndic('966501234567')}`,
    arabicIndic('050 123 4567'),
    '\u200E0501234567\u200E',
    '\u200E+966 50 123 4567\u200E',
    `\u200F${arabicIndic('0501234567')}`,
  ])('%j → +966501234567', (raw) => {
    expect(parseSaudiMobile(raw)).toBe('+966501234567');
  });

  test.each([
    ['landline (Riyadh)', '0111234567'],
    ['landline, international', '+966111234567'],
    ['landline, Arabic-Indic', arabicIndic('0111234567')],
    ['short', '05012345'],
    ['short, no zero', '5012345'],
    ['one digit too many', '05012345678'],
    ['unallocated 052 range', '0521234567'],
    ['unallocated 052 range, international', '+966521234567'],
    ['UAE mobile', '+971501234567'],
    ['UAE mobile, 00 prefix', '00971501234567'],
    ['Egyptian mobile', '+201001234567'],
    ['US number', '+14155552671'],
    ['letters', 'O5O1234567'],
    ['empty', ''],
    ['a sentence around the number', 'رقمي 0501234567'],
  ])('%s (%j) → null', (_why, raw) => {
    expect(parseSaudiMobile(raw)).toBeNull();
  });

  test('an allocated 057 number is a mobile', () => {
    expect(parseSaudiMobile('0571234567')).toBe('+966571234567');
  });
});

describe('maskMobile', () => {
  test('keeps the country code and the last three digits only', () => {
    const masked = maskMobile('+966501234567');
    expect(masked.startsWith('+966')).toBe(true);
    expect(masked.endsWith('567')).toBe(true);
    expect(masked).toContain('****');
    expect(masked).not.toContain('1234');
    expect(masked.replace(/\D/g, '').length).toBeLessThanOrEqual(8);
  });

  test('a value too short to mask partly is hidden entirely', () => {
    expect(maskMobile('+9665')).toBe('****');
  });
});
