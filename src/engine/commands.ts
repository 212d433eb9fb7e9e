/**
 * Global commands (`flows/commands.yaml`): words that work at any step — menu, back, cancel, human, language —
 * plus the small vocabularies steps share (skip, yes, no, "my requests"). A command matches the whole message
 * after Arabic normalisation, never a word inside a sentence: "القائمة" is a command, "ما فهمت القائمة" is not.
 */
import { z } from 'zod';
import { normalizeArabic } from '../nlu/normalize-arabic';

const words = z.strictObject({ ar: z.array(z.string().min(1)).min(1), en: z.array(z.string().min(1)).min(1) });

export const commandsFileSchema = z.strictObject({
  menu: words,
  back: words,
  cancel: words,
  human: words,
  language: words,
  skip: words,
  mine: words,
  yes: words,
  no: words,
});
export type CommandsFile = z.infer<typeof commandsFileSchema>;
export type CommandName = keyof CommandsFile;

export const globalCommands = ['menu', 'back', 'cancel', 'human', 'language'] as const satisfies readonly CommandName[];
export type GlobalCommand = (typeof globalCommands)[number];

/**
 * Remembered forms: a turn compares the same message, and the same option labels, many times over (each
 * global command, each label of a menu), and a normalisation is some twenty regular-expression passes. Short
 * texts only, and forgotten all at once when full, so the memory stays small whatever people type.
 */
const matchForms = new Map<string, string>();
const MATCH_FORMS_MAX = 5_000;
const MATCH_FORM_MAX_LENGTH = 200;

/** Normalised form used for every whole-message comparison (commands, choice labels, option words). */
export function normalizeForMatch(text: string): string {
  const known = matchForms.get(text);
  if (known !== undefined) return known;
  const form = normalizeArabic(text)
    .replace(/[\p{P}\p{S}]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (text.length <= MATCH_FORM_MAX_LENGTH) {
    if (matchForms.size >= MATCH_FORMS_MAX) matchForms.clear();
    matchForms.set(text, form);
  }
  return form;
}

export interface CommandMatcher {
  /** The vocabulary `name` contains the whole message. */
  is(name: CommandName, text: string): boolean;
  /** The first global command the message is, if any. */
  globalCommand(text: string): GlobalCommand | null;
  /** For the language command: which language the words name, if they name one ("English" → en). */
  namedLanguage(text: string): 'ar' | 'en' | null;
}

export function createCommandMatcher(file: CommandsFile): CommandMatcher {
  const sets = new Map<CommandName, Set<string>>();
  for (const [name, byLang] of Object.entries(file) as [CommandName, { ar: string[]; en: string[] }][]) {
    sets.set(name, new Set([...byLang.ar, ...byLang.en].map(normalizeForMatch).filter(Boolean)));
  }
  const contains = (name: CommandName, normalized: string) => normalized.length > 0 && (sets.get(name)?.has(normalized) ?? false);
  return {
    is: (name, text) => contains(name, normalizeForMatch(text)),
    globalCommand(text) {
      const n = normalizeForMatch(text);
      return globalCommands.find((c) => contains(c, n)) ?? null;
    },
    namedLanguage(text) {
      const n = normalizeForMatch(text);
      if (/^(english|انجليزي|انقليزي|الانجليزيه|الانجليزي|بالانجليزي|en)$/.test(n)) return 'en';
      if (/^(arabic|عربي|العربيه|بالعربي|ar)$/.test(n)) return 'ar';
      return null;
    },
  };
}
