/**
 * Answers from `flows/faq.yaml`, rendered with the organisation's details and always naming the document the
 * answer comes from (policy practice 1: correct misconceptions with the organisation's own sources).
 */
import { IntlMessageFormat } from 'intl-messageformat';
import type { ReplyInput } from '../messages/outbound-message';
import type { FaqFile } from '../nlu/faq-schema';
import type { ReplyRenderer } from '../templating/render-reply';
import type { Language } from '../templating/template-catalog';

export interface FaqResponder {
  has(id: string): boolean;
  reply(id: string, lang: Language): ReplyInput;
}

export function createFaqResponder(faq: FaqFile, renderer: ReplyRenderer): FaqResponder {
  const compiled = new Map(
    faq.entries.map((e) => [
      e.id,
      { entry: e, ar: new IntlMessageFormat(e.answer.ar, 'ar'), en: new IntlMessageFormat(e.answer.en, 'en') },
    ]),
  );
  return {
    has: (id) => compiled.has(id),
    reply(id, lang) {
      const c = compiled.get(id);
      if (!c) throw new Error(`no FAQ entry "${id}"`);
      const answer = String(c[lang].format(renderer.organisationVariables(lang)));
      return { template: 'common.faq-answer', params: { answer, source: c.entry.source[lang] } };
    },
  };
}
