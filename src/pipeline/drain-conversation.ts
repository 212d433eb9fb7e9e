/**
 * Step 2 of the path of one message (ARCHITECTURE.md): take every unprocessed inbound message of one
 * conversation in arrival order, run the engine on each, and in ONE transaction save the new state, mark the
 * messages processed and write the replies as `queued` outbound rows (a transactional outbox). The row lock on
 * the conversation — or, on the optimistic path most drains take, a save that applies only to the row version
 * read (ADR 0010) — makes this correct for any number of workers on any number of machines; the queue's
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
  /** How it was saved: without a lock, checked against the row version (ADR 0010), or under the row lock. */
  path?: 'optimistic' | 'transactional';
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
        if (isHeld(mode)) heldInbound = true;
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
      return { processed: pending.length, outbound, more: pending.length === DRAIN_BATCH, escalated, heldInbound, path: 'transactional' };
    });
  }

  /**
   * The drain most messages need, in two round trips instead of five (ADR 0010): read the conversation and its
   * pending messages without a lock, run the turns, then save everything in one statement that applies only if
   * the conversation row is still the version read (its `xmin`). Null — nothing written — when the drain needs
   * the transactional path: a turn that reaches for the database (an action) or has effects to apply, a turn
   * that throws, or a conversation changed meanwhile (a console action, another drain).
   */
  async function drainOptimistically(conversationId: number): Promise<DrainOutcome | null> {
    const rows = await runNamed(svc.db, READ_FOR_DRAIN, [conversationId, DRAIN_BATCH]);
    const first = rows[0];
    if (!first) return { processed: 0, outbound: [], more: false };
    const conv = rowOf(conversations, first, 'c_');
    const pending = rows.filter((r) => r.id !== null).map((r) => rowOf(messages, r));
    if (pending.length === 0) return { processed: 0, outbound: [], more: false };
    let state = parseConversationState(conv.state);
    const replies: { rendered: RenderedReply; language: Language }[] = [];
    const now = svc.clock();
    const standIn = standInTransaction();
    for (const msg of pending) {
      let result;
      try {
        result = await turn(standIn.tx, conv, msg, state, conv.status, false);
      } catch (err) {
        if (!(err instanceof NeedsTransaction)) svc.log.debug({ err, conversationId }, 'a turn failed; the transactional drain takes over');
        return null;
      }
      if (standIn.used() || result.effects.length > 0) return null;
      state = result.state;
      const language: Language = state.language ?? defaultLanguage;
      for (const rendered of result.rendered) replies.push({ rendered, language });
    }
    const written = await saveDrainIfUnchanged(svc.db, {
      conversationId,
      channel: conv.channel,
      replies,
      now,
      messageIds: pending.map((m) => m.id),
      state,
      status: conv.status,
      version: String(first.c_xmin),
    });
    if (!written) return null;
    return { processed: pending.length, outbound: written, more: pending.length === DRAIN_BATCH, heldInbound: isHeld(conv.status), path: 'optimistic' };
  }

  /** Drains a conversation and hands its replies to the outbound queues once the transaction has committed. */
  return async function drainConversation(conversationId: number): Promise<DrainOutcome> {
    let outcome = await drainOptimistically(conversationId);
    if (!outcome) {
      try {
        outcome = await drainOnce(conversationId, false);
      } catch (err) {
        svc.log.debug({ err, conversationId }, 'drain aborted; running it again with each turn isolated');
        outcome = await drainOnce(conversationId, true);
      }
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

/** A researcher holds the chat or is awaited: messages are taken without a bot reply, and the console told. */
const isHeld = (mode: TurnMode) => mode === 'human' || mode === 'waiting';

/**
 * The optimistic drain's one write (FINISH_IF_UNCHANGED): marks `messageIds` processed, saves `state` and
 * `status`, writes the replies — or, if the conversation row is no longer `version`, nothing at all (null).
 */
export async function saveDrainIfUnchanged(
  db: Db,
  d: {
    conversationId: number;
    channel: string;
    replies: readonly { rendered: RenderedReply; language: Language }[];
    now: Date;
    messageIds: number[];
    state: ConversationState;
    status: TurnMode;
    version: string;
  },
): Promise<QueuedReply[] | null> {
  const [finished] = await runNamed(db, FINISH_IF_UNCHANGED, [
    d.conversationId,
    d.channel,
    ...replyColumns(d.replies),
    d.now.toISOString(),
    d.messageIds,
    JSON.stringify(d.state),
    d.status,
    d.version,
  ]);
  if (!finished?.saved) return null;
  const ids = (finished.ids as (string | number)[] | null) ?? [];
  return outboxEntries(ids.map((id) => ({ id })), { conversationId: d.conversationId, channel: d.channel });
}

/** What the optimistic drain's stand-in transaction throws when a turn reaches for the database. */
class NeedsTransaction extends Error {
  constructor() {
    super('this turn needs the transactional drain');
    this.name = 'NeedsTransaction';
  }
}

/**
 * Handed to the turns of an optimistic drain: any use of it throws and is remembered, so the drain goes down the
 * transactional path even if an action caught the error and carried on.
 */
function standInTransaction(): { tx: Tx; used(): boolean } {
  let used = false;
  const tx = new Proxy({} as Tx, {
    get() {
      used = true;
      throw new NeedsTransaction();
    },
  });
  return { tx, used: () => used };
}

// The drain's own statements, run on every drain (store/named-statement.ts says why they are not drizzle queries).
const LOCK_CONVERSATION = namedStatement('drain_lock_conversation', `select ${columnList(conversations)} from conversations where id = $1 for no key update`);
/** A conversation's unprocessed inbound messages, in arrival order, at most $2. */
const pendingInboundSql = (conversation: string) =>
  `select ${columnList(messages)} from messages
   where conversation_id = ${conversation} and direction = 'in' and status = 'received' order by seq limit $2`;
const PENDING_INBOUND = namedStatement('drain_pending_inbound', pendingInboundSql('$1'));
/**
 * The conversation (its columns prefixed `c_`, and its row version) with its pending messages, one row each; one
 * row with null message columns when none is pending. No lock: FINISH_IF_UNCHANGED checks the version.
 */
const READ_FOR_DRAIN = namedStatement(
  'drain_read',
  `select c.xmin::text as c_xmin, ${columnList(conversations, { from: 'c', prefix: 'c_' })}, ${columnList(messages, { from: 'm' })}
   from conversations c
   left join lateral (${pendingInboundSql('c.id')}) m on true
   where c.id = $1
   order by m.seq`,
);
/**
 * The save both paths make ($1–$8): mark the batch processed, save the state and status, write the replies
 * ($1–$4 as in `insertRepliesSql`) — every part only if `onlyIf` holds, when given. Its last part, the insert,
 * returns the replies' ids.
 */
const saveDrainSql = (onlyIf?: string) => {
  const and = onlyIf ? ` and ${onlyIf}` : '';
  return `processed as (
     update messages set status = 'processed', processed_at = $5::timestamptz, error = null
     where id = any($6::bigint[]) and status = 'received'${and}
   ), saved as (
     update conversations set state = $7::jsonb, status = $8, updated_at = $5::timestamptz where id = $1${and}
   ), inserted as (
     ${insertRepliesSql({ conversation: '$1', channel: '$2', texts: '$3', payloads: '$4', ...(onlyIf ? { onlyIf } : {}) })}
   )`;
};
/** Under the row lock (the transactional drain). */
const FINISH_DRAIN = namedStatement('drain_finish', `with ${saveDrainSql()} select id from inserted`);
/**
 * The same, applied only if the conversation row is still version $9: the row is locked for the statement and, in
 * READ COMMITTED, re-checked against its newest version, so a drain or a console action that changed it since
 * the read (or is changing it now) makes the whole statement write nothing. `saved` says which happened.
 */
const FINISH_IF_UNCHANGED = namedStatement(
  'drain_finish_if_unchanged',
  `with unchanged as (
     select id from conversations where id = $1 and xmin = $9::text::xid for no key update
   ), ${saveDrainSql('exists (select 1 from unchanged)')}
   select exists (select 1 from unchanged) as saved, (select array_agg(id order by id) from inserted) as ids`,
);
