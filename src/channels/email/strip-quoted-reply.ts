/**
 * Keeps only what the sender wrote now: a reply carries the whole conversation below it (Gmail's "On … wrote:",
 * Outlook's "From: … Sent: …" block, `>`-quoted lines) and a signature, and the engine must see the answer only —
 * "1" in a mail that also quotes the whole menu is the answer "1", not the menu.
 *
 * Markers are matched on a copy of each line without bidi controls, tatweel and Arabic diacritics, because
 * Arabic clients write "أُرسلت" with a damma and wrap lines in RLM/LRM marks.
 */

const BIDI_AND_DIACRITICS = /[\u200e\u200f\u202a-\u202e\u2066-\u2069\u0640\u064b-\u0652]/g;

const normaliseLine = (line: string): string =>
  line
    .replace(BIDI_AND_DIACRITICS, '')
    .replace(/^[\s*]+|[\s*]+$/g, '')
    .replace(/\*/g, '');

/** "-----Original Message-----" and its translations; Gmail's forwarded-message banner. */
const SEPARATOR = /^-{2,}\s*(original message|الرسالة الأصلية|الرسالة الاصلية|forwarded message|رسالة معاد توجيهها|الرسالة المعاد توجيهها)\s*-{2,}$/i;
/** Gmail, Apple Mail, Thunderbird: "On Sun, 22 Nov 2026 at 10:15, Name <a@b> wrote:". */
const ATTRIBUTION_EN = /^on\b.{6,}\bwrote:$/i;
/** Gmail in Arabic: "في الأحد، ٢٢ نوفمبر ٢٠٢٦ في ١٠:١٥ ص، الاسم <a@b> كتب:". */
const ATTRIBUTION_AR = /^في\s.{6,}\s(كتب|كتبت)\s?:$/;
/** First line of an Outlook header block ("From:" / "من:"). */
const HEADER_FROM = /^(from|من)\s?:\s?\S/i;
/** A later line of the same block: when it was sent. */
const HEADER_SENT = /^(sent|date|أرسلت|ارسلت|أرسل|ارسل|تم الإرسال|تم الارسال|التاريخ|تاريخ الإرسال|تاريخ الارسال|بتاريخ)\s?:/i;
/** Outlook on the web puts a rule of underscores above the header block. */
const RULE = /^_{10,}$/;
/** "-- " (RFC 3676 signature separator); many clients drop the trailing space. */
const SIGNATURE = /^--\s?$/;
/** Phone clients' default signatures; the device word keeps "أرسلت من قبل…" (a real sentence) intact. */
const DEVICE_SIGNATURE = /^(sent from|get outlook for|أرسلت من|ارسلت من|أرسل من|ارسل من|مرسل من|تم الإرسال من|تم الارسال من)\s.{0,40}(iphone|ipad|android|outlook|samsung|galaxy|huawei|mobile|جوال|الجوال|هاتف|آيفون|ايفون|الآيفون|الايفون)/i;

function cutIndex(lines: string[]): number {
  const norm = lines.map(normaliseLine);
  for (let i = 0; i < norm.length; i++) {
    const line = norm[i]!;
    const next = norm[i + 1] ?? '';
    if (SEPARATOR.test(line) || ATTRIBUTION_EN.test(line) || ATTRIBUTION_AR.test(line)) return i;
    // Gmail wraps a long attribution over two lines.
    if (/^(on|في)\s/i.test(line) && (ATTRIBUTION_EN.test(`${line} ${next}`) || ATTRIBUTION_AR.test(`${line} ${next}`))) return i;
    if (HEADER_FROM.test(line) && norm.slice(i + 1, i + 5).some((l) => HEADER_SENT.test(l))) return previousRule(norm, i);
    if (SIGNATURE.test(lines[i]!.trimStart()) || DEVICE_SIGNATURE.test(line)) return i;
  }
  return lines.length;
}

/** The underscore rule right above the header block (blank lines between allowed), or the block itself. */
function previousRule(norm: string[], headerLine: number): number {
  for (let j = headerLine - 1; j >= 0; j--) {
    if (RULE.test(norm[j]!)) return j;
    if (norm[j] !== '') break;
  }
  return headerLine;
}

/** The new text of a reply: history, quoted lines and signature removed; blank-line runs squeezed. */
export function stripQuotedReply(text: string): string {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const kept = lines.slice(0, cutIndex(lines)).filter((l) => !/^\s*>/.test(l.replace(BIDI_AND_DIACRITICS, '')));
  return kept
    .join('\n')
    .replace(/[ \t]+$/gm, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
