/**
 * The text an attacker, a broken client or an unlucky phone sends: injection strings, invisible and
 * direction-changing characters, control characters, halves of surrogate pairs, Arabic with Arabic-Indic digits
 * and emoji — as fast-check arbitraries, so every boundary is fuzzed with the same vocabulary.
 *
 * FUZZ_SEED fixes the run (a failure prints its seed and path; `FUZZ_SEED=<seed> npm test -- test/abuse/x`
 * replays it); FUZZ_RUNS scales the number of runs of every property.
 */
import fc from 'fast-check';

export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 20261122);
const RUNS_SCALE = Number(process.env.FUZZ_RUNS_SCALE ?? 1);

/** fast-check parameters for one property: the fixed seed, `runs` scaled by FUZZ_RUNS_SCALE. */
export function fuzzParams(runs: number): fc.Parameters<unknown> {
  return { seed: FUZZ_SEED, numRuns: Math.max(1, Math.round(runs * RUNS_SCALE)), endOnFailure: true };
}

export function announceSeed(file: string): void {
  console.log(`${file}: FUZZ_SEED=${FUZZ_SEED} (set FUZZ_SEED to replay, FUZZ_RUNS_SCALE to run more)`);
}

/** How JSON is nested in the deep-nesting cases: arrays (`[[1]]`) and objects (`{"a":{"a":1}}`). */
export const NESTINGS = [
  ['[', ']'],
  ['{"a":', '}'],
] as const;

/** `inner` wrapped `depth` times in `nesting`'s brackets. */
export function nested(depth: number, [open, close]: readonly [string, string], inner = '1'): string {
  return open.repeat(depth) + inner + close.repeat(depth);
}

export const SQL_INJECTION = ["'; drop table messages; --", "1' OR '1'='1", 'Robert"); DELETE FROM contacts; --', '\\x27; SELECT pg_sleep(10); --', '$$; TRUNCATE beneficiaries; $$'];
export const TEMPLATE_INJECTION = ['{orgName}', '{0, plural, one {#} other {# #}}', '{contactName, select, other {{orgName}}}', '{{contactName}}', '${process.exit(1)}', "'{'", '{', '}}}{{{', '<%= 7*7 %>'];
export const MARKUP_INJECTION = ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', "'><svg onload=alert(1)>", '<a href="javascript:alert(1)">x</a>', '</textarea><script>x</script>', '`${1}`'];
export const INVISIBLE = ['\u200B', '\u200C', '\u200D', '\uFEFF', '\u00AD', '\u061C', '\u200E', '\u200F'];
export const BIDI_OVERRIDES = ['\u202A', '\u202B', '\u202C', '\u202D', '\u202E', '\u2066', '\u2067', '\u2068', '\u2069'];
export const CONTROL = ['\u0000', '\u0001', '\u0007', '\u0008', '\u000B', '\u000C', '\u001B', '\u007F', '\r\n', '\r', '\u2028', '\u2029'];
export const LONE_SURROGATES = ['\uD800', '\uDBFF', '\uDC00', '\uDFFF', 'a\uD83D', '\uDE00b'];
export const ARABIC = ['السلام عليكم', 'أريد مساعدة', 'نعم', 'لا', 'موظف', 'القائمة', 'رجوع', 'إلغاء', '١٠٠٠٠٠٠٠٠٨', '٠٥٠١٢٣٤٥٦٧', '۰۵۰۱۲۳۴۵۶۷', '٣', '١٤٤٦/٩/١', 'ـــ', 'ﻻ'];
export const EMOJI = ['😀', '👨‍👩‍👧‍👦', '🇸🇦', '❤️', '🤲🏽'];

/** One hostile fragment: mostly from the lists above, sometimes any code point at all. */
export const hostileFragment: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...SQL_INJECTION, ...TEMPLATE_INJECTION, ...MARKUP_INJECTION) },
  { weight: 3, arbitrary: fc.constantFrom(...INVISIBLE, ...BIDI_OVERRIDES, ...CONTROL, ...LONE_SURROGATES) },
  // What PostgreSQL refuses to store gets its own share: among the 35 above, a NUL came up too rarely to be found.
  { weight: 1, arbitrary: fc.constantFrom('\u0000', ...LONE_SURROGATES) },
  { weight: 3, arbitrary: fc.constantFrom(...ARABIC, ...EMOJI) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength: 12 }) },
);

/** A message a beneficiary (or an attacker) might type: a few hostile fragments joined. */
export const hostileText = (maxFragments = 6): fc.Arbitrary<string> =>
  fc.array(hostileFragment, { minLength: 1, maxLength: maxFragments }).map((parts) => parts.join(''));

/** The fragments a test asserts never reach the console's HTML unescaped. */
export const MARKUP_NEEDLES = ['<script', '<img', '<svg', 'onerror=', 'onload=', 'href="javascript:'];

/** `encodeURIComponent` throws on a half surrogate pair; a browser would send U+FFFD's bytes instead. */
export const uriEncode = (text: string): string => encodeURIComponent(text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD'));
