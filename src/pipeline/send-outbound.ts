/**
 * Step 3 of the path of one message: a conversation's queued outbound rows become provider sends, oldest first.
 * One send job per conversation at a time runs them (the queue's deduplication, queue/queues.ts, ADR 0009; and,
 * when Redis forgets its jobs, the conversation's send lease, ADR 0013), so replies go out in the order they were
 * written without a reply ever waiting on a sibling's job, and the row's `queued` status, checked in the
 * statement that reads it, keeps a retried job from sending twice what was sent.
 */
import { randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import type { Logger } from 'pino';
import { ChannelDeliveryError, type ChannelAdapter } from '../channels/channel-adapter';
import { outboundPayloadSchema } from '../messages/outbound-message';
import { attachmentDownloadPath } from '../documents/attachment-links';
import type { DocumentStore } from '../documents/document-store';
import type { Db } from '../store/database';
import { groupCommit } from '../store/group-commit';
import { columnList, namedStatement, rowOf, runNamed } from '../store/named-statement';
import { conversations, messages } from '../store/schema';
import type { SignalConversation } from './conversation-signals';
import type { OutboundLease } from './outbound-lease';
import { mayReachOptedOut, OPTED_OUT_REASON } from './opt-out-policy';

export interface SendDeps {
  db: Db;
  log: Logger;
  adapter: ChannelAdapter;
  /** The statements every send runs, gathered across this worker's concurrent jobs (`createSendStatements`). */
  statements: SendStatements;
  documents?: DocumentStore;
  /** Tells the console a reply went out (its delivery tick); best effort, the console's watcher polls too. */
  signal?: SignalConversation;
}

/**
 * `sent`: handed to the provider; `next` is the conversation's next queued reply on this channel, read in the same
 * statement that recorded this one, or null — unless `recorded` is false (another worker had recorded it), when
 * the caller should look again; `released` when that statement gave the lease back. `skipped`: the contact opted
 * out (pipeline/opt-out-policy.ts). `failed`: refused for good; the row says why.
 */
export type ReplyOutcome = ({ outcome: 'sent' } & SentOutcome) | { outcome: 'skipped' | 'failed' };

/** A queued reply with what sending it needs: its contact's address and opt-out, its conversation's status. */
export interface QueuedRow {
  message: typeof messages.$inferSelect;
  channelUserId: string;
  optedOut: boolean;
  conversationStatus: (typeof conversations.$inferSelect)['status'];
}

/**
 * The first queued reply of a conversation on a channel, matching `where` (over `m`, the reply). `locked`: the
 * reply is row-locked as it is read, which makes PostgreSQL check it against its latest committed version, not
 * only against the statement's snapshot; one sent since the snapshot was taken is passed over for the next.
 */
const queuedReplySql = (where: string, opts: { locked?: boolean } = {}) =>
  `select ${columnList(messages, { from: 'm' })}, ct.channel_user_id as reply_channel_user_id, ct.opted_out as reply_opted_out,
     c.status as reply_conversation_status
   from messages m join conversations c on c.id = m.conversation_id join contacts ct on ct.id = c.contact_id
   where m.direction = 'out' and m.status = 'queued' and ${where}
   order by m.id limit 1${opts.locked ? ' for no key update of m' : ''}`;

// The statements every send runs (store/named-statement.ts says why they are not drizzle queries), each for
// several conversations at once: a worker's concurrent jobs share one statement (ADR 0011). A job's first read
// takes the conversation's send lease (ADR 0013), and the next reply comes back with the update that records a
// send, so a conversation's replies cost one statement each after the first read. All three read a
// conversation's replies only for the holder of its lease, through messages_queued_outbound_by_conversation_idx.

/**
 * Per conversation ($1) a fresh holder ($2) on channel $3 for $4 ms, and its first queued reply. A live lease of
 * another holder is left alone, and how long it still has comes back instead. The read locks the reply it
 * returns: the lease may have been given back by a holder that committed after this statement's snapshot was
 * taken (ON CONFLICT DO UPDATE waits for that holder and sees its commit; the rest of the statement does not),
 * and in the snapshot the reply that holder sent last still looks queued. The lock re-checks the reply's latest
 * version and passes over one that is no longer queued.
 */
const TAKE_FIRST = namedStatement(
  'send_take_first_many',
  `with input as (
     select * from unnest($1::bigint[], $2::text[]) with ordinality as i(conversation_id, holder, ord)
   ), taken as (
     insert into outbound_leases as l (conversation_id, channel, holder, expires_at)
     select i.conversation_id, $3::text, i.holder, now() + $4::integer * interval '1 millisecond' from input i
     on conflict (conversation_id, channel) do update set holder = excluded.holder, expires_at = excluded.expires_at
       where l.expires_at < now()
     returning l.conversation_id
   )
   select (t.conversation_id is not null) as taken,
     case when t.conversation_id is null and held.expires_at > now() then ceil(extract(epoch from (held.expires_at - now())) * 1000)::integer end as held_for_ms,
     n.*
   from input i
   left join taken t on t.conversation_id = i.conversation_id
   left join outbound_leases held on held.conversation_id = i.conversation_id and held.channel = $3::text
   left join lateral (
     ${queuedReplySql('t.conversation_id is not null and m.conversation_id = i.conversation_id and m.channel = $3::text', { locked: true })}
   ) n on true
   order by i.ord`,
);
/** The first queued reply of each lease's conversation, $1 the conversations, $3 the holders, $2 the channel. */
const FIRST_QUEUED = namedStatement(
  'send_first_queued_many',
  `select q.id as queued_for, n.*
   from unnest($1::bigint[], $3::text[]) as q(id, holder)
   join outbound_leases l on l.conversation_id = q.id and l.channel = $2 and l.holder = q.holder
   join lateral (${queuedReplySql('m.conversation_id = q.id and m.channel = $2')}) n on true`,
);
/**
 * One entry per reply in $1–$6 and $8 (id, provider id, time; then, unless the reply went out on a fallback
 * channel, nulls for where and what it actually sent; the sender's lease holder), $7 the worker's channel. Per
 * reply: `recorded` (false when another worker had recorded it: the caller then looks again) and, while the
 * sender still holds the lease, the conversation's next queued reply — or, when there is none, `released`: the
 * lease is given back in the same statement, so a reply written after it was read finds the lease free. A batch
 * never holds two replies of one conversation (`keysOf`): the next-reply read sees the rows as they were before
 * the statement, and would return a reply the same statement marks sent.
 */
const MARK_SENT = namedStatement(
  'send_mark_sent_many',
  `with input as (
     select * from unnest($1::bigint[], $2::text[], $3::timestamptz[], $4::text[], $5::text[], $6::jsonb[], $8::text[])
       with ordinality as i(id, provider_message_id, sent_at, via_channel, via_text, via_payload, holder, ord)
   ), sent as (
     update messages m set status = 'sent', provider_message_id = i.provider_message_id, sent_at = i.sent_at, error = null,
       channel = coalesce(i.via_channel, m.channel), text = coalesce(i.via_text, m.text), payload = coalesce(i.via_payload, m.payload)
     from input i
     where m.id = i.id and m.status = 'queued'
     returning m.id, m.conversation_id
   ), leased as (
     select i.id, s.conversation_id from input i
     join sent s on s.id = i.id
     join outbound_leases l on l.conversation_id = s.conversation_id and l.channel = $7 and l.holder = i.holder
   ), released as (
     update outbound_leases l set expires_at = '-infinity'
     from leased h, input i
     where i.id = h.id and l.conversation_id = h.conversation_id and l.channel = $7 and l.holder = i.holder
       and not exists (
         select 1 from messages m
         where m.conversation_id = h.conversation_id and m.channel = $7 and m.direction = 'out' and m.status = 'queued' and m.id > h.id)
     returning l.conversation_id
   )
   select i.id as marked, (s.id is not null) as recorded, (r.conversation_id is not null) as released, n.*
   from input i
   left join sent s on s.id = i.id
   left join leased h on h.id = i.id
   left join released r on r.conversation_id = h.conversation_id
   left join lateral (
     ${queuedReplySql('m.conversation_id = h.conversation_id and m.channel = $7 and m.id > i.id')}
   ) n on true
   order by i.ord`,
);

/**
 * What recording a send takes: the reply, the sender's lease, the provider's id for it and, after a fallback,
 * where and what went.
 */
export interface SentRecord {
  messageId: number;
  lease: OutboundLease;
  providerMessageId: string;
  sentAt: Date;
  via: { channel: string; text: string; payload: string } | null;
}

/** A recorded send's sequel: the next reply to send, or the lease given back with the last (see MARK_SENT). */
export interface SentOutcome {
  recorded: boolean;
  next: QueuedRow | null;
  released: boolean;
}

/** A job's start: the lease and the conversation's first queued reply, or how long another holder may still take. */
export type TakeOutcome = { lease: OutboundLease; first: QueuedRow | null } | { retryInMs: number };

/** Longest a job waits before asking again for a lease held by a live sender, which gives it back when done. */
const MAX_LEASE_WAIT_MS = 1000;

export interface SendStatements {
  /** Takes the conversation's send lease and reads its first queued reply (see TAKE_FIRST). */
  takeFirst(conversationId: number): Promise<TakeOutcome>;
  /** The oldest reply of the lease's conversation still queued on the channel; null if none or the lease is lost. */
  firstQueued(lease: OutboundLease): Promise<QueuedRow | null>;
  /** Records a send; the conversation's next queued reply comes back with it (see MARK_SENT). */
  markSent(record: SentRecord): Promise<SentOutcome>;
}

/**
 * The send path's statements for one channel's worker, each call gathered with up to `statementBatch` - 1
 * concurrent ones (ADR 0011); a lease taken lasts `leaseMs` unless renewed (outbound-lease.ts).
 */
export function createSendStatements(db: Db, channel: string, opts: { statementBatch: number; leaseMs: number }): SendStatements {
  const { statementBatch, leaseMs } = opts;
  const takeFirst = groupCommit<number, TakeOutcome>({
    maxBatch: statementBatch,
    // One upsert cannot touch a row twice: two asks for one conversation go in two statements.
    keysOf: (conversationId) => [conversationId],
    run: async (conversationIds) => {
      const holders = conversationIds.map(() => randomUUID());
      const rows = await runNamed(db, TAKE_FIRST, [conversationIds, holders, channel, leaseMs]);
      return rows.map((r, i): TakeOutcome => {
        if (r.taken !== true) return { retryInMs: Math.min(MAX_LEASE_WAIT_MS, Math.max(50, r.held_for_ms === null ? MAX_LEASE_WAIT_MS : Number(r.held_for_ms))) };
        return { lease: { conversationId: conversationIds[i]!, holder: holders[i]! }, first: r.id !== null && r.id !== undefined ? queuedRowOf(r) : null };
      });
    },
  });
  const firstQueued = groupCommit<OutboundLease, QueuedRow | null>({
    maxBatch: statementBatch,
    keysOf: (lease) => [lease.conversationId],
    run: async (leases) => {
      const rows = await runNamed(db, FIRST_QUEUED, [leases.map((l) => l.conversationId), channel, leases.map((l) => l.holder)]);
      const byConversation = new Map(rows.map((r) => [Number(r.queued_for), queuedRowOf(r)]));
      return leases.map((l) => byConversation.get(l.conversationId) ?? null);
    },
  });
  const markSent = groupCommit<SentRecord, SentOutcome>({
    maxBatch: statementBatch,
    keysOf: (r) => [r.lease.conversationId],
    run: async (records) => {
      const rows = await runNamed(db, MARK_SENT, [
        records.map((r) => r.messageId),
        records.map((r) => r.providerMessageId),
        records.map((r) => r.sentAt.toISOString()),
        records.map((r) => r.via?.channel ?? null),
        records.map((r) => r.via?.text ?? null),
        records.map((r) => r.via?.payload ?? null),
        channel,
        records.map((r) => r.lease.holder),
      ]);
      return rows.map((r) => ({
        recorded: r.recorded === true,
        next: r.id !== null && r.id !== undefined ? queuedRowOf(r) : null,
        released: r.released === true,
      }));
    },
  });
  return { takeFirst, firstQueued, markSent };
}

function queuedRowOf(raw: Record<string, unknown>): QueuedRow {
  return {
    message: rowOf(messages, raw),
    channelUserId: String(raw.reply_channel_user_id),
    optedOut: raw.reply_opted_out === true,
    conversationStatus: raw.reply_conversation_status as QueuedRow['conversationStatus'],
  };
}

/**
 * Sends one queued reply. Throws what the provider threw when it may succeed later (the worker retries, waits or
 * pauses the channel); a reply refused for good is marked failed and the sending goes on with the next.
 */
export async function sendReply(deps: SendDeps, row: QueuedRow, lease: OutboundLease): Promise<ReplyOutcome> {
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
  let sent: SentOutcome;
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
    sent = await deps.statements.markSent({
      messageId,
      lease,
      providerMessageId: receipt.providerMessageId,
      sentAt: new Date(),
      via: via ? { channel: via.channel, text: via.text, payload: JSON.stringify({ ...payload, fallback: { from: deps.adapter.channel, reason: via.reason } }) } : null,
    });
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
  return { outcome: 'sent', ...sent };
}

/** A reply that will not go out (refused, or its last attempt failed too): the console shows it as failed. */
export async function markFailed(db: Db, messageId: number, reason: string): Promise<void> {
  await db
    .update(messages)
    .set({ status: 'failed', error: reason.slice(0, 500) })
    .where(and(eq(messages.id, messageId), eq(messages.status, 'queued')));
}
