/**
 * Dates shown to beneficiaries: Hijri (Umm al-Qura, the Kingdom's civil calendar) beside Gregorian, always in
 * the organisation's time zone (a UTC server would otherwise shift the day near midnight) and with Western
 * digits, as Saudi government services print them (ENGINEERING.md §9).
 */
import type { Language } from './template-catalog';

const cache = new Map<string, Intl.DateTimeFormat>();

function formatter(locale: string, timeZone: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const k = `${locale}|${timeZone}|${JSON.stringify(options)}`;
  let f = cache.get(k);
  if (!f) {
    f = new Intl.DateTimeFormat(locale, { timeZone, ...options });
    cache.set(k, f);
  }
  return f;
}

// ICU inserts bidi marks into Arabic dates; they render as garbage in SMS and plain-text mail.
const clean = (s: string) => s.replace(/[\u200e\u200f\u061c]/g, '');

export function formatHijri(date: Date, lang: Language, timeZone: string): string {
  const locale = lang === 'ar' ? 'ar-SA-u-ca-islamic-umalqura-nu-latn' : 'en-SA-u-ca-islamic-umalqura-nu-latn';
  return clean(formatter(locale, timeZone, { day: 'numeric', month: 'long', year: 'numeric' }).format(date));
}

export function formatGregorian(date: Date, lang: Language, timeZone: string): string {
  const locale = lang === 'ar' ? 'ar-SA-u-ca-gregory-nu-latn' : 'en-GB-u-ca-gregory';
  return clean(formatter(locale, timeZone, { day: 'numeric', month: 'long', year: 'numeric' }).format(date));
}

export function formatDateTime(date: Date, lang: Language, timeZone: string): string {
  const locale = lang === 'ar' ? 'ar-SA-u-ca-gregory-nu-latn' : 'en-GB-u-ca-gregory';
  return clean(
    formatter(locale, timeZone, { weekday: 'long', day: 'numeric', month: 'long', hour: 'numeric', minute: '2-digit' }).format(date),
  );
}
