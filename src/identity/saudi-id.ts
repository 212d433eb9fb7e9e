/**
 * Saudi national ID (starts with 1) and iqama (starts with 2) numbers: ten digits, the last a Luhn check digit
 * over the whole number (ENGINEERING.md §7.1). The check proves well-formedness only, never that the ID exists.
 */
import { stripInvisibleMarks, toAsciiDigits } from '../text/ascii-digits';

/** The ID in ASCII digits when it is well-formed, otherwise null. */
export function parseSaudiId(raw: string): string | null {
  const id = toAsciiDigits(stripInvisibleMarks(raw)).replace(/[\s-]/g, '');
  if (!/^[12]\d{9}$/.test(id)) return null;
  let sum = 0;
  for (let i = 0; i < 10; i++) {
    let d = id.charCodeAt(i) - 48;
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0 ? id : null;
}

/** `******4563`: enough for a person to recognise their own ID, useless to anyone else. */
export function maskSaudiId(id: string): string {
  return `${'*'.repeat(Math.max(0, id.length - 4))}${id.slice(-4)}`;
}
