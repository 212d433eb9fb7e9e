/**
 * How many SMS parts a text costs. Arabic SMS is billed per part, and one non-GSM character (an Arabic letter,
 * an Arabic-Indic digit, an RLM mark) switches the whole message to UCS-2, which more than halves a part's room.
 * Rules: ENGINEERING.md §6 "Segments / encoding" (GSM 03.38; UCS-2 counted in UTF-16 units).
 */

/** The GSM 03.38 basic character set (one septet each). ESC (0x1B) is left out: it only introduces extensions. */
const GSM_BASIC = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
);
/** The extension table: each costs an escape plus itself, two septets. */
const GSM_EXTENSION = new Set('^{}\\[~]|€\f');

export type SmsEncoding = 'GSM-7' | 'UCS-2';

export interface SegmentCount {
  encoding: SmsEncoding;
  /** Septets (GSM-7) or UTF-16 code units (UCS-2). */
  units: number;
  segments: number;
  /** Room in each part at this length: 160/70 for one part, 153/67 once the text is split. */
  perSegment: number;
}

const LIMITS: Record<SmsEncoding, { single: number; multi: number }> = {
  'GSM-7': { single: 160, multi: 153 },
  'UCS-2': { single: 70, multi: 67 },
};

/** GSM-7 septets the text needs, or `null` when one character is outside GSM-7 (so the text goes as UCS-2). */
export function gsmSeptets(text: string): number | null {
  let septets = 0;
  for (const ch of text) {
    if (GSM_BASIC.has(ch)) septets += 1;
    else if (GSM_EXTENSION.has(ch)) septets += 2;
    else return null;
  }
  return septets;
}

/**
 * Counts the parts of `text`. Providers may split slightly earlier (they never cut a surrogate pair or an escape
 * sequence across parts), so show the result as approximate ("≈") to people.
 */
export function countSegments(text: string): SegmentCount {
  const septets = gsmSeptets(text);
  const encoding: SmsEncoding = septets === null ? 'UCS-2' : 'GSM-7';
  const units = septets ?? text.length;
  const { single, multi } = LIMITS[encoding];
  if (units === 0) return { encoding, units, segments: 0, perSegment: single };
  if (units <= single) return { encoding, units, segments: 1, perSegment: single };
  return { encoding, units, segments: Math.ceil(units / multi), perSegment: multi };
}
