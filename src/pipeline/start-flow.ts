/**
 * Starting a flow for a conversation without a message to answer — a researcher hands the chat back into a
 * chosen flow — so its first question goes out at once instead of waiting for the beneficiary to write. The
 * caller holds the conversation's row lock (the drain's lock: turns of one conversation never interleave) and
 * commits; the replies are written to the outbox in the caller's transaction and enqueued after commit.
 */
import { startFlowTurn, type TurnEffect } from '../engine/run-turn';
import { parseConversationState, type ConversationState } from '../engine/conversation-state';
import type { Tx } from '../store/database';
import type { conversations } from '../store/schema';
import { createEngineDepsFactory, type TurnServices } from './engine-deps';
import { writeBotReplies } from './outbox';
import type { QueuedReply } from '../queue/queues';

export interface StartedFlow {
  state: ConversationState;
  outbound: QueuedReply[];
  /** The flow handed straight to a researcher again (e.g. the `human` flow). */
  handoff: Extract<TurnEffect, { kind: 'handoff' }> | null;
}

export type FlowStarter = (tx: Tx, conv: typeof conversations.$inferSelect, flowId: string, now: Date) => Promise<StartedFlow>;

export function createFlowStarter(svc: TurnServices): FlowStarter {
  const engineDeps = createEngineDepsFactory(svc);
  return async (tx, conv, flowId, now) => {
    const deps = engineDeps({ tx, conversation: conv, messageId: 0, now });
    const result = await startFlowTurn(deps, parseConversationState(conv.state), flowId);
    const language = result.state.language ?? svc.content.organisation.defaultLanguage;
    const outbound = await writeBotReplies(tx, svc.renderer, { conversationId: conv.id, channel: conv.channel }, result.replies, language);
    // An action of the flow's first steps may write into another outbox (e.g. a mail); queued after commit too.
    for (const e of result.effects) if (e.kind === 'send') outbound.push({ id: e.messageId, channel: e.channel, conversationId: e.conversationId });
    const handoff = result.effects.filter((e): e is Extract<TurnEffect, { kind: 'handoff' }> => e.kind === 'handoff').at(-1) ?? null;
    return { state: result.state, outbound, handoff };
  };
}
