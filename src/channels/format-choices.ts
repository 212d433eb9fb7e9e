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

/** Splits long text at line, then word, boundaries so no part exceeds `max` characters. */
export function splitText(text: string, max: number): string[] {
  if (text.length <= max) return [text];
  const parts: string[] = [];
  let rest = text;
  while (rest.length > max) {
    let cut = rest.lastIndexOf('\n', max);
    if (cut < max / 2) cut = rest.lastIndexOf(' ', max);
    if (cut < max / 2) cut = max;
    parts.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
  }
  if (rest) parts.push(rest);
  return parts;
}
