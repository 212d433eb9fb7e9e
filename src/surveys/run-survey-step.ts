/**
 * Starting the survey flow without a message to answer. The caller holds the conversation's row lock; this
 * places the conversation's frame on the start step of `flows/survey.flow.yaml` (not a question)
 * and lets the engine's own `runTurn` carry on from there — the engine continues a frame resting on a
 * non-waiting step — so the prompt is exactly what the flow and the templates say, with the question's choices
 * as buttons or a numbered list. The replies are written to the outbox in the caller's transaction.
 */
import { eq } from 'drizzle-orm';
import { createCommandMatcher } from '../engine/commands';
import { frameSchema, type ConversationState } from '../engine/conversation-state';
import { runTurn, type EngineDeps } from '../engine/run-turn';
import type { ChannelName } from '../messages/channel-name';
import type { EngineServices } from '../pipeline/drain-conversation';
import type { Tx } from '../store/database';
import { conversations, messages } from '../store/schema';
import type { Language } from '../templating/template-catalog';
import { createLabelLookup } from '../templating/choice-labels';
import { SURVEY_FLOW } from './survey-flow';

export type SurveyEngine = Pick<
  EngineServices,
  'content' | 'renderer' | 'calendar' | 'sealer' | 'faq' | 'understand' | 'actions' | 'thresholds'
>;

type ConversationRow = typeof conversations.$inferSelect;

export function createSurveyStepRunner(svc: SurveyEngine) {
  const commands = createCommandMatcher(svc.content.commands);
  const labelsOf = createLabelLookup(svc.renderer);

  /**
   * Runs the survey flow from its start on `conv` (locked by the caller) and returns the outbound message ids
   * to enqueue after commit.
   */
  return async function runSurveyStep(
    tx: Tx,
    conv: ConversationRow,
    state: ConversationState,
    opts: { data: Record<string, string | number>; language: Language; now: Date },
  ): Promise<{ id: number; channel: ChannelName }[]> {
    const loaded = svc.content.flows.get(SURVEY_FLOW);
    if (!loaded) throw new Error(`flow "${SURVEY_FLOW}" is not loaded`);
    const frame = frameSchema.parse({ flow: SURVEY_FLOW, revision: loaded.revision, step: loaded.flow.start, data: opts.data });
    const deps: EngineDeps = {
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
            conversationId: conv.id,
            contactId: conv.contactId,
            beneficiaryId: conv.beneficiaryId,
            channel: conv.channel as ChannelName,
            // No inbound message starts a survey; no action before the first question needs one.
            messageId: 0,
            now: opts.now,
            organisation: svc.content.organisation,
            calendar: svc.calendar,
            renderer: svc.renderer,
            sealer: svc.sealer,
          },
          call,
        ),
    };
    const result = await runTurn(deps, { ...state, language: opts.language, frame }, { text: '', media: [] }, 'bot');
    if (result.state.frame?.flow !== SURVEY_FLOW) {
      throw new Error(`the survey flow ended before asking anything (conversation ${conv.id})`);
    }
    const outbound: { id: number; channel: ChannelName }[] = [];
    for (const reply of result.replies) {
      const rendered = svc.renderer.render(reply, opts.language, conv.channel);
      const [row] = await tx
        .insert(messages)
        .values({
          conversationId: conv.id,
          direction: 'out',
          channel: conv.channel,
          author: 'bot',
          text: rendered.text,
          payload: { template: rendered.template, choices: rendered.choices, language: opts.language },
          status: 'queued',
        })
        .returning({ id: messages.id });
      outbound.push({ id: row!.id, channel: conv.channel as ChannelName });
    }
    await tx.update(conversations).set({ state: result.state, updatedAt: opts.now }).where(eq(conversations.id, conv.id));
    return outbound;
  };
}

export type SurveyStepRunner = ReturnType<typeof createSurveyStepRunner>;
