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
import type { Db, DbOrTx, Tx } from '../store/database';
import { groupCommit } from '../store/group-commit';
import { columnList, namedStatement, rowOf, runNamed } from '../store/named-statement';
import { conversations, messages } from '../store/schema';
import type { RenderedReply, ReplyRenderer } from '../templating/render-reply';
import { prepareSurveyAnswer, surveyLinkApplies } from '../surveys/survey-answer';
import type { Language } from '../templating/template-catalog';
import { z } from 'zod';
import { createEngineDepsFactory } from './engine-deps';
import { outboxEntries, replyColumns } from './outbox';
import type { SignalConversation } from './conversation-signals';
import type { EventCounters } from '../observability/event-counters';

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
  /** Counts handoffs for /metrics once they have committed; absent = not counted. */
  counters?: Pick<EventCounters, 'handoff'>;
  /** How many concurrent drains may share one statement (ADR 0011); 1 gathers nothing. */
  statementBatch: number;
}

export interface DrainOutcome {
  processed: number;
  /** The replies written: this conversation's, and any an action wrote into another (an e-mail link code). */
  outbound: QueuedReply[];
  more: boolean;
  /** A handoff happened in this drain (a new escalation, or a waiting chat became urgent). */
  escalated?: boolean;
  /** Conversations this drain moved from the bot to the researchers' queue (a waiting chat turning urgent is none). */
  handoffs?: number;
  /** Inbound messages were taken while a researcher holds or is awaited for the chat. */
  heldInbound?: boolean;
  /** How it was saved: without a lock, checked against the row version (ADR 0010), or under the row lock. */
  path?: 'optimistic' | 'transactional';
}

const payloadMediaSchema = z.object({ media: z.array(inboundMediaSchema).default([]) });

export function createEngineDrain(svc: EngineServices) {
  const engineDeps = createEngineDepsFactory(svc);
  const defaultLanguage = svc.content.organisation.defaultLanguage;
  // The optimistic drain's two statements, gathered across this process's concurrent drains (ADR 0011).
  const readForDrain = groupCommit<number, Record<string, unknown>[]>({
    maxBatch: svc.statementBatch,
    keysOf: (conversationId) => [conversationId],
    run: (ids) => readDrains(svc.db, ids),
  });
  const saveIfUnchanged = groupCommit<DrainSave, QueuedReply[] | null>({
    maxBatch: svc.statementBatch,
    keysOf: (save) => [save.conversationId],
    run: (saves) => saveDrainsIfUnchanged(svc.db, saves),
  });

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
      let handoffs = 0;
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
            if (!isHeld(mode)) handoffs++;
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
      // The optimistic drain's statement, with no version to check: this transaction holds the row.
      const [written] = await saveDrainsIfUnchanged(tx, [
        { conversationId, channel: conv.channel, replies, now, messageIds: pending.map((m) => m.id), state, status, version: null },
      ]);
      if (!written) throw new Error(`conversation ${conversationId} was not saved under its own row lock`);
      if (failed.length) await tx.update(messages).set({ error: 'turn failed' }).where(inArray(messages.id, failed));
      if (Object.keys(handoff).length) await tx.update(conversations).set(handoff).where(eq(conversations.id, conversationId));
      outbound.push(...written);
      return { processed: pending.length, outbound, more: pending.length === DRAIN_BATCH, escalated, handoffs, heldInbound, path: 'transactional' };
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
    const rows = await readForDrain(conversationId);
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
    const written = await saveIfUnchanged({
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
    if (outcome.handoffs) svc.counters?.handoff(outcome.handoffs);
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

/** What the optimistic drain saves of one conversation: `saveDrainsIfUnchanged` writes it only at `version`. */
export interface DrainSave {
  conversationId: number;
  channel: string;
  replies: readonly { rendered: RenderedReply; language: Language }[];
  now: Date;
  messageIds: number[];
  state: ConversationState;
  status: TurnMode;
  /** The conversation row's `xmin` when it was read; null under the row lock (the transactional drain). */
  version: string | null;
}

/**
 * A drain's one write (FINISH_DRAIN), for several conversations in one statement: for each, marks its messages
 * processed, saves its state and status, writes its replies — or, if its row is no longer `version`, nothing of
 * it (null). Conversations are independent: one changed meanwhile costs the others nothing. Both drains use it,
 * so the two paths cannot drift apart: the optimistic one gathered (ADR 0011), the transactional one for its
 * conversation alone, inside its transaction.
 */
export async function saveDrainsIfUnchanged(db: DbOrTx, saves: readonly DrainSave[]): Promise<(QueuedReply[] | null)[]> {
  const replies = saves.flatMap((d) => d.replies.map((r) => ({ conversationId: d.conversationId, channel: d.channel, ...r })));
  const [texts, payloads] = replyColumns(replies);
  const rows = await runNamed(db, FINISH_DRAIN, [
    saves.map((d) => d.conversationId),
    saves.map((d) => d.version),
    saves.map((d) => JSON.stringify(d.state)),
    saves.map((d) => d.status),
    saves.map((d) => d.now.toISOString()),
    saves.flatMap((d) => d.messageIds),
    replies.map((r) => r.conversationId),
    replies.map((r) => r.channel),
    texts,
    payloads,
  ]);
  const byConversation = new Map(rows.map((r) => [Number(r.conversation_id), r]));
  return saves.map((d) => {
    const row = byConversation.get(d.conversationId);
    if (!row?.saved) return null;
    const ids = (row.ids as (string | number)[] | null) ?? [];
    return outboxEntries(ids.map((id) => ({ id })), { conversationId: d.conversationId, channel: d.channel });
  });
}

/**
 * READ_FOR_DRAIN's rows for each of `conversationIds`, in their order: a conversation's rows as the optimistic
 * drain reads them, none when it does not exist.
 */
async function readDrains(db: Db, conversationIds: number[]): Promise<Record<string, unknown>[][]> {
  const rows = await runNamed(db, READ_FOR_DRAIN, [conversationIds, DRAIN_BATCH]);
  const byConversation = new Map<number, Record<string, unknown>[]>();
  for (const row of rows) {
    const id = Number(row.c_id);
    const list = byConversation.get(id);
    if (list) list.push(row);
    else byConversation.set(id, [row]);
  }
  return conversationIds.map((id) => byConversation.get(id) ?? []);
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
 * Each conversation of $1 (its columns prefixed `c_`, and its row version) with its pending messages, one row
 * each; one row with null message columns when none is pending. No lock: FINISH_DRAIN checks the version.
 */
const READ_FOR_DRAIN = namedStatement(
  'drain_read_many',
  `select c.xmin::text as c_xmin, ${columnList(conversations, { from: 'c', prefix: 'c_' })}, ${columnList(messages, { from: 'm' })}
   from unnest($1::bigint[]) as q(id)
   join conversations c on c.id = q.id
   left join lateral (${pendingInboundSql('c.id')}) m on true
   order by c.id, m.seq`,
);
/**
 * The save of both drains, for several conversations at once, each applied only if its row is still the version
 * read (or, with a null version, under the caller's row lock, as it stands). $1–$5 one entry per conversation
 * (id, version, state, status, time); $6 every message to mark, of any of them; $7–$10 one entry per reply
 * (conversation, channel, text, payload), in the order they were said.
 *
 * Each row is locked for the statement and, in READ COMMITTED, re-checked against its newest version, so a drain
 * or a console action that changed it since the read makes the statement write nothing of that conversation.
 * SKIP LOCKED: a row someone else holds is being changed (or may be), and waiting for it here would hold up every
 * other conversation in the batch; that conversation is not saved and its drain takes the transactional path,
 * which waits for the lock on its own (a transaction's own lock is never skipped). Rows are locked in id order,
 * so two batches cannot deadlock.
 */
const FINISH_DRAIN = namedStatement(
  'drain_finish_many',
  `with input as (
     select * from unnest($1::bigint[], $2::text[], $3::jsonb[], $4::text[], $5::timestamptz[]) as i(id, version, state, status, at)
   ), unchanged as (
     select c.id from conversations c join input i on i.id = c.id
     where i.version is null or c.xmin = i.version::xid
     order by c.id
     for no key update of c skip locked
   ), processed as (
     -- direction 'in' lets the pending-inbound index serve: without it each conversation's whole history was read.
     update messages m set status = 'processed', processed_at = i.at, error = null
     from input i
     where m.id = any($6::bigint[]) and m.conversation_id = i.id and m.direction = 'in' and m.status = 'received'
       and i.id in (select id from unchanged)
   ), saved as (
     update conversations c set state = i.state, status = i.status, updated_at = i.at
     from input i
     where c.id = i.id and i.id in (select id from unchanged)
   ), inserted as (
     insert into messages (conversation_id, direction, channel, author, text, payload, status)
     select r.conversation_id, 'out', r.channel, 'bot', r.text, r.payload, 'queued'
     from unnest($7::bigint[], $8::text[], $9::text[], $10::jsonb[]) with ordinality as r(conversation_id, channel, text, payload, ord)
     where r.conversation_id in (select id from unchanged)
     order by r.ord
     returning id, conversation_id
   )
   select i.id as conversation_id, exists (select 1 from unchanged u where u.id = i.id) as saved,
     (select array_agg(x.id order by x.id) from inserted x where x.conversation_id = i.id) as ids
   from input i`,
);
