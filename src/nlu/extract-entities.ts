import { foldArabicLetters, toAsciiDigits } from './normalize-arabic';

/** Identifiers found in a message, normalised for lookup. */
export interface ExtractedEntities {
  /** Request reference numbers as `REQ-12345`. */
  referenceNumbers: string[];
  /** Saudi national ID / iqama numbers that pass the check digit. */
  nationalIds: string[];
  /** Saudi mobile numbers in E.164 (`+9665XXXXXXXX`). */
  mobiles: string[];
}

const BIDI_AND_ZERO_WIDTH = /[\u200B-\u200F\u202A-\u202E\u2066-\u2069\uFEFF\u061C]/g;

/**
 * Saudi national ID (starts with 1) or iqama (starts with 2): ten digits with a Luhn check digit
 * (ENGINEERING §7.1). A valid checksum proves the number is well-formed, never that it exists.
 */
export function isValidSaudiId(raw: string): boolean {
  const id = toAsciiDigits(raw).trim();
  if (!/^[12]\d{9}$/.test(id)) return false;
  let sum = 0;
  for (let i = 0; i < 10; i++) {
    let d = id.charCodeAt(i) - 48;
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/**
 * Normalises a Saudi mobile number written in any common way (05…, 5…, +966…, 00966…, spaces, dashes,
 * bidi marks, Arabic-Indic digits) to E.164, or returns null when it is not a Saudi mobile.
 */
export function normalizeSaudiMobile(raw: string): string | null {
  let s = toAsciiDigits(raw).replace(/[\s\-().\u200e\u200f\u202a-\u202e]/g, '');
  if (s.startsWith('+')) s = s.slice(1);
  else if (s.startsWith('00')) s = s.slice(2);
  if (s.startsWith('966')) s = s.slice(3);
  if (s.startsWith('0')) s = s.slice(1);
  return /^5\d{8}$/.test(s) ? `+966${s}` : null;
}

// "REQ-10482", "req 10482", "REQ10482", "REQ#10482".
const LATIN_REFERENCE = /\breq\s*[-#:_]?\s*(\d{4,8})\b/giu;
// A bare number counts as a reference only after a word that names it: "طلب ١٠٤٨٢", "رقم الطلب 10482", "ref 10482".
const WORDED_REFERENCE =
  /(?:طلب|طلبي|الطلب|رقم|المرجع|مرجع|ref|reference|request|application)\s*(?:رقم|الطلب|no\.?|number|#)?\s*[:#\-]?\s*(\d{4,8})(?!\d)/giu;
// Phone-like runs: optional +/00 prefix and digits separated by spaces or dashes.
const PHONE_CANDIDATE = /(?:\+|00)?\d[\d\s\-()]{7,16}\d/g;

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

/** Extracts reference numbers, national IDs and mobile numbers from a raw (un-normalised) message. */
export function extractEntities(text: string): ExtractedEntities {
  const s = foldArabicLetters(toAsciiDigits(text.normalize('NFKC').replace(BIDI_AND_ZERO_WIDTH, '')));
  const referenceNumbers: string[] = [];
  for (const m of s.matchAll(LATIN_REFERENCE)) referenceNumbers.push(`REQ-${m[1]!}`);
  for (const m of s.matchAll(WORDED_REFERENCE)) {
    // A 10-digit ID after "رقم" is an ID, not a request number; the length cap above already excludes it.
    referenceNumbers.push(`REQ-${m[1]!}`);
  }

  const nationalIds: string[] = [];
  for (const m of s.matchAll(/(?<!\d)[12]\d{9}(?!\d)/g)) if (isValidSaudiId(m[0])) nationalIds.push(m[0]);

  const mobiles: string[] = [];
  for (const m of s.matchAll(PHONE_CANDIDATE)) {
    const mobile = normalizeSaudiMobile(m[0]);
    if (mobile) mobiles.push(mobile);
  }
  return { referenceNumbers: unique(referenceNumbers), nationalIds: unique(nationalIds), mobiles: unique(mobiles) };
}
