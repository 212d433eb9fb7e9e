/** Volunteering is one of the channels the seeds list; a sign-up is recorded for the volunteer coordinator. */
import type { ActionHandler } from '../engine/action-context';
import { volunteers } from '../store/schema';

export const registerVolunteer: ActionHandler = async (ctx, call) => {
  const d = call.frame.data;
  const text = (v: unknown) => (v === undefined ? null : String(v));
  await ctx.tx.insert(volunteers).values({
    contactId: ctx.contactId,
    name: String(d.name ?? ''),
    mobile: text(d.mobile),
    city: text(d.city),
    skills: text(d.skills),
    availability: text(d.availability),
    createdAt: ctx.now,
  });
  return { outcome: 'registered' };
};
