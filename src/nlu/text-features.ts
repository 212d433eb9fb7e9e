import { phoneticKey } from './phonetic-key';
import { lightStemArabic, snowballStemArabic } from './stem-arabic';

/** A sparse feature vector: feature name → weight. */
export type FeatureVector = Map<string, number>;

const ARABIC_WORD = /^[\u0621-\u064A]+$/;
const LATIN_WORD = /^[a-z0-9']+$/;

/** Crude English suffix stripping; English is a minority of messages and needs no more. */
function englishStem(word: string): string {
  return word.replace(/(ing|ed|es|s)$/, '').replace(/(.)\1$/, '$1');
}

function addCharGrams(features: FeatureVector, word: string, prefix: string, sizes: readonly number[]): void {
  const padded = ` ${word} `;
  for (const n of sizes) {
    for (let i = 0; i + n <= padded.length; i++) features.set(`${prefix}${padded.slice(i, i + n)}`, 1);
  }
}

/**
 * Turns a normalised message into features. Several views of each word are used so that unseen
 * messages still share something with the training lines: the word itself, two stems (see stem-arabic),
 * character 3/4-grams (typos, unseen inflections), the Arabizi-compatible phonetic key (see phonetic-key),
 * and stem bigrams for short phrases whose meaning is in the pair ("كم ياخذ", "وين وصل").
 * The vector is L2-normalised so long rambling messages do not dominate by sheer length.
 */
export function textFeatures(normalized: string): FeatureVector {
  const features: FeatureVector = new Map();
  const tokens = normalized.split(' ').filter((t) => t.length > 0);
  const stems: string[] = [];
  for (const token of tokens) {
    features.set(`w:${token}`, 1);
    if (ARABIC_WORD.test(token)) {
      const light = lightStemArabic(token);
      features.set(`l:${light}`, 1);
      features.set(`s:${snowballStemArabic(token)}`, 1);
      addCharGrams(features, token, 'c:', [3, 4]);
      stems.push(light);
    } else if (LATIN_WORD.test(token) && !token.startsWith('emoji')) {
      features.set(`e:${englishStem(token)}`, 1);
      addCharGrams(features, token, 'c:', [3, 4]);
      stems.push(englishStem(token));
    } else if (/^\d+$/.test(token)) {
      // The shape of a number says what it is: 4–8 digits is a request number, 9–10 a phone or ID.
      features.set(`d:${token.length <= 3 ? 'small' : token.length <= 8 ? 'ref' : 'id-or-phone'}`, 1);
      stems.push('#');
    } else {
      stems.push(token);
    }
    const key = phoneticKey(token);
    if (key.length > 0) {
      features.set(`p:${key}`, 1);
      if (key.length >= 3) addCharGrams(features, key, 'q:', [3]);
    }
  }
  for (let i = 0; i + 1 < stems.length; i++) features.set(`b:${stems[i]}_${stems[i + 1]}`, 1);
  const wordCount = tokens.filter((t) => t !== '?').length;
  features.set(`n:${wordCount <= 1 ? '1' : wordCount <= 3 ? '2-3' : wordCount <= 8 ? '4-8' : '9+'}`, 1);
  if (tokens.length === 0) features.set('n:empty', 1);

  let norm = 0;
  for (const v of features.values()) norm += v * v;
  norm = Math.sqrt(norm);
  for (const [k, v] of features) features.set(k, v / norm);
  return features;
}
