import { parseSaudiId } from '../identity/saudi-id';
import { parseSaudiMobile } from '../identity/saudi-mobile';
import { formatReferenceNumber, REFERENCE_PREFIX } from '../requests/reference-number';
import { stripInvisibleMarks, toAsciiDigits } from '../text/ascii-digits';
import { foldArabicLetters } from './normalize-arabic';

/** Identifiers found in a message, normalised for lookup. */
export interface ExtractedEntities {
  /** Request reference numbers as `REQ-12345`. */
  referenceNumbers: string[];
  /** Saudi national ID / iqama numbers that pass the check digit. */
  nationalIds: string[];
  /** Saudi mobile numbers in E.164 (`+9665XXXXXXXX`). */
  mobiles: string[];
}

// "REQ-10482", "req 10482", "REQ10482", "REQ#10482". Finding references inside running text is stricter than
// parseReferenceNumber, which reads an answer to "what is your reference?" and so may accept a bare number.
const LATIN_REFERENCE = new RegExp(`\\b${REFERENCE_PREFIX}\\s*[-#:_]?\\s*(\\d{4,8})\\b`, 'giu');
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
  const s = foldArabicLetters(toAsciiDigits(stripInvisibleMarks(text.normalize('NFKC'))));
  const referenceNumbers: string[] = [];
  // A 10-digit ID after "رقم" is an ID, not a request number: the 4–8 digit cap of both patterns excludes it.
  for (const pattern of [LATIN_REFERENCE, WORDED_REFERENCE]) {
    for (const m of s.matchAll(pattern)) referenceNumbers.push(formatReferenceNumber(Number(m[1]!)));
  }

  const nationalIds: string[] = [];
  for (const m of s.matchAll(/(?<!\d)[12]\d{9}(?!\d)/g)) {
    const id = parseSaudiId(m[0]);
    if (id) nationalIds.push(id);
  }

  const mobiles: string[] = [];
  for (const m of s.matchAll(PHONE_CANDIDATE)) {
    const mobile = parseSaudiMobile(m[0]);
    if (mobile) mobiles.push(mobile);
  }
  return { referenceNumbers: unique(referenceNumbers), nationalIds: unique(nationalIds), mobiles: unique(mobiles) };
}
