/**
 * What a researcher does to an escalated chat: claim, release, transfer, reply, resolve, hand back to the bot,
 * note. Every operation is one transaction with its audit row, and ownership changes are conditional UPDATEs,
 * so two researchers can never both hold one chat: the loser's UPDATE matches no row and gets a 409.
 */
import { and, count, eq, isNull } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Content } from '../content/load-content';
import { parseConversationState, type Frame } from '../engine/conversation-state';
import type { QueuedReply, Queues } from '../queue/queues';
import { recordAudit } from '../staff/record-audit';
import { hasRole, type StaffPrincipal } from '../staff/staff-roles';
import type { Db, Tx } from '../store/database';
import { conversations, notes, staff } from '../store/schema';
import type { ReplyRenderer } from '../templating/render-reply';
import { ConflictError, ConsoleError, InvalidInputError, NotFoundError } from '../console/console-errors';
import { randomBytes } from 'node:crypto';
import { MAX_DOCUMENT_BYTES, type DocumentStore } from '../documents/document-store';
import { sniffDocumentType } from '../documents/document-type';
import type { ChannelName } from '../messages/channel-name';
import type { OutboundAttachment } from '../messages/outbound-message';
import { fileDelivery } from '../messages/file-delivery';
import type { FlowStarter } from '../pipeline/start-flow';
import type { EventCounters } from '../observability/event-counters';
import { mayHold } from './routing';
import { writeOutbound } from './write-outbound';

export type ConversationRow = typeof conversations.$inferSelect;

/** A resolved conversation or served request: the surveys module schedules the satisfaction survey. */
export interface SurveySubject {
  kind: 'conversation' | 'request';
  id: number;
  conversationId: number;
  staffId: number | null;
}

export interface ConversationOpsDeps {
  db: Db;
  queues: Pick<Queues, 'enqueueSend'>;
  content: Pick<Content, 'flows' | 'organisation'>;
  renderer: ReplyRenderer;
  log: Logger;
  clock(): Date;
  /** Where files researchers send are kept (the same store as inbound documents); absent = attaching is refused. */
  documents?: DocumentStore;
  /** Runs a flow's start for hand-back into a flow (src/pipeline/start-flow.ts); absent = the flow waits for the next message. */
  startFlow?: FlowStarter;
  /** Wired to surveys/schedule-survey.ts by the composition root; absent = no survey is scheduled. */
  scheduleSurvey?: (subject: SurveySubject) => Promise<void>;
  /** Counts a hand-back that lands in the researchers' queue again as a handoff, for /metrics; absent = not counted. */
  counters?: Pick<EventCounters, 'handoff'>;
}

export class NotHolderError extends ConflictError {
  constructor(conversationId: number, holder: string | null) {
    super(
      holder ? `conversation ${conversationId} is held by ${holder}` : `conversation ${conversationId} is not held by you`,
      'CONV_ERR_NOT_HOLDER',
      { conversationId, holder },
    );
  }
}

async function lockConversation(tx: Tx, id: number): Promise<ConversationRow> {
  const [conv] = await tx.select().from(conversations).where(eq(conversations.id, id)).for('update');
  if (!conv) throw new NotFoundError('conversation', id);
  return conv;
}

async function staffName(tx: Tx, id: number | null): Promise<string | null> {
  if (id === null) return null;
  const [row] = await tx.select({ name: staff.name }).from(staff).where(eq(staff.id, id));
  return row?.name ?? null;
}

/** Refuses when `who` already holds their caseload limit of chats; their staff row is locked so two claims count right. */
async function checkCaseload(tx: Tx, who: { id: number; caseloadLimit: number; name: string }): Promise<void> {
  await tx.select({ id: staff.id }).from(staff).where(eq(staff.id, who.id)).for('update');
  const [held] = await tx
    .select({ n: count() })
    .from(conversations)
    .where(and(eq(conversations.assigneeStaffId, who.id), eq(conversations.status, 'human')));
  if ((held?.n ?? 0) >= who.caseloadLimit) {
    throw new ConflictError(`${who.name} already holds ${who.caseloadLimit} chats (the caseload limit)`, 'CONV_ERR_CASELOAD_FULL', {
      limit: who.caseloadLimit,
    });
  }
}

function languageOf(conv: ConversationRow, fallback: 'ar' | 'en'): 'ar' | 'en' {
  return parseConversationState(conv.state).language ?? fallback;
}

export function createConversationOps(deps: ConversationOpsDeps) {
  const { db } = deps;
  const send = async (queued: QueuedReply[]) => {
    for (const q of queued) await deps.queues.enqueueSend(q);
  };

  /**
   * Queues a staff message on a chat `me` holds: locks the chat, checks the holder, lets `draft` check the chat and
   * build the message, writes it to the outbox, marks the chat updated and audits `action`; sends after commit.
   */
  const sendAsHolder = async (
    me: StaffPrincipal,
    conversationId: number,
    action: 'conversation.reply' | 'conversation.attach',
    draft: (conv: ConversationRow) => Promise<{ text: string; attachment?: OutboundAttachment; details?: Record<string, unknown> }>,
  ): Promise<QueuedReply> => {
    const queued = await db.transaction(async (tx) => {
      const conv = await lockConversation(tx, conversationId);
      if (conv.status !== 'human' || conv.assigneeStaffId !== me.id) throw new NotHolderError(conversationId, await staffName(tx, conv.assigneeStaffId));
      const { text, attachment, details } = await draft(conv);
      const out = await writeOutbound(tx, {
        conversationId,
        channel: conv.channel,
        author: 'staff',
        staffId: me.id,
        text,
        language: languageOf(conv, deps.content.organisation.defaultLanguage),
        ...(attachment ? { attachment } : {}),
      });
      await tx.update(conversations).set({ updatedAt: deps.clock() }).where(eq(conversations.id, conversationId));
      await recordAudit(tx, { staffId: me.id, action, subjectKind: 'conversation', subjectId: conversationId, beneficiaryId: conv.beneficiaryId, details: { messageId: out.id, ...details } });
      return out;
    });
    await send([queued]);
    return queued;
  };

  const mayActOn = (me: StaffPrincipal, conv: ConversationRow) => conv.assigneeStaffId === me.id || hasRole(me.role, 'supervisor');

  return {
    /** Takes a waiting chat. Exactly one of any number of concurrent claims wins; the others get CONV_ERR_ALREADY_CLAIMED. */
    async claim(me: StaffPrincipal, conversationId: number): Promise<ConversationRow> {
      return db.transaction(async (tx) => {
        const [conv] = await tx.select().from(conversations).where(eq(conversations.id, conversationId));
        if (!conv) throw new NotFoundError('conversation', conversationId);
        const verdict = mayHold(me, conv);
        if (!verdict.ok) throw new ConsoleError(verdict.message, verdict.code, 403);
        await checkCaseload(tx, me);
        const [won] = await tx
          .update(conversations)
          .set({ status: 'human', assigneeStaffId: me.id, updatedAt: deps.clock() })
          .where(and(eq(conversations.id, conversationId), eq(conversations.status, 'waiting'), isNull(conversations.assigneeStaffId)))
          .returning();
        if (!won) {
          const [now] = await tx.select().from(conversations).where(eq(conversations.id, conversationId));
          const holder = await staffName(tx, now?.assigneeStaffId ?? null);
          throw new ConflictError(
            holder ? `${holder} has already claimed this conversation` : `this conversation is no longer waiting (it is ${now?.status})`,
            'CONV_ERR_ALREADY_CLAIMED',
            { conversationId, holder, status: now?.status },
          );
        }
        await recordAudit(tx, { staffId: me.id, action: 'conversation.claim', subjectKind: 'conversation', subjectId: conversationId, beneficiaryId: conv.beneficiaryId });
        return won;
      });
    },

    /** Puts a held chat back in the waiting queue. */
    async release(me: StaffPrincipal, conversationId: number): Promise<ConversationRow> {
      return db.transaction(async (tx) => {
        const conv = await lockConversation(tx, conversationId);
        if (conv.status !== 'human' || !mayActOn(me, conv)) throw new NotHolderError(conversationId, await staffName(tx, conv.assigneeStaffId));
        const [row] = await tx
          .update(conversations)
          .set({ status: 'waiting', assigneeStaffId: null, updatedAt: deps.clock() })
          .where(eq(conversations.id, conversationId))
          .returning();
        await recordAudit(tx, { staffId: me.id, action: 'conversation.release', subjectKind: 'conversation', subjectId: conversationId, beneficiaryId: conv.beneficiaryId });
        return row!;
      });
    },

    /** Hands a held chat to a colleague (a supervisor may also assign a waiting one), honouring routing and caseload. */
    async transfer(me: StaffPrincipal, conversationId: number, toStaffId: number): Promise<ConversationRow> {
      return db.transaction(async (tx) => {
        const conv = await lockConversation(tx, conversationId);
        const assignable = conv.status === 'human' || (conv.status === 'waiting' && hasRole(me.role, 'supervisor'));
        if (!assignable || !mayActOn(me, conv)) throw new NotHolderError(conversationId, await staffName(tx, conv.assigneeStaffId));
        const [target] = await tx.select().from(staff).where(and(eq(staff.id, toStaffId), eq(staff.active, true)));
        if (!target) throw new NotFoundError('staff member', toStaffId);
        const verdict = mayHold(target, conv);
        if (!verdict.ok) throw new ConsoleError(`${target.name} cannot take this chat: ${verdict.message}`, verdict.code, 409);
        await checkCaseload(tx, target);
        const [row] = await tx
          .update(conversations)
          .set({ status: 'human', assigneeStaffId: target.id, updatedAt: deps.clock() })
          .where(eq(conversations.id, conversationId))
          .returning();
        await recordAudit(tx, {
          staffId: me.id,
          action: 'conversation.transfer',
          subjectKind: 'conversation',
          subjectId: conversationId,
          beneficiaryId: conv.beneficiaryId,
          details: { from: conv.assigneeStaffId, to: target.id },
        });
        return row!;
      });
    },

    /** Sends the researcher's text through the beneficiary's own channel (outbox + outbound queue). */
    async reply(me: StaffPrincipal, conversationId: number, text: string): Promise<QueuedReply> {
      return sendAsHolder(me, conversationId, 'conversation.reply', async () => ({ text }));
    },

    /**
     * Sends a file to the beneficiary through their channel: checked like an inbound document (at most 10 MB, and
     * by its bytes a JPEG, PNG, WebP or PDF, whatever its name claims), kept in the document store, queued as a
     * staff message carrying the file, and audited. SMS cannot carry one (src/messages/file-delivery.ts).
     */
    async attach(me: StaffPrincipal, conversationId: number, file: { fileName: string; bytes: Buffer; caption?: string | undefined }): Promise<QueuedReply> {
      const documents = deps.documents;
      if (!documents) throw new ConsoleError('this server has no document store for attachments', 'CONV_ERR_NO_DOCUMENT_STORE', 503);
      if (file.bytes.length === 0) throw new InvalidInputError('the file is empty', { fileName: file.fileName });
      if (file.bytes.length > MAX_DOCUMENT_BYTES) {
        throw new InvalidInputError(`the file is larger than ${MAX_DOCUMENT_BYTES / 1024 / 1024} MB`, { fileName: file.fileName, sizeBytes: file.bytes.length });
      }
      const mimeType = sniffDocumentType(file.bytes);
      if (!mimeType) throw new InvalidInputError('only JPEG, PNG or WebP images and PDF files can be sent (checked by content, not by name)', { fileName: file.fileName });
      return sendAsHolder(me, conversationId, 'conversation.attach', async (conv) => {
        if (fileDelivery[conv.channel as ChannelName] === 'none') {
          throw new ConflictError(
            `the beneficiary is on ${conv.channel}, which cannot carry files; send it on another channel or hand it over in an off-line contact`,
            'CONV_ERR_CHANNEL_CANNOT_SEND_FILES',
            { channel: conv.channel },
          );
        }
        const storageKey = await documents.save(file.bytes);
        const attachment = { storageKey, fileName: file.fileName, mimeType, sizeBytes: file.bytes.length, token: randomBytes(32).toString('hex') };
        return { text: file.caption?.trim() ?? '', attachment, details: { fileName: file.fileName, mimeType, sizeBytes: file.bytes.length } };
      });
    },

    /**
     * Closes the chat. With `survey` the satisfaction survey is scheduled (policy practice 3: after every
     * service); without it a reason is required and recorded.
     */
    async resolve(me: StaffPrincipal, conversationId: number, opts: { survey: boolean; reason?: string | undefined }): Promise<{ conversation: ConversationRow; surveyScheduled: boolean }> {
      if (!opts.survey && !opts.reason?.trim()) throw new InvalidInputError('say why no survey is sent (reason)');
      const conversation = await db.transaction(async (tx) => {
        const conv = await lockConversation(tx, conversationId);
        if (!['human', 'waiting'].includes(conv.status) || !mayActOn(me, conv)) {
          throw new NotHolderError(conversationId, await staffName(tx, conv.assigneeStaffId));
        }
        const now = deps.clock();
        const [row] = await tx
          .update(conversations)
          .set({ status: 'resolved', resolvedAt: now, updatedAt: now, resolutionNote: opts.reason?.trim() || null, assigneeStaffId: conv.assigneeStaffId ?? me.id })
          .where(eq(conversations.id, conversationId))
          .returning();
        await recordAudit(tx, {
          staffId: me.id,
          action: 'conversation.resolve',
          subjectKind: 'conversation',
          subjectId: conversationId,
          beneficiaryId: conv.beneficiaryId,
          details: { survey: opts.survey, reason: opts.reason ?? null },
        });
        return row!;
      });
      let surveyScheduled = false;
      if (opts.survey && deps.scheduleSurvey) {
        // After commit: the survey must never be scheduled for a resolve that rolled back.
        await deps.scheduleSurvey({ kind: 'conversation', id: conversationId, conversationId, staffId: conversation.assigneeStaffId });
        surveyScheduled = true;
      }
      return { conversation, surveyScheduled };
    },

    /**
     * Gives the chat back to the bot and tells the beneficiary. Into a chosen flow, the flow starts at once in the
     * same transaction (under the drain's row lock), so its first question follows the notice without the
     * beneficiary writing first; their next message answers it.
     */
    async handBack(me: StaffPrincipal, conversationId: number, opts: { flow?: string | undefined }): Promise<ConversationRow> {
      let frame: Frame | null = null;
      if (opts.flow) {
        const loaded = deps.content.flows.get(opts.flow);
        if (!loaded) throw new InvalidInputError(`no flow named "${opts.flow}"`, { flow: opts.flow });
        frame = { flow: opts.flow, revision: loaded.revision, step: loaded.flow.start, data: {}, sealed: {}, files: {}, history: [], returnTo: null, attempts: 0, offeringHuman: false };
      }
      const { row, queued, handedOff } = await db.transaction(async (tx) => {
        const conv = await lockConversation(tx, conversationId);
        if (!['human', 'waiting'].includes(conv.status) || !mayActOn(me, conv)) {
          throw new NotHolderError(conversationId, await staffName(tx, conv.assigneeStaffId));
        }
        const now = deps.clock();
        const lang = languageOf(conv, deps.content.organisation.defaultLanguage);
        const notice = await writeOutbound(tx, {
          conversationId,
          channel: conv.channel,
          author: 'system',
          staffId: me.id,
          text: deps.renderer.text('handoff.returned-to-bot', lang, conv.channel),
          language: lang,
          template: 'handoff.returned-to-bot',
        });
        const released = { status: 'bot' as const, assigneeStaffId: null, handoffReason: null, handoffPriority: null, handedOffAt: null, researcherGender: null };
        let update: Partial<typeof conversations.$inferInsert>;
        const queued: QueuedReply[] = [notice];
        if (opts.flow && deps.startFlow) {
          const started = await deps.startFlow(tx, { ...conv, ...released, state: { ...parseConversationState(conv.state), frame: null, misses: 0 } }, opts.flow, now);
          queued.push(...started.outbound.map((o) => ({ ...o, conversationId })));
          update = { ...released, state: started.state, updatedAt: now };
          if (started.handoff) {
            // Handed back into the researcher flow: the chat waits in the queue again, as a new escalation.
            Object.assign(update, { status: 'waiting', handoffReason: started.handoff.reason, handoffPriority: started.handoff.priority, handedOffAt: now, researcherGender: started.handoff.researcherGender ?? null });
          }
        } else {
          update = { ...released, state: { ...parseConversationState(conv.state), frame, misses: 0 }, updatedAt: now };
        }
        const [row] = await tx.update(conversations).set(update).where(eq(conversations.id, conversationId)).returning();
        await recordAudit(tx, {
          staffId: me.id,
          action: 'conversation.hand-back',
          subjectKind: 'conversation',
          subjectId: conversationId,
          beneficiaryId: conv.beneficiaryId,
          details: { flow: opts.flow ?? null },
        });
        return { row: row!, queued, handedOff: row!.status === 'waiting' };
      });
      // After commit: a rolled-back hand-back handed nothing off.
      if (handedOff) deps.counters?.handoff();
      await send(queued);
      return row;
    },

    /** Records the beneficiary's wish for a female or a male researcher (or clears it); claim and transfer honour it. */
    async setResearcherGender(me: StaffPrincipal, conversationId: number, gender: 'female' | 'male' | null): Promise<ConversationRow> {
      return db.transaction(async (tx) => {
        const conv = await lockConversation(tx, conversationId);
        const [row] = await tx.update(conversations).set({ researcherGender: gender }).where(eq(conversations.id, conversationId)).returning();
        await recordAudit(tx, {
          staffId: me.id,
          action: 'conversation.preference',
          subjectKind: 'conversation',
          subjectId: conversationId,
          beneficiaryId: conv.beneficiaryId,
          details: { researcherGender: gender },
        });
        return row!;
      });
    },

    /** An internal note on the beneficiary's record (and this chat); never sent to the beneficiary. */
    async addNote(me: StaffPrincipal, target: { beneficiaryId: number; conversationId?: number | null }, text: string): Promise<typeof notes.$inferSelect> {
      return db.transaction(async (tx) => {
        const [row] = await tx
          .insert(notes)
          .values({ beneficiaryId: target.beneficiaryId, conversationId: target.conversationId ?? null, staffId: me.id, text })
          .returning();
        await recordAudit(tx, {
          staffId: me.id,
          action: 'note.add',
          subjectKind: target.conversationId ? 'conversation' : 'beneficiary',
          subjectId: target.conversationId ?? target.beneficiaryId,
          beneficiaryId: target.beneficiaryId,
          details: { noteId: row!.id },
        });
        return row!;
      });
    },
  };
}

export type ConversationOps = ReturnType<typeof createConversationOps>;
