/**
 * The bot's `/` commands. The engine knows no slash commands, only the organisation's global words
 * (flows/commands.yaml), so each command is ingested as one of those words — taken from the organisation's own
 * lists, so renaming a word in the YAML cannot silently break a command.
 */
import type { Telegram } from 'telegraf';
import type { Logger } from 'pino';
import { createCommandMatcher, type CommandsFile, type GlobalCommand } from '../../engine/commands';
import type { Content } from '../../content/load-content';
import { createReplyRenderer } from '../../templating/render-reply';
import { telegramCommands, type TelegramCommand } from './telegram-update';

/** `/start` opens the main menu, as a greeting does for a new person. */
const meaning: Record<TelegramCommand, GlobalCommand> = { start: 'menu', menu: 'menu', lang: 'language', human: 'human' };

/**
 * The word each command is ingested as: the first word of the organisation's list that the engine reads as that
 * same command. For `/lang` a word that names no language ("language", not "English"), so it switches to the
 * other language rather than to a fixed one.
 */
export function commandWords(commands: CommandsFile): Record<TelegramCommand, string> {
  const matcher = createCommandMatcher(commands);
  const wordFor = (command: GlobalCommand): string => {
    const lists = commands[command] as { ar: string[]; en: string[] };
    const word = [...lists.en, ...lists.ar].find(
      (w) => matcher.globalCommand(w) === command && (command !== 'language' || matcher.namedLanguage(w) === null),
    );
    // Every list has a word (the commands schema requires one); a list of language names only still switches.
    return word ?? lists.en[0] ?? lists.ar[0] ?? command;
  };
  return Object.fromEntries(telegramCommands.map((c) => [c, wordFor(meaning[c])])) as Record<TelegramCommand, string>;
}

/** Template keys of the command descriptions Telegram shows in its "/" menu. */
export const commandDescriptionKey = (command: TelegramCommand) => `telegram.command-${command}`;

/**
 * Shows the commands in Telegram's menu, in Arabic by default and in English for English-language apps
 * (https://core.telegram.org/bots/api#setmycommands). The descriptions are beneficiary-facing, so they come
 * from the templates; without them the commands still work when typed and only the menu is left empty.
 */
export async function registerCommandMenu(telegram: Telegram, content: Pick<Content, 'templates' | 'organisation'>, log: Logger): Promise<boolean> {
  const missing = telegramCommands.map(commandDescriptionKey).filter((k) => !content.templates.has(k));
  if (missing.length) {
    log.warn({ missing }, 'Telegram command menu not set: add these template keys to templates/ar.yaml and en.yaml');
    return false;
  }
  const renderer = createReplyRenderer(content.templates, content.organisation);
  const list = (lang: 'ar' | 'en') =>
    telegramCommands.map((command) => ({ command, description: renderer.text(commandDescriptionKey(command), lang, 'telegram').slice(0, 256) }));
  await telegram.setMyCommands(list('ar'));
  await telegram.setMyCommands(list('en'), { language_code: 'en' });
  return true;
}
