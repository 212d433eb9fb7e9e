/**
 * Recognises a request for a female researcher in what the beneficiary wrote ("ابي باحثة", "موظفة", "female
 * researcher"). The engine's `human` command already accepts these words; until the engine records the
 * preference itself (docs/console.md, "Engine hook"), the console reads it from the messages around the handoff.
 */
import { normalizeArabic } from '../nlu/normalize-arabic';

const feminine = [/باحثه/, /موظفه/, /اخصائيه/, /امراه/, /\bfemale\b/i, /\bwoman\b/i, /\blady\b/i];

export function asksForFemaleResearcher(text: string): boolean {
  const n = normalizeArabic(text);
  return feminine.some((re) => re.test(n) || re.test(text));
}
