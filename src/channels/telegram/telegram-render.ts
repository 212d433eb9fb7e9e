/**
 * A rendered Wasl reply → the `sendMessage` calls that show it on Telegram. Pure.
 *
 * Plain text, no `parse_mode`: templates carry no markup, and beneficiaries' own words (names, descriptions) are
 * echoed back in reviews — with Markdown or HTML every `_`, `*` or `<` in them would need escaping, and a missed
 * one makes Telegram refuse the whole message ("can't parse entities"). Telegram still links URLs and numbers.
 */
import { splitText } from '../format-choices';
import type { OutboundEnvelope } from '../channel-adapter';
import { choiceCallbackData } from './telegram-update';

/** Telegram's limit on a message's text, in UTF-16 units after entity parsing (https://core.telegram.org/bots/api#sendmessage). */
export const TELEGRAM_MAX_TEXT = 4096;

export interface InlineButton {
  text: string;
  callback_data: string;
}

/** The body of one `sendMessage` call, without `chat_id`. */
export interface TelegramSendPayload {
  text: string;
  reply_markup?: { inline_keyboard: InlineButton[][] };
}

/**
 * Long text is split; the keyboard goes on the last part, so the buttons sit under the question they answer.
 * Each choice is one row, numbered as on text channels so a typed digit means the same as a tap.
 */
export function renderForTelegram(message: Pick<OutboundEnvelope, 'text' | 'choices' | 'messageId'>): TelegramSendPayload[] {
  const parts: TelegramSendPayload[] = splitText(message.text, TELEGRAM_MAX_TEXT).map((text) => ({ text }));
  // Telegram refuses an empty text; a reply that is only choices still needs a line to hang them on. A reply
  // with neither renders to nothing, which the sender reports as a permanent failure.
  if (parts.length === 0 && message.choices.length > 0) parts.push({ text: message.choices.map((c) => `${c.number}. ${c.label}`).join('\n') });
  if (message.choices.length > 0) {
    parts.at(-1)!.reply_markup = {
      inline_keyboard: message.choices.map((c) => [{ text: `${c.number}. ${c.label}`.slice(0, 200), callback_data: choiceCallbackData(c.number, message.messageId) }]),
    };
  }
  return parts;
}
