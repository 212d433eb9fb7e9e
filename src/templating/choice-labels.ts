/**
 * The labels of a choice in every language, so "English", "العربية" or "سلة غذائية" pick an option whatever
 * language the conversation is in. Rendered once per key: labels come from the templates and never change
 * while Wasl runs.
 */
import type { ReplyRenderer } from './render-reply';
import { languages } from './template-catalog';

export function createLabelLookup(renderer: Pick<ReplyRenderer, 'text'>): (templateKey: string) => string[] {
  const cache = new Map<string, string[]>();
  return (key) => {
    let labels = cache.get(key);
    if (!labels) {
      labels = languages.map((lang) => renderer.text(key, lang, 'cli'));
      cache.set(key, labels);
    }
    return labels;
  };
}
