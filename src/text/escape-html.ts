/**
 * The five characters HTML treats as markup, escaped, for text and attribute values alike: the widget's demo
 * page, the HTML part of mails and the survey's rating pages. (The console has its own, stricter escaper that
 * also neutralises bidi overrides: console/html.ts.)
 */
const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}
