/**
 * Saudi mobile numbers in any of the ways people type them (05…, 5…, +9665…, 009665…, Arabic-Indic digits,
 * spaces, dashes, bidi marks), checked against libphonenumber's allocation metadata and stored as E.164.
 */
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { stripInvisibleMarks, toAsciiDigits } from '../text/ascii-digits';

export function parseSaudiMobile(raw: string): string | null {
  const cleaned = toAsciiDigits(stripInvisibleMarks(raw)).replace(/[\s\-().]/g, '');
  if (!/^(\+|00)?\d{8,14}$/.test(cleaned)) return null;
  const international = cleaned.startsWith('00') ? `+${cleaned.slice(2)}` : cleaned;
  const phone = parsePhoneNumberFromString(international, 'SA');
  if (!phone || phone.country !== 'SA' || !phone.isValid() || phone.getType() !== 'MOBILE') return null;
  return phone.number;
}

export function maskMobile(e164: string): string {
  return e164.length > 6 ? `${e164.slice(0, 5)}****${e164.slice(-3)}` : '****';
}
