/**
 * Phone numbers at the SMS boundary. Wasl keeps E.164 (`+966501234567`); Unifonic and Taqnyat want the same
 * digits without `+` (ENGINEERING.md §7.2), Twilio wants E.164. Senders arrive in either form.
 */
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { stripInvisibleMarks, toAsciiDigits } from '../../text/ascii-digits';

/** The sender of an inbound SMS as E.164, or null when it is not a valid phone number (an alphanumeric sender). */
export function senderToE164(raw: string): string | null {
  const cleaned = toAsciiDigits(stripInvisibleMarks(raw)).replace(/[\s\-().]/g, '');
  if (!/^(\+|00)?\d{8,15}$/.test(cleaned)) return null;
  const digits = cleaned.replace(/^(\+|00)/, '');
  // A national Saudi number (05…) is the only local form a Saudi gateway may hand us.
  const phone = cleaned.startsWith('0') && !cleaned.startsWith('00') ? parsePhoneNumberFromString(cleaned, 'SA') : parsePhoneNumberFromString(`+${digits}`);
  return phone && phone.isValid() ? phone.number : null;
}

/** `+966501234567` → `966501234567`, the format of Unifonic, Taqnyat and Msegat. */
export function e164ToDigits(e164: string): string {
  return e164.replace(/^\+/, '');
}
