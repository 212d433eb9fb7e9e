/**
 * Masks Saudi national IDs / iqama numbers and mobile numbers in free text, so a log line never carries them
 * whatever field they slipped into (an error message quoting an answer, a provider's echo, a stack trace).
 * Deliberately broad: any 10-digit run starting 1 or 2 is treated as an ID, check digit or not — a mistyped ID
 * is still somebody's ID, and a masked order number in a log costs nothing.
 */

/** ASCII, Arabic-Indic and Persian digits. */
const D = '[0-9\\u0660-\\u0669\\u06F0-\\u06F9]';
/** Between digits of a phone number people put spaces, dashes, dots or bidi marks. */
const SEP = '[\\s\\-.\\u200E\\u200F\\u061C]?';
const ONE = '[1\\u0661\\u06F1]';
const TWO = '[2\\u0662\\u06F2]';
const ZERO = '[0\\u0660\\u06F0]';
const FIVE = '[5\\u0665\\u06F5]';
const NINE = '[9\\u0669\\u06F9]';
const SIX = '[6\\u0666\\u06F6]';

const notDigitBefore = `(?<!${D})`;
const notDigitAfter = `(?!${D})`;

/** National ID (1…) or iqama (2…): ten digits. */
const nationalId = new RegExp(`${notDigitBefore}(?:${ONE}|${TWO})${D}{9}${notDigitAfter}`, 'g');

/** 05XXXXXXXX, 5XXXXXXXX, +9665XXXXXXXX, 009665XXXXXXXX, 9665XXXXXXXX — with optional separators. */
const mobileBody = `${FIVE}(?:${SEP}${D}){8}`;
const mobile = new RegExp(
  `${notDigitBefore}(?:(?:\\+|${ZERO}${ZERO})${SEP}${NINE}${SIX}${SIX}${SEP}|${NINE}${SIX}${SIX}${SEP}|${ZERO})?${mobileBody}${notDigitAfter}`,
  'g',
);

export const NATIONAL_ID_MASK = '[national-id]';
export const MOBILE_MASK = '[mobile]';

export function maskPersonalText(text: string): string {
  return text.replace(mobile, MOBILE_MASK).replace(nationalId, NATIONAL_ID_MASK);
}

/** Masks every string inside a JSON-like value (objects, arrays); other values are returned as they are. */
export function maskDeep(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return maskPersonalText(value);
  if (depth > 20 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => maskDeep(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = maskDeep(v, depth + 1);
  return out;
}
