/**
 * A deletion request carried out (PDPL right to erasure): the person's identifying data is erased or replaced
 * everywhere, except what a legal hold keeps (docs/privacy.md):
 *   - requests still under study (not served, rejected or cancelled): kept whole until decided, because the
 *     committee must decide on what was submitted and the decision must be traceable; the first retention run
 *     after the decision anonymises them as this does (privacy/retention.ts);
 *   - the audit log: who looked at or changed the file is the accountability record the law asks for;
 *   - consent records: the proof of what was agreed, which holds no personal data beyond the answer.
 * Rows stay (anonymised) so counts, reports and references keep adding up.
 */
import { and, eq, inArray, notInArray, sql } from 'drizzle-orm';
import type { DbOrTx, Tx } from '../store/database';
import {
  beneficiaries,
  contacts,
  conversations,
  dataRequests,
  emailThreads,
  followUpTasks,
  messages,
  notes,
  offlineContacts,
  requestDocuments,
  requests,
  surveys,
  volunteers,
} from '../store/schema';
import { mediaKeys } from './orphan-documents';

export const CLOSED_REQUEST_STATUSES = ['served', 'rejected', 'cancelled'] as const;
const ERASED = '(erased)';

export interface ErasureOutcome {
  erasedAt: string;
  messages: number;
  requestsAnonymised: string[];
  /** Reference numbers kept whole under legal hold (still under study). */
  requestsHeld: string[];
  documentsRemoved: number;
  filesRemoved: number;
  kept: string[];
}

type RequestRow = typeof requests.$inferSelect;

/** The legal hold: decided requests are anonymised, requests still under study are kept whole. */
export function splitByHold<R extends Pick<RequestRow, 'status'>>(all: R[]): { closed: R[]; held: R[] } {
  const closed = all.filter((r) => (CLOSED_REQUEST_STATUSES as readonly string[]).includes(r.status));
  return { closed, held: all.filter((r) => !closed.includes(r)) };
}

/** What an erasure would keep, and why, shown to staff before they confirm it (the same rule the erasure applies). */
export async function erasureHold(db: DbOrTx, beneficiaryId: number) {
  const all = await db
    .select({ id: requests.id, referenceNumber: requests.referenceNumber, status: requests.status })
    .from(requests)
    .where(eq(requests.beneficiaryId, beneficiaryId))
    .orderBy(requests.id);
  const { closed, held } = splitByHold(all);
  return { requestsHeld: held, requestsAnonymised: closed };
}
export type ErasureHold = Awaited<ReturnType<typeof erasureHold>>;

/**
 * What an erasure does to a decided request, shared with retention, which does the same to a request the erasure
 * held once it is decided. Returns the storage keys of the deleted documents' files, one per document, for
 * `removeUnreferencedFiles` after the commit.
 */
export async function anonymiseDecidedRequests(tx: Tx, requestIds: number[], now: Date): Promise<string[]> {
  if (!requestIds.length) return [];
  const docs = await tx.delete(requestDocuments).where(inArray(requestDocuments.requestId, requestIds)).returning({ key: requestDocuments.storageKey });
  // The type, status, dates and reference stay for the charity's statistics; the answers and the sealed ID go.
  await tx.update(requests).set({ answers: { erasedAt: now.toISOString() }, nationalIdSealed: '', nationalIdHash: '' }).where(inArray(requests.id, requestIds));
  return docs.map((d) => d.key);
}

/**
 * The erasure's rows, inside the caller's transaction (a data request is closed in the same one). Returns the
 * storage keys of the files the erased rows used: remove them with `removeUnreferencedFiles` after the commit.
 */
export async function eraseBeneficiaryRecords(tx: Tx, beneficiaryId: number, now: Date): Promise<{ outcome: ErasureOutcome; fileKeys: string[] }> {
  const contactIds = (await tx.select({ id: contacts.id }).from(contacts).where(eq(contacts.beneficiaryId, beneficiaryId))).map((c) => c.id);
  const conversationIds = (await tx.select({ id: conversations.id }).from(conversations).where(eq(conversations.beneficiaryId, beneficiaryId))).map((c) => c.id);
  const { closed, held } = splitByHold(await tx.select().from(requests).where(eq(requests.beneficiaryId, beneficiaryId)));
  const closedIds = closed.map((r) => r.id);

  const fileKeys: string[] = [];
  let messageCount = 0;
  if (conversationIds.length) {
    const rows = await tx.select({ payload: messages.payload }).from(messages).where(inArray(messages.conversationId, conversationIds));
    fileKeys.push(...mediaKeys(rows.map((r) => r.payload)));
    // Unsent replies are left for the pipeline (sent or failed soon); everything else loses its words.
    const erased = await tx
      .update(messages)
      .set({ text: null, payload: {} })
      .where(and(inArray(messages.conversationId, conversationIds), notInArray(messages.status, ['received', 'queued'])))
      .returning({ id: messages.id });
    messageCount = erased.length;
    await tx.update(conversations).set({ state: {}, resolutionNote: null }).where(inArray(conversations.id, conversationIds));
    await tx.update(emailThreads).set({ subject: null }).where(inArray(emailThreads.conversationId, conversationIds));
  }
  const documentKeys = await anonymiseDecidedRequests(tx, closedIds, now);
  fileKeys.push(...documentKeys);
  await tx.update(surveys).set({ comment: null }).where(eq(surveys.beneficiaryId, beneficiaryId));
  await tx.update(followUpTasks).set({ comment: null }).where(eq(followUpTasks.beneficiaryId, beneficiaryId));
  await tx.update(notes).set({ text: ERASED }).where(eq(notes.beneficiaryId, beneficiaryId));
  await tx.update(offlineContacts).set({ summary: ERASED }).where(eq(offlineContacts.beneficiaryId, beneficiaryId));
  // What staff wrote when they completed a correction may quote the old or new data; the outcome's facts stay.
  await tx.update(dataRequests).set({ outcome: sql`${dataRequests.outcome} - 'corrected' - 'note'` }).where(eq(dataRequests.beneficiaryId, beneficiaryId));
  if (contactIds.length) {
    await tx.update(volunteers).set({ name: ERASED, mobile: null, city: null, skills: null, availability: null }).where(inArray(volunteers.contactId, contactIds));
  }
  if (contactIds.length) {
    // The channel's user id is what links a chat to this person: replaced, so a new message starts afresh.
    await tx
      .update(contacts)
      .set({ channelUserId: sql`concat('erased-', ${contacts.id})`, displayName: null, verifiedMobile: null, optedOut: true })
      .where(inArray(contacts.id, contactIds));
  }
  // A held request keeps its own sealed ID; the person's record keeps none.
  await tx
    .update(beneficiaries)
    .set({ fullName: null, nationalIdSealed: null, nationalIdHash: null, mobile: null, surveyOptOut: true, erasedAt: now })
    .where(eq(beneficiaries.id, beneficiaryId));
  const outcome: ErasureOutcome = {
    erasedAt: now.toISOString(),
    messages: messageCount,
    requestsAnonymised: closed.map((r) => r.referenceNumber),
    requestsHeld: held.map((r) => r.referenceNumber),
    documentsRemoved: documentKeys.length,
    filesRemoved: 0,
    kept: ['audit log', 'consent records', ...(held.length ? ['requests under study (until decided)'] : [])],
  };
  return { outcome, fileKeys };
}
