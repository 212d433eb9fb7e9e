/**
 * On channels without buttons, choices become a numbered list under the text; the beneficiary may answer with
 * the digit (ASCII or Arabic-Indic) or the word, and the engine accepts both.
 */
import type { OutboundEnvelope } from './channel-adapter';

export function withNumberedChoices(message: Pick<OutboundEnvelope, 'text' | 'choices'>): string {
  if (message.choices.length === 0) return message.text;
  const list = message.choices.map((c) => `${c.number}. ${c.label}`).join('\n');
  return `${message.text}\n\n${list}`;
}

/**
 * Splits long text at line, then word, boundaries so no part exceeds `max` UTF-16 units (providers count in
 * UTF-16), never inside a surrogate pair (an emoji cut in half is shown as "�") and never as an empty part.
 */
export function splitText(text: string, max: number): string[] {
  const parts: string[] = [];
  let rest = text.trim();
  while (rest.length > max) {
    let cut = rest.lastIndexOf('\n', max);
    if (cut < max / 2) cut = rest.lastIndexOf(' ', max);
    if (cut < max / 2) cut = max;
    const code = rest.charCodeAt(cut - 1);
    if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
    const part = rest.slice(0, cut).trimEnd();
    if (part) parts.push(part);
    rest = rest.slice(cut).trimStart();
  }
  if (rest) parts.push(rest);
  return parts;
}
