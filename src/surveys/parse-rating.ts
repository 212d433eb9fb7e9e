/**
 * Reads a 1–5 rating the way people answer one: a digit in either script ("٥", "5"), "5/5", "٤ من ٥", a row of
 * stars ("⭐⭐⭐⭐⭐"), or a word ("ممتاز", "سيء", "excellent"), also negated ("مو زين", "not good"). Anything
 * else is not a rating — the survey asks once more rather than guessing a score that would skew the reports.
 */
import { normalizeArabic } from '../nlu/normalize-arabic';

const STAR = /(?:\u2B50|\u2605|\u{1F31F}|\u2729|\u272A|\u272F|\u2730)\uFE0F?/gu;

/** Whole-answer words, after Arabic normalisation (ة→ه, ى→ي, أ→ا, no diacritics), lower case. */
const words: Record<string, 1 | 2 | 3 | 4 | 5> = {};
const add = (score: 1 | 2 | 3 | 4 | 5, list: string[]) => list.forEach((w) => (words[normalizeArabic(w)] = score));
add(5, [
  'ممتاز', 'ممتازه', 'ممتازة', 'ممتاز جدا', 'رائع', 'رائعه', 'رائعة', 'رائع جدا', 'ممتازه جدا', 'خمس نجوم', 'خمسه نجوم', 'خمسة', 'خمسه', 'خمس',
  'ممتاز جدًا', 'مره ممتاز', 'مرة ممتازة', 'مره حلو', 'مرة حلوة', 'فوق الممتاز', 'ممتازين', 'كفو', 'الله يعطيكم العافيه ممتاز', 'شكرا ممتاز',
  'excellent', 'great', 'perfect', 'amazing', 'outstanding', 'awesome', 'five', 'five stars', 'very good service', 'superb',
]);
add(4, [
  'جيد جدا', 'جيد جدًا', 'جيده جدا', 'زين', 'زينه', 'حلو', 'حلوه', 'حلوة', 'كويس', 'كويسه', 'اربعه', 'اربع', 'أربعة', 'أربع', 'اربع نجوم',
  'very good', 'good', 'four', 'four stars', 'nice', 'fine',
]);
add(3, ['جيد', 'جيده', 'جيدة', 'مقبول', 'مقبوله', 'مقبولة', 'عادي', 'عاديه', 'طيب', 'متوسط', 'متوسطه', 'لا باس', 'لا بأس', 'نص نص', 'ثلاثه', 'ثلاث', 'ثلاث نجوم',
  'ok', 'okay', 'average', 'fair', 'so so', 'so-so', 'three', 'three stars', 'neutral']);
add(2, ['سيء', 'سيئ', 'سيئه', 'سيئة', 'ضعيف', 'ضعيفه', 'ضعيفة', 'مو زين', 'مب زين', 'ماهو زين', 'مو حلو', 'ليس جيدا', 'ليس جيد', 'غير جيد', 'مو كويس',
  'اثنين', 'اثنان', 'نجمتين', 'bad', 'poor', 'not good', 'two', 'two stars', 'disappointing', 'weak']);
add(1, ['سيء جدا', 'سيئ جدا', 'سيئ جدًا', 'سيء جدًا', 'سيئه جدا', 'سيئة جدا', 'ضعيف جدا', 'ضعيف جدًا', 'مره سيء', 'مرة سيئة', 'مره سيئ', 'زفت', 'فاشل', 'سيئ للغايه',
  'سيء للغاية', 'واحد', 'واحده', 'نجمه', 'نجمة', 'نجمه وحده', 'very bad', 'terrible', 'awful', 'horrible', 'worst', 'one', 'one star', 'very poor']);

/** Digits in either script to ASCII; nothing else changes (the word lookup normalises separately). */
const asciiDigits = (s: string) => s.replace(/[\u0660-\u0669\u06F0-\u06F9]/g, (d) => String(d.charCodeAt(0) & 0xf));

/** The score 1–5 an answer gives, or null when it is not (clearly) a rating. */
export function parseRating(text: string): number | null {
  const raw = asciiDigits(text.normalize('NFKC')).replace(/[\u200B-\u200F\u202A-\u202E\u2066-\u2069\uFEFF]/g, '').trim();
  if (!raw) return null;

  const stars = raw.match(STAR)?.length ?? 0;
  const rest = raw.replace(STAR, '').trim();
  if (stars > 0) {
    // Stars alone ("⭐⭐⭐⭐") or with the word that matches them ("⭐⭐⭐⭐⭐ ممتاز", a label typed back).
    if (stars > 5) return null;
    if (!rest) return stars;
    const alongside = parseRating(rest);
    return alongside === null || alongside === stars ? stars : null;
  }

  // "5", "5/5", "٥ من ٥", "4 out of 5", "4.", "5 ⭐" handled above; a second number must be the scale of 5.
  const scaled = raw.match(/^(\d{1,2})\s*(?:\/|من|out of|of)\s*(\d{1,2})$/i);
  if (scaled) {
    const [n, of] = [Number(scaled[1]), Number(scaled[2])];
    if (of === 5 && n >= 1 && n <= 5) return n;
    if (of === 10 && n >= 1 && n <= 10) return Math.max(1, Math.round(n / 2));
    return null;
  }
  const single = raw.match(/^(\d{1,2})\s*[.)\-]?$/);
  if (single) {
    const n = Number(single[1]);
    return n >= 1 && n <= 5 ? n : null;
  }

  const n = normalizeArabic(raw)
    .replace(/[\p{P}\p{S}]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return words[n] ?? words[n.replace(/^(?:ال|و)/, '')] ?? null;
}

/** Whole messages that mean "do not send me surveys" (normalised like the rating words). */
const optOutPhrases = new Set(
  [
    'لا أرغب في الاستبيانات', 'لا ارغب في الاستبيانات', 'لا أرغب بالاستبيانات', 'لا أريد استبيانات', 'لا اريد استبيانات', 'لا أريد الاستبيانات',
    'لا ابي استبيانات', 'ما ابي استبيانات', 'ما ابغى استبيانات', 'ما ابي تقييم', 'ما ابغى تقييم', 'لا ترسلوا استبيانات', 'لا ترسلوا لي استبيانات',
    'إيقاف الاستبيانات', 'ايقاف الاستبيانات', 'أوقفوا الاستبيانات', 'اوقفوا الاستبيانات', 'بدون استبيانات', 'الغاء الاستبيانات', 'إلغاء الاستبيانات',
    'stop surveys', 'stop survey', 'no more surveys', 'no surveys', 'unsubscribe surveys', 'do not send surveys', "don't send surveys", 'opt out of surveys',
  ].map(normalizeForMatching),
);

function normalizeForMatching(text: string): string {
  return normalizeArabic(text).replace(/[\p{P}\p{S}]+/gu, ' ').replace(/\s+/g, ' ').trim();
}

/** The beneficiary asks to receive no more surveys. */
export function isSurveyOptOut(text: string): boolean {
  return optOutPhrases.has(normalizeForMatching(text));
}
