/**
 * The two paths nearly every inbound message takes, each as ONE statement (no transaction round trips): a known
 * contact writing into its open conversation, and a new person's first message. Each returns null when its case
 * does not apply; `ingest` then takes the general transaction (pipeline/ingest.ts), which handles every case.
 * Same locks and arrival numbering as there: the contact's row lock for `seq`, KEY SHARE on the conversation.
 */
import type { InboundMessage } from '../messages/inbound-message';
import type { Db } from '../store/database';
import { groupCommit } from '../store/group-commit';
import { namedStatement, runNamed } from '../store/named-statement';
import type { IngestResult } from './ingest';

const storedRow = (rows: Record<string, unknown>[]): IngestResult | null => {
  const row = rows[0];
  return row ? { messageId: Number(row.id), conversationId: Number(row.conversation_id), duplicate: false } : null;
};

export const payloadOf = (m: InboundMessage) => ({ media: m.media, ...(m.surveyLink ? { surveyLink: m.surveyLink } : {}) });

/**
 * One round trip, shared by the messages arriving together (ADR 0011): finds each one's contact and open
 * conversation, counts the message on the contact and inserts it. Null for a message when that is not the whole
 * story (no such contact or open conversation, a newly proven number, or a provider id already stored); the
 * caller then runs `storeInbound`, which handles every case. Two messages of one contact never share a statement:
 * the second waits for the first's commit, so its arrival number is the later one.
 */
export function createStoreIntoOpenConversation(db: Db, statementBatch: number): (m: InboundMessage) => Promise<IngestResult | null> {
  return groupCommit<InboundMessage, IngestResult | null>({
    maxBatch: statementBatch,
    // One contact's messages one to a statement (its arrival counter); one provider id one to a statement too, as
    // a mail's Message-ID is the sender's to choose and two senders may send the same.
    keysOf: (m) => [`contact ${m.channel}\n${m.channelUserId}`, `provider ${m.channel}\n${m.providerMessageId}`],
    run: (batch) => storeManyIntoOpenConversations(db, batch),
  });
}

/** One message alone, without gathering (tests and tools that call `ingest` without a running Wasl). */
export async function storeIntoOpenConversation(db: Db, m: InboundMessage): Promise<IngestResult | null> {
  const [stored] = await storeManyIntoOpenConversations(db, [m]);
  return stored ?? null;
}

async function storeManyIntoOpenConversations(db: Db, batch: readonly InboundMessage[]): Promise<(IngestResult | null)[]> {
  const rows = await runNamed(db, INTO_OPEN_CONVERSATION, [
    batch.map((m) => m.channel),
    batch.map((m) => m.channelUserId),
    batch.map((m) => m.verifiedMobile ?? null),
    batch.map((m) => m.providerMessageId),
    batch.map((m) => m.text),
    batch.map((m) => JSON.stringify(payloadOf(m))),
    batch.map((m) => m.receivedAt.toISOString()),
  ]);
  // Inbound (channel, provider id) is unique, and unique within a batch (`keysOf`): it names each row's message.
  const stored = new Map(rows.map((r) => [`${String(r.channel)}\n${String(r.provider_message_id)}`, r]));
  return batch.map((m) => {
    const row = stored.get(`${m.channel}\n${m.providerMessageId}`);
    return storedRow(row ? [row] : []);
  });
}

// One entry per message in each array: $1 channel, $2 channel user id, $3 proven mobile or null, $4 provider
// message id, $5 text, $6 payload, $7 received at. Contacts are locked in id order, so two statements of two web
// processes cannot deadlock over the same two people.
const INTO_OPEN_CONVERSATION = namedStatement(
  'ingest_into_open_conversation_many',
  `with input as (
     select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::jsonb[], $7::timestamptz[])
       with ordinality as i(channel, channel_user_id, verified_mobile, provider_message_id, text, payload, received_at, ord)
   ), target as (
     select i.ord, c.id as contact_id, cv.id as conversation_id
     from input i
     join contacts c on c.channel = i.channel and c.channel_user_id = i.channel_user_id
     join conversations cv on cv.contact_id = c.id and cv.status <> 'resolved'
     where (i.verified_mobile is null or c.verified_mobile = i.verified_mobile)
       and not exists (select 1 from messages d where d.channel = i.channel and d.provider_message_id = i.provider_message_id and d.direction = 'in')
     order by c.id
     for no key update of c for key share of cv
   ), counted as (
     update contacts set inbound_seq = inbound_seq + 1, last_seen_at = now(), opted_out = false
     from target where contacts.id = target.contact_id
     returning contacts.inbound_seq as seq, target.conversation_id, target.ord
   )
   insert into messages (conversation_id, direction, channel, seq, provider_message_id, author, text, payload, status, received_at)
   select counted.conversation_id, 'in', i.channel, counted.seq, i.provider_message_id, 'beneficiary', i.text, i.payload, 'received', i.received_at
   from counted join input i on i.ord = counted.ord
   on conflict (channel, provider_message_id) where direction = 'in' do nothing
   returning id, conversation_id, channel, provider_message_id`,
);

/**
 * A first message from someone Wasl has never seen, on a channel that proves no number: a new record, contact
 * and conversation, and the message, at once. Null when the contact exists after all, or the provider id does.
 * Two first messages racing make one statement fail on the contacts' unique index; `ingest` runs the loser
 * again and it finds the winner's.
 * A proven number (WhatsApp) may belong to someone known, so that case takes the general path.
 */
export async function storeFirstMessage(db: Db, m: InboundMessage): Promise<IngestResult | null> {
  if (m.verifiedMobile) return null;
  return storedRow(
    await runNamed(db, FIRST_MESSAGE, [m.channel, m.channelUserId, m.displayName ?? null, m.providerMessageId, m.text, JSON.stringify(payloadOf(m)), m.receivedAt.toISOString()]),
  );
}

// $1 channel, $2 channel user id, $3 display name, $4 provider message id, $5 text, $6 payload, $7 received at.
const FIRST_MESSAGE = namedStatement(
  'ingest_first_message',
  `with person as (
     -- Every data-modifying CTE runs: the check lives here, so a known contact never leaves an empty record.
     insert into beneficiaries (id)
     select nextval(pg_get_serial_sequence('beneficiaries', 'id'))
     where not exists (select 1 from contacts k where k.channel = $1 and k.channel_user_id = $2)
       -- A provider id already stored (an e-mail's Message-ID is the sender's to choose) is a redelivery:
       -- the general path says so.
       and not exists (select 1 from messages d where d.channel = $1 and d.provider_message_id = $4 and d.direction = 'in')
     returning id
   ), contact as (
     insert into contacts (beneficiary_id, channel, channel_user_id, display_name, inbound_seq)
     select person.id, $1, $2, $3, 1 from person
     returning id, beneficiary_id
   ), conversation as (
     insert into conversations (contact_id, beneficiary_id, channel)
     select id, beneficiary_id, $1 from contact
     returning id
   )
   insert into messages (conversation_id, direction, channel, seq, provider_message_id, author, text, payload, status, received_at)
   select conversation.id, 'in', $1, 1, $4, 'beneficiary', $5, $6::jsonb, 'received', $7::timestamptz
   from conversation
   returning id, conversation_id`,
);

