/**
 * Beneficiaries type digits in Arabic-Indic (٠١٢٣) or Persian (۰۱۲۳) forms as often as in ASCII; every numeric
 * input goes through this first. `code & 0xF` maps both Unicode blocks to 0–9.
 */
export function toAsciiDigits(text: string): string {
  return text
    .replace(/[\u0660-\u0669\u06F0-\u06F9]/g, (d) => String(d.charCodeAt(0) & 0xf))
    .replace(/\u066B/g, '.') // Arabic decimal separator
    .replace(/\u066C/g, ','); // Arabic thousands separator
}

/** Bidi, zero-width and soft-hyphen marks that phones insert around numbers and words and that break matching. */
export function stripInvisibleMarks(text: string): string {
  return text.replace(/[\u00AD\u061C\u200B-\u200F\u202A-\u202E\u2066-\u2069\uFEFF]/g, '');
}
