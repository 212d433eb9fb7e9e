/**
 * Step 3 of the path of one message: a conversation's queued outbound rows become provider sends, oldest first.
 * One send job per conversation at a time runs them (the queue's deduplication, queue/queues.ts; ADR 0009), so
 * replies go out in the order they were written without a reply ever waiting on a sibling's job, and the row's
 * `queued` status, checked in the statement that reads it, keeps a retried job from sending twice what was sent.
 */
import { and, eq, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import { ChannelDeliveryError, type ChannelAdapter } from '../channels/channel-adapter';
import { outboundPayloadSchema } from '../messages/outbound-message';
import { attachmentDownloadPath } from '../documents/attachment-links';
import type { DocumentStore } from '../documents/document-store';
import type { Db } from '../store/database';
import { contacts, conversations, messages } from '../store/schema';
import type { SignalConversation } from './conversation-signals';
import { mayReachOptedOut, OPTED_OUT_REASON } from './opt-out-policy';

export interface SendDeps {
  db: Db;
  log: Logger;
  adapter: ChannelAdapter;
  documents?: DocumentStore;
  /** Tells the console a reply went out (its delivery tick); best effort, the console's watcher polls too. */
  signal?: SignalConversation;
}

/**
 * `sent`: handed to the provider and recorded; `more` says whether another reply of the conversation was queued.
 * `skipped`: the contact opted out (pipeline/opt-out-policy.ts). `failed`: refused for good; the row says why.
 */
export type ReplyOutcome = { outcome: 'sent'; more: boolean } | { outcome: 'skipped' | 'failed' };

/**
 * The two statements every send runs, built once per database: drizzle otherwise compiles a query's SQL on each
 * call, which the outbound role's profile showed as its largest single cost (about 0.5 ms a query; docs/
 * performance.md, fix 8). On PostgreSQL a prepared query is also parsed and planned once per connection.
 */
function prepareSendStatements(db: Db) {
  const id = sql.placeholder('messageId');
  // The conversation's oldest queued reply on this channel (messages_queued_outbound_by_conversation_idx).
  const first = db
    .select({
      message: messages,
      channelUserId: contacts.channelUserId,
      optedOut: contacts.optedOut,
      conversationStatus: conversations.status,
    })
    .from(messages)
    .innerJoin(conversations, eq(conversations.id, messages.conversationId))
    .innerJoin(contacts, eq(contacts.id, conversations.contactId))
    .where(
      and(
        eq(messages.conversationId, sql.placeholder('conversationId')),
        eq(messages.direction, 'out'),
        eq(messages.status, 'queued'),
        eq(messages.channel, sql.placeholder('channel')),
      ),
    )
    .orderBy(messages.id)
    .limit(1)
    .prepare('wasl_send_first_queued');
  // Whether another reply waits comes back with the update: the job stops without a read that finds nothing.
  // The via- values are null unless the reply went out on a fallback channel.
  const markSent = db
    .update(messages)
    .set({
      status: 'sent',
      providerMessageId: sql`${sql.placeholder('providerMessageId')}`,
      sentAt: sql`${sql.placeholder('sentAt')}::timestamptz`,
      error: null,
      channel: sql`coalesce(${sql.placeholder('viaChannel')}::text, ${messages.channel})`,
      text: sql`coalesce(${sql.placeholder('viaText')}::text, ${messages.text})`,
      payload: sql`coalesce(${sql.placeholder('viaPayload')}::jsonb, ${messages.payload})`,
    })
    .where(and(eq(messages.id, id), eq(messages.status, 'queued')))
    .returning({
      // Spelt out: drizzle writes a column in RETURNING unqualified, which inside the subquery would mean n's.
      more: sql<boolean>`exists (select 1 from messages n where n.conversation_id = messages.conversation_id
        and n.direction = 'out' and n.status = 'queued' and n.id > messages.id)`,
    })
    .prepare('wasl_send_mark_sent');
  return { first, markSent };
}

const prepared = new WeakMap<Db, ReturnType<typeof prepareSendStatements>>();
function statementsOf(db: Db) {
  let statements = prepared.get(db);
  if (!statements) prepared.set(db, (statements = prepareSendStatements(db)));
  return statements;
}

export type QueuedRow = NonNullable<Awaited<ReturnType<typeof firstQueuedReply>>>;

/** The oldest reply of `conversationId` still queued on `channel`, with what sending it needs; null if none. */
export async function firstQueuedReply(db: Db, conversationId: number, channel: string) {
  const [row] = await statementsOf(db).first.execute({ conversationId, channel });
  return row ?? null;
}

/**
 * Sends one queued reply. Throws what the provider threw when it may succeed later (the worker retries, waits or
 * pauses the channel); a reply refused for good is marked failed and the sending goes on with the next.
 */
export async function sendReply(deps: SendDeps, row: QueuedRow): Promise<ReplyOutcome> {
  const messageId = row.message.id;
  const payload = outboundPayloadSchema.parse(row.message.payload);
  // Checked at send time, not when written: an opt-out that arrives while a reply waits in the queue still counts.
  if (row.optedOut && !mayReachOptedOut(payload.template)) {
    await deps.db
      .update(messages)
      .set({ status: 'skipped', error: OPTED_OUT_REASON })
      .where(and(eq(messages.id, messageId), eq(messages.status, 'queued')));
    deps.log.info({ messageId, channel: row.message.channel }, 'outbound message skipped: the contact opted out');
    return { outcome: 'skipped' };
  }
  const file = payload.attachment;
  if (file && !deps.documents) {
    const reason = 'this process has no document store to read the attachment from';
    deps.log.error({ messageId }, `outbound message carries a file but ${reason}`);
    await markFailed(deps.db, messageId, reason);
    return { outcome: 'failed' };
  }
  let more: boolean;
  try {
    const receipt = await deps.adapter.send({
      messageId,
      conversationId: row.message.conversationId,
      channelUserId: row.channelUserId,
      text: row.message.text ?? '',
      choices: payload.choices,
      language: payload.language,
      ...(payload.template ? { template: payload.template } : {}),
      ...(file && deps.documents
        ? {
            attachment: {
              fileName: file.fileName,
              mimeType: file.mimeType,
              sizeBytes: file.sizeBytes,
              downloadPath: attachmentDownloadPath(messageId, file.token),
              content: () => deps.documents!.read(file.storageKey),
            },
          }
        : {}),
    });
    // A fallback channel (WhatsApp down, SMS instead) records where and what it actually sent.
    const via = receipt.via;
    const [updated] = await statementsOf(deps.db).markSent.execute({
      messageId,
      providerMessageId: receipt.providerMessageId,
      sentAt: new Date().toISOString(),
      viaChannel: via?.channel ?? null,
      viaText: via?.text ?? null,
      viaPayload: via ? JSON.stringify({ ...payload, fallback: { from: deps.adapter.channel, reason: via.reason } }) : null,
    });
    more = updated?.more ?? true;
  } catch (err) {
    if (err instanceof ChannelDeliveryError && !err.retryable) {
      deps.log.warn({ err, messageId }, 'the provider refused the reply for good');
      await markFailed(deps.db, messageId, err.message);
      return { outcome: 'failed' };
    }
    throw err;
  }
  // Promptly only where a researcher is looking or waited for — a held chat, or their own message — as with
  // inbound messages (drain-conversation.ts): a signal per bot reply reached every web process for every
  // conversation, and the console's watcher poll shows those within seconds anyway.
  if (deps.signal && (row.conversationStatus !== 'bot' || row.message.author === 'staff')) {
    try {
      await deps.signal({ kind: 'delivery', conversationId: row.message.conversationId });
    } catch (err) {
      deps.log.warn({ err, messageId }, 'could not signal the console about a sent reply');
    }
  }
  return { outcome: 'sent', more };
}

/** A reply that will not go out (refused, or its last attempt failed too): the console shows it as failed. */
export async function markFailed(db: Db, messageId: number, reason: string): Promise<void> {
  await db
    .update(messages)
    .set({ status: 'failed', error: reason.slice(0, 500) })
    .where(and(eq(messages.id, messageId), eq(messages.status, 'queued')));
}
