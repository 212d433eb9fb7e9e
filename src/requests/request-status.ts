/**
 * A researcher or the committee changes a request's status (under review, needs information, approved,
 * rejected, served) with a reason, and the beneficiary is told on their own channel, in their language, without
 * having to ask (the policy's general goal). The notice goes into the beneficiary's open conversation, or a new
 * one on the contact they last used, through the same outbox and outbound queue as every other message.
 */
import { and, desc, eq, ne } from 'drizzle-orm';
import { z } from 'zod';
import type { Organisation } from '../config/organisation-schema';
import { ConflictError, NotFoundError } from '../console/console-errors';
import { writeOutbound } from '../conversations/write-outbound';
import type { SurveySubject } from '../conversations/conversation-ops';
import { parseConversationState } from '../engine/conversation-state';
import type { QueuedReply, Queues } from '../queue/queues';
import { recordAudit } from '../staff/record-audit';
import type { Db, Tx } from '../store/database';
import { beneficiaries, contacts, conversations, requests, requestStatusHistory } from '../store/schema';
import type { ReplyRenderer } from '../templating/render-reply';

/** The statuses staff set; `submitted` is the flow's and `cancelled` the beneficiary's. */
export const staffRequestStatuses = ['under-review', 'needs-info', 'approved', 'rejected', 'served'] as const;
export const staffRequestStatusSchema = z.enum(staffRequestStatuses);
export type StaffRequestStatus = z.infer<typeof staffRequestStatusSchema>;

/** The template told to the beneficiary for each status (templates/*.yaml `request-status.*`). */
export const statusNoticeTemplate = (status: StaffRequestStatus) => `request-status.${status}`;

export interface RequestStatusDeps {
  db: Db;
  queues: Pick<Queues, 'enqueueSend'>;
  renderer: ReplyRenderer;
  organisation: Organisation;
  clock(): Date;
  scheduleSurvey?: (subject: SurveySubject) => Promise<void>;
}

export interface StatusChange {
  requestId: number;
  to: StaffRequestStatus;
  reason: string;
  actorStaffId: number;
}

export interface StatusChangeResult {
  requestId: number;
  from: string;
  to: StaffRequestStatus;
  /** The message that tells the beneficiary; null when they have no reachable contact (all opted out). */
  notice: QueuedReply | null;
  surveyScheduled: boolean;
}

const UNIQUE_VIOLATION = '23505';

export async function changeRequestStatus(deps: RequestStatusDeps, change: StatusChange): Promise<StatusChangeResult> {
  const result = await deps.db.transaction(async (tx) => {
    const [req] = await tx.select().from(requests).where(eq(requests.id, change.requestId)).for('update');
    if (!req) throw new NotFoundError('request', change.requestId);
    if (req.status === change.to) throw new ConflictError(`request ${req.referenceNumber} is already ${change.to}`, 'REQUEST_ERR_SAME_STATUS');
    if (req.status === 'cancelled') throw new ConflictError(`request ${req.referenceNumber} was cancelled`, 'REQUEST_ERR_CANCELLED');
    const now = deps.clock();
    await tx.update(requests).set({ status: change.to, updatedAt: now }).where(eq(requests.id, req.id));
    await tx.insert(requestStatusHistory).values({ requestId: req.id, fromStatus: req.status, toStatus: change.to, reason: change.reason, actorStaffId: change.actorStaffId, at: now });
    const notice = await tellBeneficiary(tx, deps, {
      beneficiaryId: req.beneficiaryId,
      template: statusNoticeTemplate(change.to),
      params: { referenceNumber: req.referenceNumber, reason: change.reason },
      staffId: change.actorStaffId,
    });
    await recordAudit(tx, {
      staffId: change.actorStaffId,
      action: 'request.status-change',
      subjectKind: 'request',
      subjectId: req.id,
      beneficiaryId: req.beneficiaryId,
      details: { from: req.status, to: change.to, reason: change.reason, noticeMessageId: notice?.id ?? null },
    });
    return { requestId: req.id, from: req.status, to: change.to, notice, conversationId: req.conversationId };
  });
  if (result.notice) await deps.queues.enqueueSend(result.notice);
  let surveyScheduled = false;
  // Policy step 7: the "served" state triggers the satisfaction survey.
  if (change.to === 'served' && deps.scheduleSurvey) {
    const conversationId = result.conversationId ?? result.notice?.conversationId;
    if (conversationId) {
      await deps.scheduleSurvey({ kind: 'request', id: result.requestId, conversationId, staffId: change.actorStaffId });
      surveyScheduled = true;
    }
  }
  return { requestId: result.requestId, from: result.from, to: result.to, notice: result.notice, surveyScheduled };
}

/**
 * Writes a proactive message to a beneficiary: into their open conversation if they have one, else into a new
 * conversation on the contact they wrote from last. The language is the one they last chose in a conversation.
 */
export async function tellBeneficiary(
  tx: Tx,
  deps: Pick<RequestStatusDeps, 'renderer' | 'organisation'>,
  m: { beneficiaryId: number; template: string; params: Record<string, string | number>; staffId: number | null },
): Promise<QueuedReply | null> {
  const reachable = and(eq(conversations.beneficiaryId, m.beneficiaryId), eq(contacts.optedOut, false));
  const [latest] = await tx
    .select({ conv: conversations })
    .from(conversations)
    .innerJoin(contacts, eq(contacts.id, conversations.contactId))
    .where(reachable)
    .orderBy(desc(conversations.updatedAt), desc(conversations.id))
    .limit(1);
  const [open] = await tx
    .select({ conv: conversations })
    .from(conversations)
    .innerJoin(contacts, eq(contacts.id, conversations.contactId))
    .where(and(reachable, ne(conversations.status, 'resolved')))
    .orderBy(desc(conversations.updatedAt), desc(conversations.id))
    .limit(1);
  const [beneficiary] = await tx.select({ language: beneficiaries.language }).from(beneficiaries).where(eq(beneficiaries.id, m.beneficiaryId));
  const chosen = latest ? parseConversationState(latest.conv.state).language : undefined;
  const lang = chosen ?? (beneficiary?.language === 'en' ? 'en' : beneficiary?.language === 'ar' ? 'ar' : deps.organisation.defaultLanguage);

  let target = open?.conv;
  if (!target) {
    const [contact] = await tx
      .select()
      .from(contacts)
      .where(and(eq(contacts.beneficiaryId, m.beneficiaryId), eq(contacts.optedOut, false)))
      .orderBy(desc(contacts.lastSeenAt))
      .limit(1);
    if (!contact) return null;
    target = await openConversation(tx, contact, lang);
  }
  return writeOutbound(tx, {
    conversationId: target.id,
    channel: target.channel,
    author: 'system',
    staffId: m.staffId,
    text: deps.renderer.text(m.template, lang, target.channel, m.params),
    language: lang,
    template: m.template,
    // A notice the beneficiary should not wait for: kept ready in its short SMS form, in case its own channel
    // cannot deliver in time (the WhatsApp session down; channels/whatsapp/sms-fallback.ts).
    ...(target.channel !== 'sms' ? { smsText: deps.renderer.text(m.template, lang, 'sms', m.params) } : {}),
  });
}

/** A new bot conversation for a contact; if the beneficiary wrote in at the same moment, theirs is used. */
async function openConversation(tx: Tx, contact: typeof contacts.$inferSelect, lang: 'ar' | 'en'): Promise<typeof conversations.$inferSelect> {
  try {
    return await tx.transaction(async (sp) => {
      const [row] = await sp
        .insert(conversations)
        .values({ contactId: contact.id, beneficiaryId: contact.beneficiaryId, channel: contact.channel, state: { language: lang } })
        .returning();
      return row!;
    });
  } catch (err) {
    if (pgCode(err) !== UNIQUE_VIOLATION) throw err;
    const [row] = await tx
      .select()
      .from(conversations)
      .where(and(eq(conversations.contactId, contact.id), ne(conversations.status, 'resolved')))
      .limit(1);
    if (!row) throw err;
    return row;
  }
}

function pgCode(err: unknown): string | undefined {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (typeof e.code === 'string') return e.code;
  }
  return undefined;
}
