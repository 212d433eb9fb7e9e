/**
 * `consents.record`: keeps the beneficiary's answer to a consent question as evidence (Saudi PDPL): one row per
 * purpose with the template key, the text exactly as rendered for them, the language, the channel, the message
 * that carried the answer and the time. Rows are only ever added; the newest per purpose is the standing answer.
 */
import { z } from 'zod';
import type { ActionHandler } from '../engine/action-context';
import { consentAnswers, consentPurposes, consents } from '../store/schema';

const argsSchema = z.object({
  /** Comma-separated purposes the text covers, e.g. "application-processing,committee-review". */
  purposes: z.string().transform((s, ctx) => {
    const list = s.split(',').map((p) => p.trim()).filter(Boolean);
    for (const p of list) {
      if (!(consentPurposes as readonly string[]).includes(p)) ctx.addIssue({ code: 'custom', message: `unknown consent purpose "${p}" (known: ${consentPurposes.join(', ')})` });
    }
    return list as (typeof consentPurposes)[number][];
  }),
  /** The template key of the text the person answered. */
  template: z.string().min(1),
  /** The flow variable holding the answer; its value `grantedWhen` means yes, any other value no. */
  answerVar: z.string().min(1).optional(),
  grantedWhen: z.string().default('agree'),
  /** A fixed answer instead of a variable (a withdrawal chosen from a menu). */
  answer: z.enum(consentAnswers).optional(),
});

export const recordConsent: ActionHandler = async (ctx, call) => {
  const parsed = argsSchema.safeParse(call.args);
  if (!parsed.success) throw new Error(`consents.record in flow "${call.flow.id}": ${z.prettifyError(parsed.error)}`);
  const args = parsed.data;
  if (!args.answer && !args.answerVar) throw new Error(`consents.record in flow "${call.flow.id}" needs \`answerVar\` or \`answer\``);
  const answer = args.answer ?? (call.frame.data[args.answerVar!] === args.grantedWhen ? 'granted' : 'refused');
  // An organisation without a research committee never shows its applications to one.
  const purposes = args.purposes.filter((p) => p !== 'committee-review' || ctx.organisation.committee.enabled);
  const text = ctx.renderer.text(args.template, call.language, ctx.channel);
  if (purposes.length) {
    await ctx.tx.insert(consents).values(
      purposes.map((purpose) => ({
        beneficiaryId: ctx.beneficiaryId,
        contactId: ctx.contactId,
        purpose,
        answer,
        template: args.template,
        text,
        language: call.language,
        channel: ctx.channel,
        messageId: ctx.messageId,
        at: ctx.now,
      })),
    );
  }
  return { outcome: answer };
};
