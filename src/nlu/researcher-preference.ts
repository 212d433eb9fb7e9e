/**
 * Recognises a request for a female researcher in what the beneficiary wrote ("ابي باحثة", "موظفة", "female
 * researcher"). These words already start the `human` flow (commands.yaml); the engine seeds the flow's
 * `researcherGender` with them so a beneficiary who has said it is not asked again. Everyone else is asked.
 */
import { normalizeArabic } from './normalize-arabic';

const feminine = [/باحثه/, /موظفه/, /اخصائيه/, /امراه/, /\bfemale\b/i, /\bwoman\b/i, /\blady\b/i];

export function asksForFemaleResearcher(text: string): boolean {
  const n = normalizeArabic(text);
  return feminine.some((re) => re.test(n) || re.test(text));
}
