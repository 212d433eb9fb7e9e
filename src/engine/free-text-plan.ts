/**
 * What the engine does with free text that is not an answer to the question on screen, given the route the
 * Arabic-understanding module chose (src/nlu/route-message.ts). Pure, so every rule is unit-tested apart
 * from the flow interpreter that carries it out (run-turn.ts).
 */
import type { IntentName } from '../nlu/intent-names';
import type { RouteDecision } from '../nlu/route-message';

export interface FreeTextContext {
  /**
   * `menu`: no flow running or the main menu on screen, so the message says what the person wants.
   * `flow`: a question of a running flow did not get a fitting answer; leaving the flow loses answers.
   */
  place: 'menu' | 'flow';
  /** Clarifying questions asked in a row without an understood message (ConversationState.misses). */
  misses: number;
  /** The intent's confidence reaches the engine's intent threshold. */
  confident: boolean;
  /** A confident FAQ match of any entry, also those not tied to an intent (e.g. data privacy). */
  faqId: string | null;
  /** The message holds a request reference number. */
  hasReference: boolean;
}

export type FreeTextPlan =
  | { do: 'urgent' }
  | { do: 'human'; reason: 'requested' | 'unclear' }
  | { do: 'complaint' }
  | { do: 'answer-faq'; faqId: string }
  | { do: 'start-flow'; flow: string; intent: IntentName }
  | { do: 'welcome' }
  | { do: 'clarify'; options: IntentName[] }
  /** Inside a flow: the question's own validation message and retry count apply (then a researcher is offered). */
  | { do: 'not-an-answer' };

export interface FreeTextOutcome {
  plan: FreeTextPlan;
  /** The new value of ConversationState.misses. */
  misses: number;
}

const STATUS_FLOW = 'status';

export function planFreeText(route: RouteDecision, ctx: FreeTextContext): FreeTextOutcome {
  const understood = (plan: FreeTextPlan): FreeTextOutcome => ({ plan, misses: 0 });
  switch (route.route) {
    case 'urgent_human':
      // Danger needs no confidence threshold: a false alarm costs a staff minute, a missed one far more.
      return understood({ do: 'urgent' });
    case 'human':
      // Inside a form only a clear wish leaves it; a weak guess must not throw away the answers given so far.
      if (ctx.place === 'flow' && !ctx.confident) return { plan: { do: 'not-an-answer' }, misses: ctx.misses };
      return understood({ do: 'human', reason: 'requested' });
    case 'answer_faq':
      return understood({ do: 'answer-faq', faqId: route.faqId });
    case 'start_flow':
      if (route.intent === 'complaint') {
        return ctx.place === 'flow' && !ctx.confident ? { plan: { do: 'not-an-answer' }, misses: ctx.misses } : understood({ do: 'complaint' });
      }
      // Inside a flow another topic does not abandon the form: the beneficiary can write «القائمة» to leave.
      if (ctx.place === 'flow') return { plan: { do: 'not-an-answer' }, misses: ctx.misses };
      return understood({ do: 'start-flow', flow: route.flow, intent: route.intent });
    case 'reply':
      return ctx.place === 'menu' ? understood({ do: 'welcome' }) : { plan: { do: 'not-an-answer' }, misses: ctx.misses };
    case 'clarify': {
      if (ctx.place === 'flow') return { plan: { do: 'not-an-answer' }, misses: ctx.misses };
      // A reference number can only be asked about; an FAQ entry that matches well answers without the intent.
      if (ctx.hasReference) return understood({ do: 'start-flow', flow: STATUS_FLOW, intent: 'request_status' });
      if (ctx.faqId) return understood({ do: 'answer-faq', faqId: ctx.faqId });
      // One clarifying question; the second miss in a row goes to a person (policy: never leave them stuck).
      if (ctx.misses >= 1) return { plan: { do: 'human', reason: 'unclear' }, misses: 0 };
      return { plan: { do: 'clarify', options: route.options }, misses: ctx.misses + 1 };
    }
  }
}

/**
 * The variable a flow's first `skipIfSet` question saves the beneficiary's own account in, for the intents
 * whose first message often already is that account (flows/complaint.flow.yaml, flows/update-data.flow.yaml).
 */
export const openingTextVariable: Partial<Record<IntentName, string>> = {
  complaint: 'complaint',
  update_data: 'details',
};

/** Template key of the choice that offers an intent in a clarifying question (`topics.apply-support`). */
export function topicLabel(intent: IntentName): string {
  return `topics.${intent.replace(/_/g, '-')}`;
}
