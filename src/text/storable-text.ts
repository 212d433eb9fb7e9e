/**
 * Text that PostgreSQL will store and every screen will show as it was meant. PostgreSQL refuses NUL in `text`
 * and `jsonb` (a 500 instead of a stored message), a half surrogate pair is not UTF-8 at all (PGlite refuses
 * the row; node-postgres silently turns it into "�"), and the other C0 controls (ESC, BEL, backspace…) only
 * ever reach us from broken clients or from someone trying to rewrite a terminal.
 */
import { z } from 'zod';

/** C0 controls except tab, newline and carriage return, and DEL. */
const CONTROLS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** `text` without controls, with each half surrogate pair replaced by U+FFFD (what a UTF-8 decoder shows). */
export function toStorableText(text: string): string {
  return text.replace(CONTROLS, '').replace(LONE_SURROGATE, '\uFFFD');
}

/** The first `max` UTF-16 units, never half of a surrogate pair (an emoji cut in two shows as "�"). */
export function cutText(text: string, max: number): string {
  if (text.length <= max) return text;
  const code = text.charCodeAt(max - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
}

/** A zod string made storable before its other checks run: for every string a sender or provider chose. */
export const storableString = () => z.string().overwrite(toStorableText);
