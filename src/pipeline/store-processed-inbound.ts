/**
 * Inbound messages the engine never sees — an SMS opt-out keyword (channels/sms/subscription.ts), a mail too large
 * to read (channels/email/receive-oversized-email.ts) — are still stored, so staff see them in the conversation:
 * already `processed`, with the arrival number and the conversation share-lock ingest uses (ingest.ts), in the
 * contact's open conversation or a new one. The caller answers, if at all, through the outbox.
 */
import { and, eq, ne, sql } from 'drizzle-orm';
import type { ChannelName } from '../messages/channel-name';
import type { Tx } from '../store/database';
import { contacts, conversations, messages } from '../store/schema';
import { takeInboundSeq } from './ingest';

export interface ProcessedInbound {
  contactId: number;
  channel: ChannelName;
  providerMessageId: string;
  text: string;
  /** Why the engine did not see it, shown under the message in the console. */
  error?: string;
}

/** Stores `m` as processed; returns it with its conversation and that conversation's state (for its language). */
export async function storeProcessedInbound(tx: Tx, m: ProcessedInbound): Promise<{ messageId: number; conversationId: number; conversationState: unknown }> {
  const seq = await takeInboundSeq(tx, m.contactId);
  // Share-locked like ingest does, so a drain running on the conversation is not waited for.
  let [conversation] = await tx
    .select({ id: conversations.id, state: conversations.state })
    .from(conversations)
    .where(and(eq(conversations.contactId, m.contactId), ne(conversations.status, 'resolved')))
    .for('key share');
  if (!conversation) {
    const [contact] = await tx.select({ beneficiaryId: contacts.beneficiaryId }).from(contacts).where(eq(contacts.id, m.contactId));
    [conversation] = await tx
      .insert(conversations)
      .values({ contactId: m.contactId, beneficiaryId: contact!.beneficiaryId, channel: m.channel })
      .returning({ id: conversations.id, state: conversations.state });
  }
  const now = new Date();
  const [inbound] = await tx
    .insert(messages)
    .values({
      conversationId: conversation!.id,
      direction: 'in',
      channel: m.channel,
      seq,
      providerMessageId: m.providerMessageId,
      author: 'beneficiary',
      text: m.text,
      payload: { media: [] },
      status: 'processed',
      ...(m.error ? { error: m.error } : {}),
      receivedAt: now,
      processedAt: now,
    })
    .returning({ id: messages.id });
  await tx.update(conversations).set({ updatedAt: sql`now()` }).where(eq(conversations.id, conversation!.id));
  return { messageId: inbound!.id, conversationId: conversation!.id, conversationState: conversation!.state };
}
