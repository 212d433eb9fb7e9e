/**
 * A consonant skeleton shared by Arabic script and Arabizi (Latin-script Arabic), so that `talabi`,
 * `6alabi` and `طلبي` all become `tlby`, and `3ndkom` meets `عندكم` (`3ndkm`).
 *
 * Why a skeleton instead of transliterating Arabizi into Arabic script: Arabizi spells short vowels
 * freely (asajel / asjel / asajjel) and merges letters (t for both ت and ط), so any single transliteration
 * is wrong half the time. Dropping medial vowels and merging the letter pairs that Arabizi merges maps
 * both scripts onto the same, slightly lossy, key. The key is only ever used as one extra classifier
 * feature next to the exact word, so its collisions cost little.
 */

const ARABIC_TO_KEY: Record<string, string> = {
  'ب': 'b', 'ت': 't', 'ث': 'z', 'ج': 'j', 'ح': 'h', 'خ': 'x', 'د': 'd', 'ذ': 'z', 'ر': 'r',
  'ز': 'z', 'س': 's', 'ش': 'c', 'ص': 's', 'ض': 'd', 'ط': 't', 'ظ': 'z', 'ع': '3', 'غ': 'g',
  'ف': 'f', 'ق': 'k', 'ك': 'k', 'ل': 'l', 'م': 'm', 'ن': 'n', 'ه': 'h',
};
const ARABIC_VOWEL_LIKE = new Set(['ا', 'و', 'ي', 'ء', 'ه']);

const LATIN_DIGRAPHS: ReadonlyArray<readonly [RegExp, string]> = [
  [/sh|ch/g, 'C'],
  [/kh/g, 'X'],
  [/gh/g, 'G'],
  [/th|dh/g, 'Z'],
  [/ph/g, 'F'],
];
const LATIN_TO_KEY: Record<string, string> = {
  b: 'b', p: 'b', t: 't', '6': 't', j: 'j', g: 'j', h: 'h', '7': 'h', x: 'x', '5': 'x', d: 'd', r: 'r',
  z: 'z', s: 's', '9': 's', c: 'k', '3': '3', f: 'f', v: 'f', q: 'k', '8': 'k', k: 'k', l: 'l', m: 'm',
  n: 'n', C: 'c', X: 'x', G: 'g', Z: 'z', F: 'f',
};
const LATIN_VOWELS = new Set(['a', 'e', 'i', 'o', 'u', 'w', 'y', '2']);

function collapseRepeats(key: string): string {
  return key.replace(/(.)\1+/g, '$1');
}

function arabicKey(word: string): string {
  const w = word.length > 4 && word.startsWith('ال') ? word.slice(2) : word;
  let key = '';
  for (let i = 0; i < w.length; i++) {
    const ch = w[i]!;
    const first = i === 0;
    const last = i === w.length - 1;
    if (ch === 'ا' || ch === 'ء') key += first ? 'a' : '';
    else if (ch === 'و') key += first ? 'w' : '';
    else if (ch === 'ي') key += first || last ? 'y' : '';
    else if (ch === 'ه' && last && i > 0) key += '';
    else key += ARABIC_TO_KEY[ch] ?? (ARABIC_VOWEL_LIKE.has(ch) ? '' : ch);
  }
  return collapseRepeats(key);
}

function latinKey(word: string): string {
  let w = word;
  if (w.length > 5 && /^(el|al)/.test(w)) w = w.slice(2);
  for (const [pattern, marker] of LATIN_DIGRAPHS) w = w.replace(pattern, marker);
  // A trailing "ah/eh" is the ta marbuta; Arabic-side keys drop a final ه too.
  w = w.replace(/([aeiou])h$/, '$1');
  let key = '';
  for (let i = 0; i < w.length; i++) {
    const ch = w[i]!;
    const first = i === 0;
    const last = i === w.length - 1;
    if (LATIN_VOWELS.has(ch)) {
      if (first) key += ch === 'w' ? 'w' : ch === 'y' ? 'y' : ch === '2' ? '' : 'a';
      else if (last && (ch === 'i' || ch === 'y' || ch === 'e')) key += 'y';
    } else {
      key += LATIN_TO_KEY[ch] ?? '';
    }
  }
  return collapseRepeats(key);
}

/**
 * Phonetic key of one normalised token (see the module comment). Returns '' for tokens that are neither
 * Arabic nor Latin letters (numbers, `?`, emoji tokens), which callers should skip.
 */
export function phoneticKey(token: string): string {
  if (/^[\u0621-\u064A]+$/.test(token)) return arabicKey(token);
  if (/^[a-z0-9']+$/.test(token) && /[a-z]/.test(token) && !token.startsWith('emoji')) return latinKey(token);
  return '';
}
