import type { UrgentPatterns } from './intents-schema';
import { normalizeArabic } from './normalize-arabic';

/** What the keyword safety net found. */
export interface UrgentMatch {
  urgent: boolean;
  /** The (normalised) phrases that matched, for the staff console and audit log. */
  matched: string[];
}

/** Detects crisis wording in a message that has already been through {@link normalizeArabic}. */
export type UrgentDetector = (normalized: string) => UrgentMatch;

// Arabic proclitics that may be glued to a phrase ("وزوجي يضربني", "فيضربني") without changing its meaning.
const CLITIC = '(?:و|ف|ب|ل|وب|ول|فب)?';

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * A phrase matches at the start of a word (optionally after a proclitic) and may end inside a word, so
 * "يضرب" covers "يضربني" and "يضربون". Phrases are normalised like messages, so charities can write them
 * with or without hamza, diacritics or ة.
 */
function compilePhrase(phrase: string): RegExp {
  const normalized = normalizeArabic(phrase);
  return new RegExp(`(?:^|\\s)${CLITIC}${escapeRegExp(normalized)}`, 'u');
}

/**
 * Builds the keyword/pattern safety net from `flows/intents.yaml` plus any organisation-specific phrases.
 * It runs on every message in addition to the classifier; either one flags a message as urgent.
 */
export function compileUrgentDetector(patterns: UrgentPatterns, extraPhrases: readonly string[] = []): UrgentDetector {
  const phrases = [...patterns.phrases, ...extraPhrases]
    .filter((p) => normalizeArabic(p).length > 0)
    .map((p) => ({ text: normalizeArabic(p), re: compilePhrase(p) }));
  const combinations = patterns.combinations.map((groups) =>
    groups.map((group) => group.filter((p) => normalizeArabic(p).length > 0).map((p) => ({ text: normalizeArabic(p), re: compilePhrase(p) }))),
  );
  return (normalized) => {
    const matched: string[] = [];
    for (const p of phrases) if (p.re.test(normalized)) matched.push(p.text);
    for (const groups of combinations) {
      const hits = groups.map((group) => group.find((p) => p.re.test(normalized)));
      if (hits.every((h) => h !== undefined)) matched.push(hits.map((h) => h!.text).join(' + '));
    }
    return { urgent: matched.length > 0, matched };
  };
}
