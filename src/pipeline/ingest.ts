/**
 * Step 1 of the path of one message (ARCHITECTURE.md): store it, once, and ask for a drain. Nothing is
 * answered here — webhook handlers call this and return at once.
 *
 * The conversation row is locked while the message takes its arrival number, so arrival order is commit order
 * and a drain can never see message 5 before message 4 is visible.
 */
import { and, eq, ne, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import { inboundMessageSchema, type InboundMessageInput } from '../messages/inbound-message';
import type { Queues } from '../queue/queues';
import type { Db, Tx } from '../store/database';
import { attachVerifiedMobile, findBeneficiaryByMobile } from '../beneficiaries/link-by-mobile';
import { beneficiaries, contacts, conversations, messages } from '../store/schema';

export interface IngestResult {
  messageId: number;
  conversationId: number;
  duplicate: boolean;
}

export interface IngestDeps {
  db: Db;
  queues: Pick<Queues, 'requestDrain'>;
  log: Logger;
}

const UNIQUE_VIOLATION = '23505';

export async function ingest(deps: IngestDeps, raw: InboundMessageInput): Promise<IngestResult> {
  const inbound = inboundMessageSchema.parse(raw);
  let result: IngestResult | undefined;
  // Two first messages from one new person race to create the contact or the open conversation; the loser's
  // transaction hits a unique index and simply runs again, finding what the winner made.
  for (let attempt = 0; ; attempt++) {
    try {
      result = await deps.db.transaction((tx) => storeInbound(tx, inbound));
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

async function storeInbound(tx: Tx, m: ReturnType<typeof inboundMessageSchema.parse>): Promise<IngestResult> {
  const existing = await tx
    .select({ id: messages.id, conversationId: messages.conversationId })
    .from(messages)
    .where(and(eq(messages.channel, m.channel), eq(messages.providerMessageId, m.providerMessageId), eq(messages.direction, 'in')))
    .limit(1);
  if (existing[0]) return { messageId: existing[0].id, conversationId: existing[0].conversationId, duplicate: true };

  let [contact] = await tx
    .select()
    .from(contacts)
    .where(and(eq(contacts.channel, m.channel), eq(contacts.channelUserId, m.channelUserId)))
    .limit(1);
  if (!contact) {
    const known = m.verifiedMobile ? await findBeneficiaryByMobile(tx, m.verifiedMobile) : null;
    const beneficiaryId = known ?? (await tx.insert(beneficiaries).values({}).returning({ id: beneficiaries.id }))[0]!.id;
    [contact] = await tx
      .insert(contacts)
      .values({ beneficiaryId, channel: m.channel, channelUserId: m.channelUserId, displayName: m.displayName, verifiedMobile: m.verifiedMobile })
      .returning();
  } else {
    // Writing again is asking to be answered (pipeline/opt-out-policy.ts); SMS never gets here while opted out,
    // since only its re-subscribe keyword lifts an SMS opt-out.
    await tx.update(contacts).set({ lastSeenAt: sql`now()`, optedOut: false }).where(eq(contacts.id, contact.id));
    if (contact.optedOut) contact = { ...contact, optedOut: false };
    if (m.verifiedMobile && contact.verifiedMobile !== m.verifiedMobile) {
      const { linkedTo } = await attachVerifiedMobile(tx, contact.id, m.verifiedMobile);
      if (linkedTo) contact = { ...contact, beneficiaryId: linkedTo };
    }
  }

  let [conversation] = await tx
    .select({ id: conversations.id, lastInboundSeq: conversations.lastInboundSeq })
    .from(conversations)
    .where(and(eq(conversations.contactId, contact!.id), ne(conversations.status, 'resolved')))
    .for('update');
  if (!conversation && m.conversationHint) conversation = await reopenAnswered(tx, contact!.id, m.conversationHint, m.receivedAt);
  if (!conversation) {
    [conversation] = await tx
      .insert(conversations)
      .values({ contactId: contact!.id, beneficiaryId: contact!.beneficiaryId, channel: m.channel })
      .returning({ id: conversations.id, lastInboundSeq: conversations.lastInboundSeq });
  }
  const seq = conversation!.lastInboundSeq + 1;
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
      payload: { media: m.media, ...(m.surveyLink ? { surveyLink: m.surveyLink } : {}) },
      status: 'received',
      receivedAt: m.receivedAt,
    })
    .returning({ id: messages.id });
  await tx
    .update(conversations)
    .set({ lastInboundSeq: seq, updatedAt: sql`now()` })
    .where(eq(conversations.id, conversation!.id));
  return { messageId: stored!.id, conversationId: conversation!.id, duplicate: false };
}

/** How long after it was resolved a reply to a conversation still reopens it rather than starting a new one. */
export const REOPEN_WITHIN_MS = 7 * 24 * 3_600_000;

/**
 * A reply to a recently resolved conversation of this same contact reopens it (the history stays one thread for
 * the researcher), with the bot starting afresh; a hint into another contact's conversation, or an old one, is
 * ignored. Only called when the contact has no open conversation: there is never more than one.
 */
async function reopenAnswered(tx: Tx, contactId: number, hint: number, at: Date): Promise<{ id: number; lastInboundSeq: number } | undefined> {
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
    .returning({ id: conversations.id, lastInboundSeq: conversations.lastInboundSeq });
  return reopened;
}

function pgCode(err: unknown): string | undefined {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (typeof e.code === 'string') return e.code;
  }
  return undefined;
}
