/**
 * Turns an engine reply (template keys and values) into the text and choices stored and sent — in the
 * conversation's language, with the channel's variant when one exists, and with the organisation's name,
 * hotline and hours available to every template.
 */
import { describeWorkingHours } from '../calendar/describe-working-hours';
import type { Organisation } from '../config/organisation-schema';
import type { ReplyInput, TemplateParam } from '../messages/outbound-message';
import type { Language, TemplateCatalog, TemplateParams } from './template-catalog';

export interface RenderedReply {
  text: string;
  template: string;
  choices: { number: number; value: string; label: string }[];
}

export interface ReplyRenderer {
  render(reply: ReplyInput, lang: Language, channel: string): RenderedReply;
  /** A single template with the organisation's variables, e.g. the attestation text as shown. */
  text(key: string, lang: Language, channel: string, params?: Record<string, TemplateParam>): string;
  organisationVariables(lang: Language): TemplateParams;
}

export function createReplyRenderer(templates: TemplateCatalog, org: Organisation): ReplyRenderer {
  // The profile does not change while Wasl runs: compute its variables once per language.
  const byLanguage = new Map<Language, TemplateParams>();
  const orgVars = (lang: Language): TemplateParams => {
    let vars = byLanguage.get(lang);
    if (!vars) {
      vars = Object.freeze({
        orgName: org.name[lang],
        hotline: org.hotline,
        website: org.website ?? '',
        email: org.email ?? '',
        workingHours: describeWorkingHours(org.workingHours, lang),
        decisionDays: org.committee.decisionDays,
      });
      byLanguage.set(lang, vars);
    }
    return vars;
  };
  const resolve = (params: Record<string, TemplateParam>, lang: Language, channel: string): TemplateParams => {
    const out: TemplateParams = {};
    for (const [k, v] of Object.entries(params)) {
      out[k] = typeof v === 'object' && !(v instanceof Date) ? templates.render(v.t, lang, orgVars(lang), channel) : v;
    }
    return out;
  };
  const text = (key: string, lang: Language, channel: string, params: Record<string, TemplateParam> = {}) =>
    templates.render(key, lang, { ...orgVars(lang), ...resolve(params, lang, channel) }, channel);
  return {
    organisationVariables: orgVars,
    text,
    render(reply, lang, channel) {
      const body = [text(reply.template, lang, channel, reply.params ?? {}), ...(reply.lines ?? []).map((l) => text(l.template, lang, channel, l.params ?? {}))];
      return {
        template: reply.template,
        text: body.join('\n'),
        choices: (reply.choices ?? []).map((c, i) => ({ number: i + 1, value: c.value, label: text(c.label, lang, channel) })),
      };
    },
  };
}
