/**
 * Policy step 3: when the procedures are unclear, the beneficiary goes to the social researcher. The
 * conversation becomes `waiting`; the reply tells honestly whether someone is on duty now or when they will be.
 */
import type { ActionHandler } from '../engine/action-context';
import { describeWorkingHours } from '../calendar/describe-working-hours';
import { formatDateTime } from '../templating/format-date';

const priorities = ['normal', 'high', 'urgent'] as const;
type Priority = (typeof priorities)[number];

export const handoff: ActionHandler = async (ctx, call) => {
  const { frame, args, language } = call;
  const reason = String(frame.data.handoffReason ?? args.reason ?? 'requested');
  const requested = String(frame.data.handoffPriority ?? args.priority ?? 'normal');
  const priority: Priority = (priorities as readonly string[]).includes(requested) ? (requested as Priority) : 'normal';
  const gender = researcherGenderOf(frame.data.researcherGender ?? args.researcherGender);
  const open = ctx.calendar.isOpen(ctx.now);
  return {
    outcome: open ? 'open' : 'closed',
    outputs: {
      nextOpening: formatDateTime(ctx.calendar.nextOpening(ctx.now), language, ctx.organisation.timezone),
      workingHours: describeWorkingHours(ctx.organisation.workingHours, language),
    },
    effects: [{ kind: 'handoff', reason, priority, ...(gender ? { researcherGender: gender } : {}) }],
  };
};

/** female or male; anything else (`any`, unset) is no preference. */
function researcherGenderOf(value: unknown): 'female' | 'male' | null {
  return value === 'female' || value === 'male' ? value : null;
}

/** The answer to the researcher flow's "a female or a male researcher?", given while the chat waits. */
export const recordResearcherPreference: ActionHandler = async (_ctx, call) => ({
  outcome: 'recorded',
  effects: [{ kind: 'researcher-preference', gender: researcherGenderOf(call.frame.data.researcherGender) }],
});
