/**
 * Step 3 of the path of one message: an outbound row becomes one provider send. The job id is the message id
 * and the row's status is checked first, so a retried or re-added job never sends twice what was sent.
 */
import { and, eq, exists, lt, sql, type Placeholder } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { UnrecoverableError } from 'bullmq';
import type { Logger } from 'pino';
import { ChannelDeliveryError, type ChannelAdapter } from '../channels/channel-adapter';
import { outboundPayloadSchema } from '../messages/outbound-message';
import { attachmentDownloadPath } from '../documents/attachment-links';
import type { DocumentStore } from '../documents/document-store';
import type { ChannelName } from '../messages/channel-name';
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

const earlierReply = alias(messages, 'earlier_reply');

/**
 * `wait-for-earlier`: an earlier reply of the same conversation is still queued; this one must not overtake it.
 * `skipped`: the contact opted out (pipeline/opt-out-policy.ts); the row says so.
 */
export type SendOutcome = 'sent' | 'already-done' | 'missing' | 'wait-for-earlier' | 'skipped';

/** A queued reply to hand the send on to: the next one of the same conversation. */
export interface NextReply {
  id: number;
  channel: ChannelName;
}

const nextReplyOf = (messageId: number | Placeholder) => sql<string | null>`(
  select n.id || ' ' || n.channel from ${messages} n
  where n.conversation_id = (select m.conversation_id from ${messages} m where m.id = ${messageId})
    and n.direction = 'out' and n.status = 'queued' and n.id > ${messageId}
  order by n.id limit 1)`;

const parseNext = (v: string | null | undefined): NextReply | null => {
  if (!v) return null;
  const [id, channel] = v.split(' ');
  return { id: Number(id), channel: channel as ChannelName };
};

/**
 * The reply written after `messageId` in its conversation, still queued, once `messageId` itself is done with
 * (sent, skipped or failed). Replies are sent one after another along this chain (queue/workers.ts), so a drain
 * queues only its first reply and none of the others waits for an earlier one to go out first.
 */
export async function nextQueuedReply(db: Db, messageId: number): Promise<NextReply | null> {
  const r = await db.execute<{ next: string | null }>(sql`
    select ${nextReplyOf(messageId)} as next
    where exists (select 1 from ${messages} m where m.id = ${messageId} and m.status <> 'queued')`);
  return parseNext((r as unknown as { rows: { next: string | null }[] }).rows[0]?.next);
}

/**
 * The two statements every send runs, built once per database: drizzle otherwise compiles a query's SQL on each
 * call, which the outbound role's profile showed as its largest single cost (about 0.5 ms a query; docs/
 * performance.md, fix 8). On PostgreSQL a prepared query is also parsed and planned once per connection.
 */
function prepareSendStatements(db: Db) {
  const id = sql.placeholder('messageId');
  const row = db
    .select({
      message: messages,
      channelUserId: contacts.channelUserId,
      optedOut: contacts.optedOut,
      conversationStatus: conversations.status,
      waitsForEarlier: exists(
        db
          .select({ id: earlierReply.id })
          .from(earlierReply)
          .where(
            and(
              eq(earlierReply.conversationId, messages.conversationId),
              eq(earlierReply.direction, 'out'),
              eq(earlierReply.status, 'queued'),
              lt(earlierReply.id, messages.id),
            ),
          ),
      ).mapWith(Boolean),
    })
    .from(messages)
    .innerJoin(conversations, eq(conversations.id, messages.conversationId))
    .innerJoin(contacts, eq(contacts.id, conversations.contactId))
    .where(and(eq(messages.id, id), eq(messages.direction, 'out')))
    .limit(1)
    .prepare('wasl_send_row');
  // The next reply of the chain comes back with the update: no round trip of its own. The via- values are null
  // unless the reply went out on a fallback channel.
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
    .returning({ next: nextReplyOf(id) })
    .prepare('wasl_send_mark_sent');
  return { row, markSent };
}

const prepared = new WeakMap<Db, ReturnType<typeof prepareSendStatements>>();
function statementsOf(db: Db) {
  let statements = prepared.get(db);
  if (!statements) prepared.set(db, (statements = prepareSendStatements(db)));
  return statements;
}

export async function sendOutbound(deps: SendDeps, messageId: number): Promise<{ outcome: SendOutcome; next?: NextReply | null }> {
  // Several workers send at once; replies of one conversation must still arrive in the order they were written
  // (an introduction before its question). A failed earlier reply does not hold the later ones back. Asked in
  // the same query as the row itself: one round trip per send.
  const [row] = await statementsOf(deps.db).row.execute({ messageId });
  if (!row) return { outcome: 'missing' };
  if (row.message.status !== 'queued') return { outcome: 'already-done' };
  if (row.waitsForEarlier) return { outcome: 'wait-for-earlier' };
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
  let next: NextReply | null = null;
  if (file && !deps.documents) {
    await markFailed(deps.db, messageId, 'this process has no document store to read the attachment from');
    throw new UnrecoverableError(`message ${messageId} carries a file but the outbound worker has no document store`);
  }
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
    next = parseNext(updated?.next);
  } catch (err) {
    if (err instanceof ChannelDeliveryError && !err.retryable) {
      await markFailed(deps.db, messageId, err.message);
      throw new UnrecoverableError(err.message);
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
  return { outcome: 'sent', next };
}

/** Called when the last attempt fails too: the console shows the message as failed. */
export async function markFailed(db: Db, messageId: number, reason: string): Promise<void> {
  await db
    .update(messages)
    .set({ status: 'failed', error: reason.slice(0, 500) })
    .where(and(eq(messages.id, messageId), eq(messages.status, 'queued')));
}
