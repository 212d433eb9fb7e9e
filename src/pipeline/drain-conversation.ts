/**
 * Step 2 of the path of one message (ARCHITECTURE.md): take every unprocessed inbound message of one
 * conversation in arrival order, run the engine on each, and in ONE transaction save the new state, mark the
 * messages processed and write the replies as `queued` outbound rows (a transactional outbox). The row lock on
 * the conversation makes this correct for any number of workers on any number of machines; the queue's
 * per-conversation deduplication only keeps them from waiting on each other. See docs/decisions/0003.
 */
import { eq, inArray } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { BusinessCalendar } from '../calendar/business-calendar';
import type { Content } from '../content/load-content';
import type { ActionHandler } from '../engine/action-context';
import type { ActionName } from '../engine/action-catalog';
import { parseConversationState, type ConversationState } from '../engine/conversation-state';
import { runTurn, type TextUnderstanding, type TurnResult } from '../engine/run-turn';
import type { FaqResponder } from '../faq/faq-responder';
import type { Sealer } from '../identity/sealed-value';
import { inboundMediaSchema } from '../messages/inbound-message';
import { firstOfEachConversation, type QueuedReply, type Queues } from '../queue/queues';
import type { Db, Tx } from '../store/database';
import { columnList, namedStatement, rowOf, runNamed } from '../store/named-statement';
import { conversations, messages } from '../store/schema';
import type { RenderedReply, ReplyRenderer } from '../templating/render-reply';
import { prepareSurveyAnswer, surveyLinkApplies } from '../surveys/survey-answer';
import type { Language } from '../templating/template-catalog';
import { z } from 'zod';
import { createEngineDepsFactory } from './engine-deps';
import { insertRepliesSql, outboxEntries, replyColumns } from './outbox';
import type { SignalConversation } from './conversation-signals';

/** Messages per transaction: keeps transactions short (PGlite serialises everything behind one). */
export const DRAIN_BATCH = 20;

export interface EngineServices {
  db: Db;
  queues: Pick<Queues, 'enqueueSend' | 'requestDrain'>;
  log: Logger;
  content: Content;
  renderer: ReplyRenderer;
  calendar: BusinessCalendar;
  sealer: Sealer;
  faq: FaqResponder;
  understand(text: string): TextUnderstanding | null;
  actions: Record<ActionName, ActionHandler>;
  thresholds: { intent: number; faq: number };
  clock(): Date;
  /** Tells the web processes about an escalation or a message in a held chat, after commit (console live view, staff notices). */
  signal?: SignalConversation;
}

export interface DrainOutcome {
  processed: number;
  /** The replies written: this conversation's, and any an action wrote into another (an e-mail link code). */
  outbound: QueuedReply[];
  more: boolean;
  /** A handoff happened in this drain (a new escalation, or a waiting chat became urgent). */
  escalated?: boolean;
  /** Inbound messages were taken while a researcher holds or is awaited for the chat. */
  heldInbound?: boolean;
}

const payloadMediaSchema = z.object({ media: z.array(inboundMediaSchema).default([]) });

export function createEngineDrain(svc: EngineServices) {
  const engineDeps = createEngineDepsFactory(svc);
  const defaultLanguage = svc.content.organisation.defaultLanguage;

  /**
   * Runs one turn. Isolated, inside a savepoint: a failing turn undoes its own writes and nothing else. Not
   * isolated (the first try of every drain), a failing turn throws and aborts the whole drain, which then runs
   * again isolated — two round trips per message saved on the path every message takes, paid back only when a
   * turn fails.
   */
  async function turn(
    tx: Tx,
    conv: typeof conversations.$inferSelect,
    msg: typeof messages.$inferSelect,
    state: ConversationState,
    mode: TurnMode,
    isolated: boolean,
  ): Promise<TurnResult & { failed: boolean; rendered: RenderedReply[] }> {
    const now = svc.clock();
    // A star-link click that no longer fits (already answered) is kept, but nothing is said about it.
    if (!surveyLinkApplies(state, msg.payload)) return { state, replies: [], effects: [], failed: false, rendered: [] };
    // A survey's rating question reads stars, "5/5" and words, and closes quietly after one re-ask (src/surveys).
    const prepared = prepareSurveyAnswer(state, msg.text ?? '');
    state = prepared.state;
    const input = { text: prepared.text, media: payloadMediaSchema.parse(msg.payload ?? {}).media };
    const run = async (t: Tx) => {
      const deps = engineDeps({ tx: t, conversation: conv, messageId: msg.id, now });
      const result = await runTurn(deps, state, input, mode);
      // Rendered within the turn: a template problem is a failed turn, not a wedged conversation.
      const lang = result.state.language ?? defaultLanguage;
      const rendered = result.replies.map((r) => svc.renderer.render(r, lang, conv.channel));
      return { ...result, failed: false, rendered };
    };
    if (!isolated) return run(tx);
    try {
      return await tx.transaction(run);
    } catch (err) {
      svc.log.error({ err, conversationId: conv.id, messageId: msg.id }, 'turn failed; the beneficiary is told and the flow restarts');
      const apology = { template: 'common.internal-error' };
      return {
        state: { ...state, frame: null },
        replies: [apology],
        effects: [],
        failed: true,
        rendered: [svc.renderer.render(apology, state.language ?? defaultLanguage, conv.channel)],
      };
    }
  }

  async function drainOnce(conversationId: number, isolated: boolean): Promise<DrainOutcome> {
    return svc.db.transaction(async (tx) => {
      // NO KEY UPDATE, not UPDATE: ingest share-locks the row (KEY SHARE) to store a message, and must not wait
      // for this drain to commit; console actions and survey jobs take FOR UPDATE and still wait (ingest.ts).
      const [locked] = await runNamed(tx, LOCK_CONVERSATION, [conversationId]);
      if (!locked) return { processed: 0, outbound: [], more: false };
      const conv = rowOf(conversations, locked);
      const pending = (await runNamed(tx, PENDING_INBOUND, [conversationId, DRAIN_BATCH])).map((m) => rowOf(messages, m));
      if (pending.length === 0) return { processed: 0, outbound: [], more: false };

      let state = parseConversationState(conv.state);
      let mode: TurnMode = conv.status;
      let escalated = false;
      let heldInbound = false;
      const handoff: Partial<typeof conversations.$inferInsert> = {};
      const outbound: DrainOutcome['outbound'] = [];
      const failed: number[] = [];
      const replies: { rendered: RenderedReply; language: Language }[] = [];
      const now = svc.clock();

      for (const msg of pending) {
        if (mode === 'human' || mode === 'waiting') heldInbound = true;
        const result = await turn(tx, conv, msg, state, mode, isolated);
        state = result.state;
        for (const effect of result.effects) {
          if (effect.kind === 'handoff') {
            mode = 'waiting';
            escalated = true;
            Object.assign(handoff, { handoffReason: effect.reason, handoffPriority: effect.priority, handedOffAt: now });
            if (effect.researcherGender) handoff.researcherGender = effect.researcherGender;
          } else if (effect.kind === 'researcher-preference') {
            handoff.researcherGender = effect.gender;
          } else if (effect.kind === 'return-to-bot') {
            mode = 'bot';
            Object.assign(handoff, { handoffReason: null, handoffPriority: null, handedOffAt: null, assigneeStaffId: null, researcherGender: null });
          } else if (effect.kind === 'send') {
            outbound.push({ id: effect.messageId, channel: effect.channel, conversationId: effect.conversationId });
          } else {
            await tx.update(messages).set({ text: effect.text }).where(eq(messages.id, msg.id));
          }
        }
        const language: Language = state.language ?? defaultLanguage;
        for (const rendered of result.rendered) replies.push({ rendered, language });
        if (result.failed) failed.push(msg.id);
      }
      // One statement marks the batch processed, saves the state and inserts every turn's replies in turn
      // order. (An action's `send` effect writes into another conversation — an e-mail link code — so no row of
      // this conversation can slip in between.) A failed turn's mark and a handoff's columns, rarer, follow.
      const status = mode === 'resolved' ? conv.status : mode;
      const finished = await runNamed(tx, FINISH_DRAIN, [conversationId, conv.channel, ...replyColumns(replies), now.toISOString(), pending.map((m) => m.id), JSON.stringify(state), status]);
      const written = outboxEntries(finished, { conversationId, channel: conv.channel });
      if (failed.length) await tx.update(messages).set({ error: 'turn failed' }).where(inArray(messages.id, failed));
      if (Object.keys(handoff).length) await tx.update(conversations).set(handoff).where(eq(conversations.id, conversationId));
      outbound.push(...written);
      return { processed: pending.length, outbound, more: pending.length === DRAIN_BATCH, escalated, heldInbound };
    });
  }

  /** Drains a conversation and hands its replies to the outbound queues once the transaction has committed. */
  return async function drainConversation(conversationId: number): Promise<DrainOutcome> {
    let outcome: DrainOutcome;
    try {
      outcome = await drainOnce(conversationId, false);
    } catch (err) {
      svc.log.debug({ err, conversationId }, 'drain aborted; running it again with each turn isolated');
      outcome = await drainOnce(conversationId, true);
    }
    // One request per conversation and channel: its send job sends every reply queued there, in order.
    for (const o of firstOfEachConversation(outcome.outbound)) await svc.queues.enqueueSend(o);
    if (outcome.more) await svc.queues.requestDrain(conversationId);
    if (svc.signal && (outcome.escalated || outcome.heldInbound)) {
      // Committed already: a lost signal costs promptness only (the console's watcher polls as a safety net).
      try {
        if (outcome.escalated) await svc.signal({ kind: 'escalated', conversationId });
        if (outcome.heldInbound) await svc.signal({ kind: 'inbound', conversationId });
      } catch (err) {
        svc.log.warn({ err, conversationId }, 'could not signal the console; its watcher will find the change');
      }
    }
    return outcome;
  };
}

type TurnMode = (typeof conversations.$inferSelect)['status'];

// The drain's own statements, run on every drain (store/named-statement.ts says why they are not drizzle queries).
const LOCK_CONVERSATION = namedStatement('drain_lock_conversation', `select ${columnList(conversations)} from conversations where id = $1 for no key update`);
const PENDING_INBOUND = namedStatement(
  'drain_pending_inbound',
  `select ${columnList(messages)} from messages where conversation_id = $1 and direction = 'in' and status = 'received' order by seq limit $2`,
);
/** Marks the batch processed, saves the state and writes the replies ($1–$4 as in `insertRepliesSql`). */
const FINISH_DRAIN = namedStatement(
  'drain_finish',
  `with processed as (
     update messages set status = 'processed', processed_at = $5::timestamptz, error = null where id = any($6::bigint[])
   ), saved as (
     update conversations set state = $7::jsonb, status = $8, updated_at = $5::timestamptz where id = $1
   )
   ${insertRepliesSql({ conversation: '$1', channel: '$2', texts: '$3', payloads: '$4' })}`,
);
