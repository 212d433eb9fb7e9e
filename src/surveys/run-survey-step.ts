/**
 * Starting the survey flow without a message to answer. The caller holds the conversation's row lock; this
 * places the conversation's frame on the start step of `flows/survey.flow.yaml` (not a question)
 * and lets the engine's own `runTurn` carry on from there — the engine continues a frame resting on a
 * non-waiting step — so the prompt is exactly what the flow and the templates say, with the question's choices
 * as buttons or a numbered list. The replies are written to the outbox in the caller's transaction.
 */
import { eq } from 'drizzle-orm';
import { frameSchema, type ConversationState } from '../engine/conversation-state';
import { runTurn } from '../engine/run-turn';
import type { EngineServices } from '../pipeline/drain-conversation';
import type { Tx } from '../store/database';
import { conversations } from '../store/schema';
import type { Language } from '../templating/template-catalog';
import { createEngineDepsFactory } from '../pipeline/engine-deps';
import { writeBotReplies } from '../pipeline/outbox';
import type { QueuedReply } from '../queue/queues';
import { SURVEY_FLOW } from './survey-flow';

export type SurveyEngine = Pick<
  EngineServices,
  'content' | 'renderer' | 'calendar' | 'sealer' | 'faq' | 'understand' | 'actions' | 'thresholds'
>;

type ConversationRow = typeof conversations.$inferSelect;

export function createSurveyStepRunner(svc: SurveyEngine) {
  const engineDeps = createEngineDepsFactory(svc);

  /**
   * Runs the survey flow from its start on `conv` (locked by the caller) and returns the outbound message ids
   * to enqueue after commit.
   */
  return async function runSurveyStep(
    tx: Tx,
    conv: ConversationRow,
    state: ConversationState,
    opts: { data: Record<string, string | number>; language: Language; now: Date },
  ): Promise<QueuedReply[]> {
    const loaded = svc.content.flows.get(SURVEY_FLOW);
    if (!loaded) throw new Error(`flow "${SURVEY_FLOW}" is not loaded`);
    const frame = frameSchema.parse({ flow: SURVEY_FLOW, revision: loaded.revision, step: loaded.flow.start, data: opts.data });
    const deps = engineDeps({ tx, conversation: conv, messageId: 0, now: opts.now });
    const result = await runTurn(deps, { ...state, language: opts.language, frame }, { text: '', media: [] }, 'bot');
    if (result.state.frame?.flow !== SURVEY_FLOW) {
      throw new Error(`the survey flow ended before asking anything (conversation ${conv.id})`);
    }
    const outbound = await writeBotReplies(tx, svc.renderer, { conversationId: conv.id, channel: conv.channel }, result.replies, opts.language);
    await tx.update(conversations).set({ state: result.state, updatedAt: opts.now }).where(eq(conversations.id, conv.id));
    return outbound;
  };
}

export type SurveyStepRunner = ReturnType<typeof createSurveyStepRunner>;
