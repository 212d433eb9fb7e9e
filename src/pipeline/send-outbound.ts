/**
 * Step 3 of the path of one message: a conversation's queued outbound rows become provider sends, oldest first.
 * One send job per conversation at a time runs them (the queue's deduplication, queue/queues.ts; ADR 0009), so
 * replies go out in the order they were written without a reply ever waiting on a sibling's job, and the row's
 * `queued` status, checked in the statement that reads it, keeps a retried job from sending twice what was sent.
 */
import { and, eq } from 'drizzle-orm';
import type { Logger } from 'pino';
import { ChannelDeliveryError, type ChannelAdapter } from '../channels/channel-adapter';
import { outboundPayloadSchema } from '../messages/outbound-message';
import { attachmentDownloadPath } from '../documents/attachment-links';
import type { DocumentStore } from '../documents/document-store';
import type { Db } from '../store/database';
import { columnList, namedStatement, rowOf, runNamed } from '../store/named-statement';
import { conversations, messages } from '../store/schema';
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
 * `sent`: handed to the provider; `next` is the conversation's next queued reply on this channel, read in the same
 * statement that recorded this one, or null — unless `recorded` is false (another worker had recorded it), when
 * the caller should look again. `skipped`: the contact opted out (pipeline/opt-out-policy.ts). `failed`:
 * refused for good; the row says why.
 */
export type ReplyOutcome = { outcome: 'sent'; recorded: boolean; next: QueuedRow | null } | { outcome: 'skipped' | 'failed' };

/** A queued reply with what sending it needs: its contact's address and opt-out, its conversation's status. */
export interface QueuedRow {
  message: typeof messages.$inferSelect;
  channelUserId: string;
  optedOut: boolean;
  conversationStatus: (typeof conversations.$inferSelect)['status'];
}

/** The first queued reply of a conversation on a channel, matching `where` (over `m`, the reply). */
const queuedReplySql = (where: string) =>
  `select ${columnList(messages, { from: 'm' })}, ct.channel_user_id as reply_channel_user_id, ct.opted_out as reply_opted_out,
     c.status as reply_conversation_status
   from messages m join conversations c on c.id = m.conversation_id join contacts ct on ct.id = c.contact_id
   where m.direction = 'out' and m.status = 'queued' and ${where}
   order by m.id limit 1`;

/**
 * The statements every send runs (store/named-statement.ts says why they are not drizzle queries). The next reply
 * comes back with the update that records a send, so a conversation's replies cost one statement each after the
 * first read. Uses messages_queued_outbound_by_conversation_idx.
 */
const FIRST_QUEUED = namedStatement('send_first_queued', queuedReplySql('m.conversation_id = $1 and m.channel = $2'));
/**
 * $4–$6 are null unless the reply went out on a fallback channel (where and what it actually sent). The next reply
 * is read only when this one was recorded here; otherwise the caller looks again (`recorded` false).
 */
const MARK_SENT = namedStatement(
  'send_mark_sent',
  `with sent as (
     update messages set status = 'sent', provider_message_id = $2, sent_at = $3::timestamptz, error = null,
       channel = coalesce($4::text, channel), text = coalesce($5::text, text), payload = coalesce($6::jsonb, payload)
     where id = $1 and status = 'queued'
     returning conversation_id
   )
   select exists (select 1 from sent) as recorded, n.*
   from (select 1) as one
   left join lateral (
     ${queuedReplySql('m.conversation_id = (select conversation_id from sent) and m.channel = $7 and m.id > $1')}
   ) n on true`,
);

function queuedRowOf(raw: Record<string, unknown>): QueuedRow {
  return {
    message: rowOf(messages, raw),
    channelUserId: String(raw.reply_channel_user_id),
    optedOut: raw.reply_opted_out === true,
    conversationStatus: raw.reply_conversation_status as QueuedRow['conversationStatus'],
  };
}

/** The oldest reply of `conversationId` still queued on `channel`; null if none. */
export async function firstQueuedReply(db: Db, conversationId: number, channel: string): Promise<QueuedRow | null> {
  const [raw] = await runNamed(db, FIRST_QUEUED, [conversationId, channel]);
  return raw ? queuedRowOf(raw) : null;
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
  let recorded: boolean;
  let next: QueuedRow | null;
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
    const [marked] = await runNamed(deps.db, MARK_SENT, [
      messageId,
      receipt.providerMessageId,
      new Date().toISOString(),
      via?.channel ?? null,
      via?.text ?? null,
      via ? JSON.stringify({ ...payload, fallback: { from: deps.adapter.channel, reason: via.reason } }) : null,
      deps.adapter.channel,
    ]);
    recorded = marked?.recorded === true;
    next = marked && marked.id !== null && marked.id !== undefined ? queuedRowOf(marked) : null;
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
  return { outcome: 'sent', recorded, next };
}

/** A reply that will not go out (refused, or its last attempt failed too): the console shows it as failed. */
export async function markFailed(db: Db, messageId: number, reason: string): Promise<void> {
  await db
    .update(messages)
    .set({ status: 'failed', error: reason.slice(0, 500) })
    .where(and(eq(messages.id, messageId), eq(messages.status, 'queued')));
}
