/**
 * Reference numbers are what a beneficiary reads over the phone and types into WhatsApp: short, one prefix,
 * digits only (`REQ-10482`). People write them as "req 10482", "REQ10482", "رقم ١٠٤٨٢"; all are accepted.
 */
import { stripInvisibleMarks, toAsciiDigits } from '../text/ascii-digits';

export const REFERENCE_PREFIX = 'REQ';

export function formatReferenceNumber(sequenceValue: number): string {
  return `${REFERENCE_PREFIX}-${sequenceValue}`;
}

/** The reference in canonical form, or null when the text holds none (or more than one). */
export function parseReferenceNumber(text: string): string | null {
  const ascii = toAsciiDigits(stripInvisibleMarks(text));
  const prefixed = [...ascii.matchAll(/\breq\s*[-_#:]?\s*(\d{4,9})\b/gi)].map((m) => m[1]!);
  const candidates = prefixed.length ? prefixed : [...ascii.matchAll(/(?<![\d+])(\d{5,9})(?!\d)/g)].map((m) => m[1]!);
  const unique = [...new Set(candidates)];
  return unique.length === 1 ? formatReferenceNumber(Number(unique[0])) : null;
}
