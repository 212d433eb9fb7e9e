/**
 * The retention job: personal data past the period the organisation profile sets for its kind is anonymised
 * (text and answers removed, the bare row kept for counts and reports) or deleted (document files), and so are
 * the messages of an erased person that the pipeline still held when they were erased, the requests their erasure
 * held once decided, and the flow state of bot conversations idle for the message period. National
 * IDs are never decrypted here: a sealed ID past its period is dropped, not opened. Runs as a BullMQ job
 * scheduler in the engine role (one run per tick however many engine processes there are), and takes `now`
 * from the clock it is given, so tests move time instead of waiting for it.
 */
import { Queue, Worker, type ConnectionOptions } from 'bullmq';
import { and, eq, gte, inArray, isNotNull, lt, ne, notExists, notInArray, or, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Organisation } from '../config/organisation-schema';
import type { DocumentStore } from '../documents/document-store';
import { recordAudit } from '../staff/record-audit';
import type { Db } from '../store/database';
import { beneficiaries, conversations, followUpTasks, messages, requestDocuments, requests, surveys } from '../store/schema';
import { anonymiseDecidedRequests, CLOSED_REQUEST_STATUSES } from './erase-beneficiary';
import { mediaKeys, removeUnreferencedFiles } from './orphan-documents';

export const MAINTENANCE_QUEUE = 'maintenance';
export const RETENTION_SCHEDULER_ID = 'retention';
const RETENTION_JOB = 'retention.apply';

export type RetentionPolicy = Organisation['retention'];

export interface RetentionReport {
  now: string;
  messagesAnonymised: number;
  conversationStatesCleared: number;
  idleConversationStatesCleared: number;
  documentsDeleted: number;
  filesRemoved: number;
  surveyCommentsRemoved: number;
  requestsAnonymised: number;
  heldRequestsAnonymised: number;
}

const DAY_MS = 24 * 3600 * 1000;
const before = (now: Date, days: number) => new Date(now.getTime() - days * DAY_MS);

export async function applyRetention(db: Db, documents: DocumentStore, policy: RetentionPolicy, now: Date): Promise<RetentionReport> {
  const { report, fileKeys } = await db.transaction(async (tx) => {
    const fileKeys: string[] = [];
    const messageCutoff = before(now, policy.messagesDays);
    // An erasure leaves a person's unsent replies and unprocessed messages to the pipeline; once it is done with
    // them (a notice that their data was erased goes out after the erasure) their words go too, at any age.
    const erasedConversations = tx
      .select({ id: conversations.id })
      .from(conversations)
      .innerJoin(beneficiaries, eq(beneficiaries.id, conversations.beneficiaryId))
      .where(isNotNull(beneficiaries.erasedAt));
    // Unprocessed and unsent messages are the pipeline's, whatever their age.
    const oldMessages = and(
      or(lt(messages.createdAt, messageCutoff), inArray(messages.conversationId, erasedConversations)),
      notInArray(messages.status, ['received', 'queued']),
      or(isNotNull(messages.text), ne(messages.payload, sql`'{}'::jsonb`)),
    );
    const withMedia = await tx.select({ payload: messages.payload }).from(messages).where(and(oldMessages, sql`(${messages.payload} ? 'media' or ${messages.payload} ? 'attachment')`));
    fileKeys.push(...mediaKeys(withMedia.map((m) => m.payload)));
    const anonymised = await tx.update(messages).set({ text: null, payload: {} }).where(oldMessages).returning({ id: messages.id });
    // A finished conversation's engine state still holds the answers typed in it.
    const states = await tx
      .update(conversations)
      .set({ state: {} })
      .where(and(eq(conversations.status, 'resolved'), lt(conversations.updatedAt, messageCutoff), ne(conversations.state, sql`'{}'::jsonb`)))
      .returning({ id: conversations.id });
    // Only staff resolve, so an intake abandoned in a bot conversation would keep its answers (name, sealed ID,
    // story) for ever. Once nothing has come in or gone out for the message period, it starts over; the language
    // stays, as when a resolved conversation reopens. A message still pending is the pipeline's, so its
    // conversation is not idle; and updatedAt, which every drain writes, is rechecked when the row is locked, so
    // a turn saved while this waited for the row is not wiped.
    const recentOrPending = tx
      .select({ one: sql`1` })
      .from(messages)
      .where(and(eq(messages.conversationId, conversations.id), or(gte(messages.createdAt, messageCutoff), inArray(messages.status, ['received', 'queued']))));
    const idleStates = await tx
      .update(conversations)
      .set({ state: sql`jsonb_strip_nulls(jsonb_build_object('language', ${conversations.state} -> 'language'))` })
      .where(and(eq(conversations.status, 'bot'), lt(conversations.updatedAt, messageCutoff), ne(sql`${conversations.state} - 'language'`, sql`'{}'::jsonb`), notExists(recentOrPending)))
      .returning({ id: conversations.id });

    const closed = inArray(requests.status, [...CLOSED_REQUEST_STATUSES]);
    // The erasure kept a request under study whole for its decision, not for the retention period: decided, it is
    // anonymised as the erasure would have done, whatever its age. The lock keeps a status change from slipping in.
    const heldIds = (
      await tx
        .select({ id: requests.id })
        .from(requests)
        .innerJoin(beneficiaries, eq(beneficiaries.id, requests.beneficiaryId))
        .where(and(closed, isNotNull(beneficiaries.erasedAt), ne(requests.nationalIdSealed, '')))
        .for('update', { of: requests })
    ).map((r) => r.id);
    const heldDocumentKeys = await anonymiseDecidedRequests(tx, heldIds, now);
    fileKeys.push(...heldDocumentKeys);
    const docRequestIds = (await tx.select({ id: requests.id }).from(requests).where(and(closed, lt(requests.updatedAt, before(now, policy.documentsDays))))).map((r) => r.id);
    const deletedDocs = docRequestIds.length
      ? await tx.delete(requestDocuments).where(inArray(requestDocuments.requestId, docRequestIds)).returning({ key: requestDocuments.storageKey })
      : [];
    fileKeys.push(...deletedDocs.map((d) => d.key));

    const commentCutoff = before(now, policy.surveyCommentsDays);
    const comments = await tx.update(surveys).set({ comment: null }).where(and(isNotNull(surveys.comment), lt(surveys.answeredAt, commentCutoff))).returning({ id: surveys.id });
    // An open follow-up still needs the comment it is about; a closed one does not.
    await tx.update(followUpTasks).set({ comment: null }).where(and(eq(followUpTasks.status, 'done'), isNotNull(followUpTasks.comment), lt(followUpTasks.closedAt, commentCutoff)));

    const anonymisedRequests = await tx
      .update(requests)
      .set({ answers: sql`jsonb_build_object('anonymisedAt', ${now.toISOString()}::text)`, nationalIdSealed: '', nationalIdHash: '' })
      .where(and(closed, lt(requests.updatedAt, before(now, policy.closedRequestsDays)), ne(requests.nationalIdSealed, '')))
      .returning({ id: requests.id });

    const report: RetentionReport = {
      now: now.toISOString(),
      messagesAnonymised: anonymised.length,
      conversationStatesCleared: states.length,
      idleConversationStatesCleared: idleStates.length,
      documentsDeleted: deletedDocs.length + heldDocumentKeys.length,
      filesRemoved: 0,
      surveyCommentsRemoved: comments.length,
      requestsAnonymised: anonymisedRequests.length,
      heldRequestsAnonymised: heldIds.length,
    };
    const changes = [report.messagesAnonymised, report.documentsDeleted, report.surveyCommentsRemoved, report.requestsAnonymised, report.heldRequestsAnonymised, report.conversationStatesCleared, report.idleConversationStatesCleared];
    if (changes.some((n) => n > 0)) {
      await recordAudit(tx, { staffId: null, action: 'retention.apply', subjectKind: 'retention', subjectId: now.toISOString().slice(0, 10), details: { ...report } });
    }
    return { report, fileKeys };
  });
  report.filesRemoved = await removeUnreferencedFiles(db, documents, fileKeys);
  return report;
}

export interface RetentionRole {
  queue: Queue;
  worker: Worker;
  close(): Promise<void>;
}

export async function startRetentionRole(opts: {
  connection: ConnectionOptions;
  prefix: string;
  db: Db;
  documents: DocumentStore;
  organisation: Organisation;
  log: Logger;
  clock(): Date;
}): Promise<RetentionRole> {
  const { retention, timezone } = opts.organisation;
  const queue = new Queue(MAINTENANCE_QUEUE, { connection: opts.connection, prefix: opts.prefix });
  // Idempotent: every engine process upserts the same scheduler, and Redis holds one.
  await queue.upsertJobScheduler(RETENTION_SCHEDULER_ID, { pattern: retention.schedule, tz: timezone }, { name: RETENTION_JOB, opts: { removeOnComplete: 50, removeOnFail: 50 } });
  const worker = new Worker(
    MAINTENANCE_QUEUE,
    async (job) => {
      if (job.name !== RETENTION_JOB) return null;
      const report = await applyRetention(opts.db, opts.documents, retention, opts.clock());
      opts.log.info({ ...report }, 'retention applied');
      return report;
    },
    { connection: opts.connection, prefix: opts.prefix, concurrency: 1 },
  );
  worker.on('failed', (job, err) => opts.log.error({ err, jobId: job?.id }, 'retention job failed'));
  worker.on('error', (err) => opts.log.error({ err }, 'retention worker error'));
  return { queue, worker, close: async () => { await worker.close(); await queue.close(); } };
}
