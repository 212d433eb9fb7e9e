/**
 * Step 3 of the path of one message: an outbound row becomes one provider send. The job id is the message id
 * and the row's status is checked first, so a retried or re-added job never sends twice what was sent.
 */
import { eq, and } from 'drizzle-orm';
import { UnrecoverableError } from 'bullmq';
import type { Logger } from 'pino';
import { ChannelDeliveryError, type ChannelAdapter } from '../channels/channel-adapter';
import { outboundPayloadSchema } from '../messages/outbound-message';
import type { Db } from '../store/database';
import { contacts, conversations, messages } from '../store/schema';

export interface SendDeps {
  db: Db;
  log: Logger;
  adapter: ChannelAdapter;
}

export type SendOutcome = 'sent' | 'already-done' | 'missing';

export async function sendOutbound(deps: SendDeps, messageId: number): Promise<SendOutcome> {
  const [row] = await deps.db
    .select({ message: messages, channelUserId: contacts.channelUserId })
    .from(messages)
    .innerJoin(conversations, eq(conversations.id, messages.conversationId))
    .innerJoin(contacts, eq(contacts.id, conversations.contactId))
    .where(and(eq(messages.id, messageId), eq(messages.direction, 'out')))
    .limit(1);
  if (!row) return 'missing';
  if (row.message.status !== 'queued') return 'already-done';
  const payload = outboundPayloadSchema.parse(row.message.payload);
  try {
    const receipt = await deps.adapter.send({
      messageId,
      conversationId: row.message.conversationId,
      channelUserId: row.channelUserId,
      text: row.message.text ?? '',
      choices: payload.choices,
      language: payload.language,
    });
    await deps.db
      .update(messages)
      .set({ status: 'sent', providerMessageId: receipt.providerMessageId, sentAt: new Date(), error: null })
      .where(and(eq(messages.id, messageId), eq(messages.status, 'queued')));
    return 'sent';
  } catch (err) {
    if (err instanceof ChannelDeliveryError && !err.retryable) {
      await markFailed(deps.db, messageId, err.message);
      throw new UnrecoverableError(err.message);
    }
    throw err;
  }
}

/** Called when the last attempt fails too: the console shows the message as failed. */
export async function markFailed(db: Db, messageId: number, reason: string): Promise<void> {
  await db
    .update(messages)
    .set({ status: 'failed', error: reason.slice(0, 500) })
    .where(and(eq(messages.id, messageId), eq(messages.status, 'queued')));
}
