/**
 * Checks one answer against what a question expects, as typed by real people: Arabic-Indic digits, "٥ افراد",
 * "خمسة", "05 0123 4567", a choice by its number, its label or a word. Policy step 2: each field is validated
 * as it is typed, so a mistake is caught while the beneficiary still remembers what they meant.
 */
import type { InboundMedia } from '../messages/inbound-message';
import { parseSaudiId, maskSaudiId } from '../identity/saudi-id';
import { parseSaudiMobile } from '../identity/saudi-mobile';
import { parseReferenceNumber } from '../requests/reference-number';
import { stripInvisibleMarks, toAsciiDigits } from '../text/ascii-digits';
import { normalizeForMatch } from './commands';
import type { ChoiceOption, Expectation } from './flow-schema';

export interface AnswerInput {
  text: string;
  media: InboundMedia[];
}

export type Answer =
  | {
      ok: true;
      value: string | number;
      /** Set for sensitive answers: what may be shown and stored in clear instead of the value. */
      masked?: string;
      media?: InboundMedia;
    }
  | { ok: false; template: string | null; params?: Record<string, string | number> };

const numberWords: Record<string, number> = {
  صفر: 0, واحد: 1, واحده: 1, اثنين: 2, اثنان: 2, ثنين: 2, ثلاث: 3, ثلاثه: 3, اربع: 4, اربعه: 4, خمس: 5, خمسه: 5,
  ست: 6, سته: 6, سبع: 7, سبعه: 7, ثمان: 8, ثمانيه: 8, ثمانية: 8, تسع: 9, تسعه: 9, عشر: 10, عشره: 10,
  zero: 0, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10,
};

/** Words that make a number compound ("خمسة وعشرين", "عشرة آلاف"): never guess, ask again instead. */
const scaleWords = new Set(['عشرين', 'عشرون', 'ثلاثين', 'اربعين', 'خمسين', 'ستين', 'سبعين', 'ثمانين', 'تسعين', 'ميه', 'مئه', 'مائه', 'ميتين', 'مئتين', 'الف', 'الفين', 'الاف', 'الوف', 'مليون', 'twenty', 'thirty', 'forty', 'fifty', 'hundred', 'thousand', 'million']);

/** The number in an answer such as "٥ أفراد", "12,500 ريال" or "خمسة"; null when there is none, several, or a compound in words. */
export function parseNumber(text: string): number | null {
  const ascii = toAsciiDigits(stripInvisibleMarks(text)).replace(/(\d),(?=\d{3}\b)/g, '$1');
  const found = ascii.match(/-?\d+(?:\.\d+)?/g);
  if (found && found.length === 1) return Number(found[0]);
  if (found && found.length > 1) return null;
  const words = normalizeForMatch(text).split(' ');
  const numeric = words.filter((w) => numberWords[w] !== undefined);
  if (numeric.length !== 1 || words.some((w) => scaleWords.has(w.replace(/^و/, '')))) return null;
  return numberWords[numeric[0]!]!;
}

function parseDate(text: string): Date | null {
  const s = toAsciiDigits(stripInvisibleMarks(text)).trim();
  let y: number, m: number, d: number;
  let match = s.match(/^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$/);
  if (match) [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  else if ((match = s.match(/^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$/))) [d, m, y] = [Number(match[1]), Number(match[2]), Number(match[3])];
  else return null;
  const date = new Date(Date.UTC(y, m - 1, d, 12));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d ? date : null;
}

export interface ChoiceMatchContext {
  /** Rendered labels of each option, in every language, for matching typed words. */
  labels: (option: ChoiceOption) => string[];
  /** The intent the understanding module sees in the text, when confident. */
  intent: string | null;
}

/** Picks an option by its number, its label in any language, one of its words, or the intent of free text. */
export function matchChoice(options: ChoiceOption[], text: string, ctx: ChoiceMatchContext): ChoiceOption | null {
  const n = normalizeForMatch(text);
  if (!n) return null;
  if (/^\d+$/.test(n)) return options[Number(n) - 1] ?? null;
  const exact = options.find((o) => [...ctx.labels(o), ...o.words, o.value].some((w) => normalizeForMatch(w) === n));
  if (exact) return exact;
  // A label or word inside a short answer ("نعم اوافق", "ابي سلة غذائية"): accept only when it points to one option.
  const padded = ` ${n} `;
  const contained = options.filter((o) =>
    [...ctx.labels(o), ...o.words].some((w) => {
      const nw = normalizeForMatch(w);
      return nw.length >= 3 && padded.includes(` ${nw} `);
    }),
  );
  if (contained.length === 1) return contained[0]!;
  if (ctx.intent) {
    const byIntent = options.filter((o) => o.intents.includes(ctx.intent!));
    if (byIntent.length === 1) return byIntent[0]!;
  }
  return null;
}

export function checkAnswer(expect: Expectation, input: AnswerInput, choice: ChoiceMatchContext, isMine: (t: string) => boolean): Answer {
  const text = input.text.trim();
  switch (expect.kind) {
    case 'text': {
      const len = [...text].length;
      return len >= expect.minLength && len <= expect.maxLength
        ? { ok: true, value: text }
        : { ok: false, template: 'validation.text-length', params: { min: expect.minLength, max: expect.maxLength } };
    }
    case 'name': {
      const cleaned = stripInvisibleMarks(text).replace(/\s+/g, ' ');
      const parts = cleaned.split(' ').filter(Boolean);
      const letters = /^[\p{Script=Arabic}\p{Script=Latin}' .-]+$/u.test(cleaned) && !/\d/.test(toAsciiDigits(cleaned));
      return letters && parts.length >= 2 && cleaned.length <= 120
        ? { ok: true, value: cleaned }
        : { ok: false, template: 'validation.name' };
    }
    case 'number': {
      const n = parseNumber(text);
      if (n === null) return { ok: false, template: 'validation.number' };
      if (expect.integer && !Number.isInteger(n)) return { ok: false, template: 'validation.integer' };
      if (n < expect.min || n > expect.max) return { ok: false, template: 'validation.number-range', params: { min: expect.min, max: expect.max } };
      return { ok: true, value: n };
    }
    case 'national-id': {
      const id = parseSaudiId(text);
      return id ? { ok: true, value: id, masked: maskSaudiId(id) } : { ok: false, template: 'validation.national-id' };
    }
    case 'mobile': {
      const mobile = parseSaudiMobile(text);
      return mobile ? { ok: true, value: mobile } : { ok: false, template: 'validation.mobile' };
    }
    case 'date': {
      const d = parseDate(text);
      if (!d || (expect.past && d.getTime() > Date.now())) return { ok: false, template: 'validation.date' };
      return { ok: true, value: d.toISOString().slice(0, 10) };
    }
    case 'reference': {
      if (expect.allowMine && isMine(text)) return { ok: true, value: 'mine' };
      const ref = parseReferenceNumber(text);
      return ref ? { ok: true, value: ref } : { ok: false, template: 'validation.reference' };
    }
    case 'digits': {
      const d = toAsciiDigits(stripInvisibleMarks(text)).replace(/\s/g, '');
      return new RegExp(`^\\d{${expect.length}}$`).test(d)
        ? { ok: true, value: d, masked: '*'.repeat(expect.length) }
        : { ok: false, template: 'validation.digits', params: { length: expect.length } };
    }
    case 'choice': {
      const option = matchChoice(expect.options, text, choice);
      return option ? { ok: true, value: option.value } : { ok: false, template: 'validation.choice' };
    }
    case 'file': {
      const media = input.media[0];
      if (!media) return { ok: false, template: 'validation.file-missing' };
      if (!expect.accept.some((a) => (a.endsWith('/*') ? media.mimeType.startsWith(a.slice(0, -1)) : media.mimeType === a))) {
        return { ok: false, template: 'validation.file-type' };
      }
      if (media.sizeBytes > expect.maxBytes) {
        return { ok: false, template: 'validation.file-size', params: { maxMegabytes: Math.floor(expect.maxBytes / (1024 * 1024)) } };
      }
      return { ok: true, value: media.storageKey, media };
    }
  }
}

/** Kinds whose answers cannot be mistaken for a question, so a valid answer wins over an FAQ match. */
export function isStrictKind(kind: Expectation['kind']): boolean {
  return kind !== 'text' && kind !== 'name';
}
