import { StemmerAr } from '@nlpjs/lang-ar';

/**
 * Two stemmers, because each fails where the other works:
 * - NLP.js `StemmerAr` (Snowball) handles MSA morphology well (المتطوعين → متطوع, التبرعات → تبرع) but
 *   misreads dialect and some nouns (بياناتي → يانات, ابي → اب, وابي → واب).
 * - {@link lightStemArabic} only strips the clitics people attach in every dialect (و ف ب ك ل + ال, and
 *   possessive/object pronouns), keeping at least three letters, so it never destroys a short dialect word.
 * The classifier gets both as features and learns which one is informative.
 */
const snowball = new StemmerAr();

/** Snowball Arabic stem from NLP.js; input must already be normalised. */
export function snowballStemArabic(word: string): string {
  return snowball.stemWord(word);
}

// As in Larkey's Light10: ف ب ك ل are stripped only together with the article, because alone they are
// too often the word's first letter (فلوس, بيت, كرت, لازم); و is stripped alone.
const PREFIXES = ['وبال', 'وكال', 'وال', 'بال', 'فال', 'كال', 'ولل', 'لل', 'ال', 'و'];
const SUFFIXES = ['كما', 'هما', 'تها', 'كم', 'كن', 'هم', 'هن', 'ها', 'نا', 'ني', 'ون', 'ين', 'ات', 'ك', 'ه', 'ي'];
const MIN_STEM = 3;

/**
 * Light stemming for Gulf and MSA: strips at most one proclitic group (و, or ف ب ك ل with the article) and one enclitic, leaving a stem
 * of at least three letters. Input must already be normalised ({@link normalizeArabic}).
 *
 * @example lightStemArabic('وبالايجار') === 'ايجار'; lightStemArabic('عيالي') === 'عيال'
 */
export function lightStemArabic(word: string): string {
  if (!/^[\u0621-\u064A]+$/.test(word)) return word;
  let w = word;
  for (const p of PREFIXES) {
    if (w.startsWith(p) && w.length - p.length >= MIN_STEM) {
      w = w.slice(p.length);
      break;
    }
  }
  for (const s of SUFFIXES) {
    if (w.endsWith(s) && w.length - s.length >= MIN_STEM) {
      w = w.slice(0, w.length - s.length);
      break;
    }
  }
  return w;
}
