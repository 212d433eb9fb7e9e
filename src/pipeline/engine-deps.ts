/**
 * Everything a turn of the engine needs, bound to one conversation and one transaction. The drain (a message to
 * answer) and the survey runner (a flow started without one) both run turns; they share this so an action sees
 * the same context whoever started the turn.
 */
import { createCommandMatcher } from '../engine/commands';
import type { EngineDeps } from '../engine/run-turn';
import type { ChannelName } from '../messages/channel-name';
import type { Tx } from '../store/database';
import type { conversations } from '../store/schema';
import { createLabelLookup } from '../templating/choice-labels';
import type { EngineServices } from './drain-conversation';

export type TurnServices = Pick<EngineServices, 'content' | 'renderer' | 'calendar' | 'sealer' | 'faq' | 'understand' | 'actions' | 'thresholds'>;

export interface TurnScope {
  tx: Tx;
  conversation: typeof conversations.$inferSelect;
  /** The inbound message being answered; 0 when a flow starts without one (a survey). */
  messageId: number;
  now: Date;
}

export function createEngineDepsFactory(svc: TurnServices): (scope: TurnScope) => EngineDeps {
  const commands = createCommandMatcher(svc.content.commands);
  const labelsOf = createLabelLookup(svc.renderer);
  return ({ tx, conversation, messageId, now }) => ({
    flows: svc.content.flows,
    commands,
    labelsOf,
    understand: svc.understand,
    faqReply: (id, lang) => svc.faq.reply(id, lang),
    sealer: svc.sealer,
    defaultLanguage: svc.content.organisation.defaultLanguage,
    thresholds: svc.thresholds,
    policy: svc.content.organisation.handoff,
    runAction: (call) =>
      svc.actions[call.name](
        {
          tx,
          conversationId: conversation.id,
          contactId: conversation.contactId,
          beneficiaryId: conversation.beneficiaryId,
          channel: conversation.channel as ChannelName,
          messageId,
          now,
          organisation: svc.content.organisation,
          calendar: svc.calendar,
          renderer: svc.renderer,
          sealer: svc.sealer,
        },
        call,
      ),
  });
}
