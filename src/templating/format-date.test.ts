import { formatDateTime, formatGregorian, formatHijri } from './format-date';

const riyadh = 'Asia/Riyadh';
const bidiMarks = /[\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]/;
const easternDigits = /[\u0660-\u0669\u06f0-\u06f9]/;

// Umm al-Qura equivalents from ENGINEERING.md §9 (checked against the official calendar).
const nov22 = new Date(Date.UTC(2026, 10, 22, 12));
const mar1 = new Date(Date.UTC(2025, 2, 1, 12));

describe('formatHijri', () => {
  test.each([
    [nov22, 'ar', ['12', 'جمادى الآخرة', '1448']],
    [nov22, 'en', ['12', 'Jumada II', '1448']],
    [mar1, 'ar', ['1', 'رمضان', '1446']],
    [mar1, 'en', ['1', 'Ramadan', '1446']],
  ] as const)('%s in %s', (date, lang, parts) => {
    const text = formatHijri(date, lang, riyadh);
    for (const p of parts) expect(text).toContain(p);
    // The day is its own number, not part of another ("12" must not come from "1448").
    expect(text.match(/\d+/g)).toEqual([parts[0], parts[2]]);
    expect(text).not.toMatch(bidiMarks);
    expect(text).not.toMatch(easternDigits);
  });

  test('is Hijri, not Gregorian (plain ar-SA defaults to Gregorian on ICU 78)', () => {
    expect(formatHijri(mar1, 'ar', riyadh)).not.toMatch(/مارس|2025/);
    expect(formatHijri(mar1, 'en', riyadh)).not.toMatch(/March|2025/);
  });
});

describe('formatGregorian', () => {
  test.each([
    [nov22, 'ar', ['22', 'نوفمبر', '2026']],
    [nov22, 'en', ['22', 'November', '2026']],
    [mar1, 'ar', ['1', 'مارس', '2025']],
    [mar1, 'en', ['1', 'March', '2025']],
  ] as const)('%s in %s', (date, lang, parts) => {
    const text = formatGregorian(date, lang, riyadh);
    for (const p of parts) expect(text).toContain(p);
    expect(text).not.toMatch(bidiMarks);
    expect(text).not.toMatch(easternDigits);
  });
});

describe('the organisation time zone decides the day', () => {
  // 22:30 UTC on 21 November is 01:30 on 22 November in Riyadh (UTC+3).
  const lateUtc = new Date('2026-11-21T22:30:00Z');

  test.each(['ar', 'en'] as const)('Gregorian (%s) is already the 22nd in Riyadh', (lang) => {
    expect(formatGregorian(lateUtc, lang, riyadh)).toMatch(/(^|\D)22(\D|$)/);
    expect(formatGregorian(lateUtc, lang, 'UTC')).toMatch(/(^|\D)21(\D|$)/);
  });

  test.each(['ar', 'en'] as const)('Hijri (%s) is already 12 Jumada II in Riyadh', (lang) => {
    expect(formatHijri(lateUtc, lang, riyadh)).toBe(formatHijri(nov22, lang, riyadh));
    expect(formatHijri(lateUtc, lang, 'UTC')).not.toBe(formatHijri(nov22, lang, riyadh));
  });

  test.each(['ar', 'en'] as const)('date and time (%s) show the Riyadh day and hour', (lang) => {
    const text = formatDateTime(lateUtc, lang, riyadh);
    expect(text).toMatch(/(^|\D)22(\D|$)/);
    expect(text).toMatch(/(^|\D)0?1:30(\D|$)/);
    expect(text).toMatch(lang === 'ar' ? /الأحد/ : /Sunday/);
    expect(text).not.toMatch(bidiMarks);
    expect(text).not.toMatch(easternDigits);
  });
});
