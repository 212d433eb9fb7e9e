/**
 * Arabic text folding for *matching* (intent classification, keyword safety nets, FAQ lookup).
 * Never store or display the result: the folds (ة→ه, ى→ي, hamza forms → bare letters) lose information.
 * Training lines and user messages must go through the same function.
 */
import { stripInvisibleMarks, toAsciiDigits } from '../text/ascii-digits';

// Harakat, tanwin, shadda, sukun, Quranic marks and the dagger alef (U+0670).
const TASHKEEL = /[\u0610-\u061A\u064B-\u065F\u0670\u06D6-\u06DC\u06DF-\u06E8\u06EA-\u06ED]/g;
const TATWEEL = /\u0640/g;

/**
 * Emoji that carry intent signal become plain tokens (so the classifier and the urgent patterns can use
 * them); every other pictograph is dropped. The token names are Latin on purpose: they can never collide
 * with an Arabic word after folding.
 */
export const emojiTokens: ReadonlyArray<readonly [RegExp, string]> = [
  [/[\u{1F621}\u{1F620}\u{1F92C}\u{1F47F}\u{1F624}]/gu, ' emojiangry '],
  [/[\u{1F62D}\u{1F622}\u{1F494}\u{1F625}\u{1F630}\u{1F628}\u{1F631}]/gu, ' emojicry '],
  [/[\u{1F64F}]/gu, ' emojiplease '],
  [/[\u{1F339}\u{1F490}\u{2764}\u{2665}\u{1F60D}\u{1F970}\u{1F497}\u{1F496}\u{1F338}\u{1F33A}]/gu, ' emojilove '],
  [/[\u{1F44D}\u{1F44C}\u{2705}]/gu, ' emojiok '],
  [/[\u{2B50}\u{1F31F}]/gu, ' emojistar '],
  [/[\u{1F44B}]/gu, ' emojiwave '],
  [/[\u{1F4CD}\u{1F5FA}\u{1F4CC}]/gu, ' emojipin '],
  [/[\u{23F3}\u{231B}\u{23F0}\u{1F550}-\u{1F567}]/gu, ' emojiclock '],
  [/[\u{1F4C4}\u{1F4C3}\u{1F4CE}\u{1F4F7}\u{1F5BC}\u{1F4D1}]/gu, ' emojidoc '],
];

// Anything still pictographic after the mapping above (skin tones, flags, ZWJ sequences' parts) is noise.
const OTHER_PICTOGRAPHS = /[\p{Extended_Pictographic}\u{1F3FB}-\u{1F3FF}\u{FE0F}\u{20E3}\u{1F1E6}-\u{1F1FF}]/gu;

/**
 * Folds letters that people write interchangeably, without touching digits, spacing or punctuation.
 * Exposed separately because entity extraction needs the letters folded but the punctuation intact.
 */
export function foldArabicLetters(text: string): string {
  return text
    .replace(/[\u0622\u0623\u0625\u0671\u0672\u0673]/g, '\u0627') // آ أ إ ٱ → ا
    .replace(/\u0624/g, '\u0648') // ؤ → و
    .replace(/\u0626/g, '\u064A') // ئ → ي
    .replace(/[\u0649\u06CC\u06D2]/g, '\u064A') // ى, Farsi ی, ے → ي
    .replace(/\u0629/g, '\u0647') // ة → ه
    .replace(/[\u06A9\u06AA]/g, '\u0643') // Farsi ک → ك
    .replace(/\u06AF/g, '\u0642') // گ is how Gulf writers spell the /g/ of ق
    .replace(/\u06A4/g, '\u0641') // ڤ → ف
    .replace(/\u0686/g, '\u062C'); // چ → ج
}

/**
 * Normalises a message for matching: NFKC (presentation forms, ligatures), zero-width and bidi
 * controls removed, tashkeel and tatweel removed, letter variants folded ({@link foldArabicLetters}),
 * letters repeated three or more times collapsed to one (ابييي → ابي, مرحبااا → مرحبا), digits to ASCII,
 * signal-bearing emoji to tokens ({@link emojiTokens}), question marks kept as a `?` token, other
 * punctuation to spaces, lowercase, single spaces.
 */
export function normalizeArabic(input: string): string {
  let s = stripInvisibleMarks(input.normalize('NFKC')).replace(TASHKEEL, '').replace(TATWEEL, '');
  s = toAsciiDigits(s);
  s = foldArabicLetters(s);
  for (const [pattern, token] of emojiTokens) s = s.replace(pattern, token);
  s = s.replace(OTHER_PICTOGRAPHS, ' ');
  s = s.toLowerCase();
  // A question is a signal ("عندكم سلال؟" asks whether an aid exists); keep one `?` token per run.
  s = s.replace(/[?\u061F\u2E2E]+/g, ' ? ');
  // Digits are kept: Arabizi uses them as letters (3=ع) and reference numbers live in them.
  s = s.replace(/[^\p{L}\p{N}? ]+/gu, ' ');
  // Elongation ("ابييييي", "sooo") is emphasis, not spelling; real Arabic words never triple a letter.
  s = s.replace(/(\p{L})\1{2,}/gu, '$1');
  return s.replace(/\s+/g, ' ').trim();
}
