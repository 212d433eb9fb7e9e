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

/** Normalised form used for every whole-message comparison (commands, choice labels, option words). */
export function normalizeForMatch(text: string): string {
  return normalizeArabic(text)
    .replace(/[\p{P}\p{S}]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
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
  const is = (name: CommandName, text: string) => {
    const n = normalizeForMatch(text);
    return n.length > 0 && (sets.get(name)?.has(n) ?? false);
  };
  return {
    is,
    globalCommand(text) {
      return globalCommands.find((c) => is(c, text)) ?? null;
    },
    namedLanguage(text) {
      const n = normalizeForMatch(text);
      if (/^(english|انجليزي|انقليزي|الانجليزيه|الانجليزي|بالانجليزي|en)$/.test(n)) return 'en';
      if (/^(arabic|عربي|العربيه|بالعربي|ar)$/.test(n)) return 'ar';
      return null;
    },
  };
}
