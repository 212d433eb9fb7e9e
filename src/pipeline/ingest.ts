/**
 * Step 1 of the path of one message (ARCHITECTURE.md): store it, once, and ask for a drain. Nothing is
 * answered here — webhook handlers call this and return at once.
 *
 * A message takes its arrival number (`seq`) from its contact's counter, under that contact's row lock, held to
 * commit: arrival order is commit order, so a drain can never see message 5 before message 4 is visible. The
 * conversation row is only share-locked (`FOR KEY SHARE`), which the drain's `FOR NO KEY UPDATE` allows, so a
 * beneficiary writing while their previous message is answered is stored at once; a researcher resolving the
 * chat (`FOR UPDATE`) still makes ingest wait and see it resolved. docs/decisions/0006.
 */
import { and, eq, ne, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import { inboundMessageSchema, type InboundMessage, type InboundMessageInput } from '../messages/inbound-message';
import type { ChannelName } from '../messages/channel-name';
import type { Queues } from '../queue/queues';
import { toStorableText } from '../text/storable-text';
import type { Db, DbOrTx, Tx } from '../store/database';
import { attachVerifiedMobile, findBeneficiaryByMobile } from '../beneficiaries/link-by-mobile';
import { beneficiaries, contacts, conversations, messages } from '../store/schema';
import { payloadOf, storeFirstMessage, storeIntoOpenConversation } from './store-inbound-fast';

export interface IngestResult {
  messageId: number;
  conversationId: number;
  duplicate: boolean;
}

export interface IngestDeps {
  db: Db;
  queues: Pick<Queues, 'requestDrain'>;
  log: Logger;
  /**
   * The common case's one statement, shared by messages arriving together (`createStoreIntoOpenConversation`, as
   * a running Wasl does); without it each message runs it alone.
   */
  storeIntoOpenConversation?(m: InboundMessage): Promise<IngestResult | null>;
}

const UNIQUE_VIOLATION = '23505';

export async function ingest(deps: IngestDeps, raw: InboundMessageInput): Promise<IngestResult> {
  const inbound = inboundMessageSchema.parse(raw);
  let result: IngestResult | undefined;
  // Two first messages from one new person race to create the contact or the open conversation; the loser's
  // transaction hits a unique index and simply runs again, finding what the winner made.
  for (let attempt = 0; ; attempt++) {
    try {
      // The two common cases — a known contact writing into its open conversation, a new person's first
      // message — are one statement each; anything else (a new conversation, a newly proven number, a
      // redelivery, a hint) takes the full transaction.
      result =
        (await (deps.storeIntoOpenConversation?.(inbound) ?? storeIntoOpenConversation(deps.db, inbound))) ??
        (await storeFirstMessage(deps.db, inbound)) ??
        (await deps.db.transaction((tx) => storeInbound(tx, inbound)));
      break;
    } catch (err) {
      if (attempt < 3 && pgCode(err) === UNIQUE_VIOLATION) continue;
      throw err;
    }
  }
  try {
    await deps.queues.requestDrain(result.conversationId);
  } catch (err) {
    // Stored is what matters: the sweeper finds unprocessed messages and asks again.
    deps.log.warn({ err, conversationId: result.conversationId }, 'message stored but the drain request failed; the sweeper will retry');
  }
  return result;
}

/** The contact's next arrival number; its row stays locked until the transaction commits. */
export async function takeInboundSeq(tx: DbOrTx, contactId: number): Promise<number> {
  const [row] = await tx
    .update(contacts)
    .set({ inboundSeq: sql`${contacts.inboundSeq} + 1` })
    .where(eq(contacts.id, contactId))
    .returning({ seq: contacts.inboundSeq });
  if (!row) throw new Error(`contact ${contactId} vanished while a message was being stored`);
  return row.seq;
}

/** The stored inbound message of a provider id on a channel, if any: what makes a redelivery a no-op. */
export async function findStoredInbound(db: DbOrTx, channel: ChannelName, providerMessageId: string): Promise<{ id: number; conversationId: number } | undefined> {
  const [row] = await db
    .select({ id: messages.id, conversationId: messages.conversationId })
    .from(messages)
    // As it was stored: a provider id is sender-chosen text and may hold a NUL PostgreSQL refuses.
    .where(and(eq(messages.channel, channel), eq(messages.providerMessageId, toStorableText(providerMessageId)), eq(messages.direction, 'in')))
    .limit(1);
  return row;
}

async function storeInbound(tx: Tx, m: InboundMessage): Promise<IngestResult> {
  const existing = await findStoredInbound(tx, m.channel, m.providerMessageId);
  if (existing) return { messageId: existing.id, conversationId: existing.conversationId, duplicate: true };

  let [contact] = await tx
    .select()
    .from(contacts)
    .where(and(eq(contacts.channel, m.channel), eq(contacts.channelUserId, m.channelUserId)))
    .limit(1);
  // The arrival number is taken with the contact's first write of this transaction, whose row lock it needs.
  let seq: number;
  if (!contact) {
    const known = m.verifiedMobile ? await findBeneficiaryByMobile(tx, m.verifiedMobile) : null;
    const beneficiaryId = known ?? (await tx.insert(beneficiaries).values({}).returning({ id: beneficiaries.id }))[0]!.id;
    [contact] = await tx
      .insert(contacts)
      .values({ beneficiaryId, channel: m.channel, channelUserId: m.channelUserId, displayName: m.displayName, verifiedMobile: m.verifiedMobile, inboundSeq: 1 })
      .returning();
    seq = 1;
  } else {
    // Writing again is asking to be answered (pipeline/opt-out-policy.ts); SMS never gets here while opted out,
    // since only its re-subscribe keyword lifts an SMS opt-out.
    const [touched] = await tx
      .update(contacts)
      .set({ lastSeenAt: sql`now()`, optedOut: false, inboundSeq: sql`${contacts.inboundSeq} + 1` })
      .where(eq(contacts.id, contact.id))
      .returning({ seq: contacts.inboundSeq });
    seq = touched!.seq;
    if (contact.optedOut) contact = { ...contact, optedOut: false };
    if (m.verifiedMobile && contact.verifiedMobile !== m.verifiedMobile) {
      const { linkedTo } = await attachVerifiedMobile(tx, contact.id, m.verifiedMobile);
      if (linkedTo) contact = { ...contact, beneficiaryId: linkedTo };
    }
  }

  let [conversation] = await tx
    .select({ id: conversations.id })
    .from(conversations)
    .where(and(eq(conversations.contactId, contact!.id), ne(conversations.status, 'resolved')))
    .for('key share');
  if (!conversation && m.conversationHint) conversation = await reopenAnswered(tx, contact!.id, m.conversationHint, m.receivedAt);
  if (!conversation) {
    [conversation] = await tx
      .insert(conversations)
      .values({ contactId: contact!.id, beneficiaryId: contact!.beneficiaryId, channel: m.channel })
      .returning({ id: conversations.id });
  }
  const [stored] = await tx
    .insert(messages)
    .values({
      conversationId: conversation!.id,
      direction: 'in',
      channel: m.channel,
      seq,
      providerMessageId: m.providerMessageId,
      author: 'beneficiary',
      text: m.text,
      payload: payloadOf(m),
      status: 'received',
      receivedAt: m.receivedAt,
    })
    .returning({ id: messages.id });
  // conversations.updated_at is left to the drain, which writes the row anyway: touching it here would wait on
  // the drain's lock.
  return { messageId: stored!.id, conversationId: conversation!.id, duplicate: false };
}

/** How long after it was resolved a reply to a conversation still reopens it rather than starting a new one. */
export const REOPEN_WITHIN_MS = 7 * 24 * 3_600_000;

/**
 * A reply to a recently resolved conversation of this same contact reopens it (the history stays one thread for
 * the researcher), with the bot starting afresh; a hint into another contact's conversation, or an old one, is
 * ignored. Only called when the contact has no open conversation: there is never more than one.
 */
async function reopenAnswered(tx: Tx, contactId: number, hint: number, at: Date): Promise<{ id: number } | undefined> {
  const [hinted] = await tx
    .select({ id: conversations.id, state: conversations.state, resolvedAt: conversations.resolvedAt })
    .from(conversations)
    .where(and(eq(conversations.id, hint), eq(conversations.contactId, contactId), eq(conversations.status, 'resolved')))
    .for('update');
  if (!hinted || !hinted.resolvedAt || at.getTime() - hinted.resolvedAt.getTime() > REOPEN_WITHIN_MS) return undefined;
  const language = (hinted.state as { language?: unknown } | null)?.language;
  const [reopened] = await tx
    .update(conversations)
    .set({ status: 'bot', resolvedAt: null, state: language === 'ar' || language === 'en' ? { language } : {}, updatedAt: sql`now()` })
    .where(eq(conversations.id, hinted.id))
    .returning({ id: conversations.id });
  return reopened;
}

function pgCode(err: unknown): string | undefined {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (typeof e.code === 'string') return e.code;
  }
  return undefined;
}
