/**
 * Who may take which escalated chat. An escalation goes to a queue by its reason — complaints to the complaints
 * team (or any supervisor), urgent cases to everyone, the rest to the researchers' shared queue — and a chat
 * where the beneficiary asked for a female (or a male) researcher goes only to staff of that gender. Each researcher holds at most
 * their caseload limit of chats at once.
 */
import { hasRole, type StaffRole } from '../staff/staff-roles';

export const escalationQueues = ['urgent', 'complaints', 'shared'] as const;
export type EscalationQueue = (typeof escalationQueues)[number];

export const COMPLAINTS_TEAM = 'complaints';

export function queueFor(conv: { handoffReason: string | null; handoffPriority: string | null }): EscalationQueue {
  if (conv.handoffPriority === 'urgent' || conv.handoffReason === 'urgent') return 'urgent';
  if (conv.handoffReason === 'complaint') return 'complaints';
  return 'shared';
}

export interface RoutingCandidate {
  role: StaffRole;
  gender: 'female' | 'male' | null;
  team: string | null;
}

export type RoutingVerdict = { ok: true } | { ok: false; code: string; message: string };

/** Whether `who` may hold `conv`; the reason is shown to the researcher as is. */
export function mayHold(who: RoutingCandidate, conv: { handoffReason: string | null; handoffPriority: string | null; researcherGender: string | null }): RoutingVerdict {
  if (conv.researcherGender === 'female' && who.gender !== 'female') {
    return { ok: false, code: 'ROUTING_ERR_FEMALE_REQUESTED', message: 'the beneficiary asked for a female researcher' };
  }
  if (conv.researcherGender === 'male' && who.gender !== 'male') {
    return { ok: false, code: 'ROUTING_ERR_MALE_REQUESTED', message: 'the beneficiary asked for a male researcher' };
  }
  if (queueFor(conv) === 'complaints' && who.team !== COMPLAINTS_TEAM && !hasRole(who.role, 'supervisor')) {
    return { ok: false, code: 'ROUTING_ERR_COMPLAINTS_TEAM', message: 'complaints go to the complaints team or a supervisor' };
  }
  return { ok: true };
}
