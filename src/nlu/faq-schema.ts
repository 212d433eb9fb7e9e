import { z } from 'zod';
import { intentNames } from './intent-names';

/** The only variables an FAQ answer may use; the engine fills them from the organisation profile. */
export const faqAnswerVariables = ['orgName', 'hotline', 'website', 'email', 'workingHours', 'decisionDays'] as const;

const bilingualTextSchema = z.object({ ar: z.string().trim().min(1), en: z.string().trim().min(1) });
const bilingualListSchema = z.object({
  ar: z.array(z.string().trim().min(1)).min(1),
  en: z.array(z.string().trim().min(1)).min(1),
});

/** ICU arguments look like `{name}` or `{name, plural, ...}`; collect the argument names. */
function argumentNames(message: string): string[] {
  return [...message.matchAll(/\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*[,}]/g)].map((m) => m[1]!);
}

const answerSchema = bilingualTextSchema.superRefine((answer, ctx) => {
  for (const lang of ['ar', 'en'] as const) {
    for (const name of argumentNames(answer[lang])) {
      if (!(faqAnswerVariables as readonly string[]).includes(name)) {
        ctx.addIssue({
          code: 'custom',
          path: [lang],
          message: `unknown variable {${name}}; allowed: ${faqAnswerVariables.map((v) => `{${v}}`).join(' ')}`,
        });
      }
    }
  }
});

/** One FAQ entry: questions people ask, the answer (ICU MessageFormat) and the policy document it comes from. */
export const faqEntrySchema = z.object({
  id: z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'id must be kebab-case'),
  intent: z.enum(intentNames).optional(),
  source: bilingualTextSchema,
  questions: bilingualListSchema,
  answer: answerSchema,
});
export type FaqEntry = z.infer<typeof faqEntrySchema>;

/** `flows/faq.yaml`. Entry ids must be unique. */
export const faqFileSchema = z.object({
  entries: z.array(faqEntrySchema).min(1).superRefine((entries, ctx) => {
    const seen = new Set<string>();
    entries.forEach((e, i) => {
      if (seen.has(e.id)) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `duplicate FAQ id "${e.id}"` });
      seen.add(e.id);
    });
  }),
});
export type FaqFile = z.infer<typeof faqFileSchema>;
