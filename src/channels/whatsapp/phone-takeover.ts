/**
 * A staff member answering a beneficiary from the charity's phone (same number, not through Wasl) takes the
 * conversation over, as a researcher's takeover in the console does: the conversation becomes `human`, the
 * engine stays silent, and the staff message joins the history. The bot never talks over a human.
 */
import { and, eq, ne, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { EventCounters } from '../../observability/event-counters';
import type { Db } from '../../store/database';
import { auditLog, contacts, conversations, messages } from '../../store/schema';
import { loggableMessageId, type WhatsappMessage } from './whatsapp-client';
import { ignoreReason } from './whatsapp-inbound';

export const PHONE_TAKEOVER_REASON = 'staff-replied-from-phone';

export type TakeoverOutcome = 'taken-over' | 'duplicate' | 'not-a-beneficiary-chat' | 'unknown-contact' | 'no-open-conversation';

/**
 * Records a message typed on the phone. The caller has already established it is not one of our sends.
 * @param language stored with the message like any outbound one; the conversation's own language is unknown here.
 */
export async function recordPhoneTakeover(
  deps: { db: Db; log: Logger; counters?: Pick<EventCounters, 'handoff'> },
  m: WhatsappMessage,
  language: 'ar' | 'en',
): Promise<TakeoverOutcome> {
  const chatId = m.to;
  if (ignoreReason({ from: chatId, fromMe: false, isStatus: m.isStatus, broadcast: m.broadcast, type: m.type })) return 'not-a-beneficiary-chat';
  const providerMessageId = m.id._serialized;
  // Only a chat the bot had is a handoff; staff writing into a chat already waiting or held hands nothing over.
  let fromBot = false;
  const outcome = await deps.db.transaction(async (tx): Promise<TakeoverOutcome> => {
    const [contact] = await tx
      .select({ id: contacts.id, beneficiaryId: contacts.beneficiaryId })
      .from(contacts)
      .where(and(eq(contacts.channel, 'whatsapp'), eq(contacts.channelUserId, chatId)))
      .limit(1);
    // Staff writing to someone who never wrote to Wasl is none of the bot's business.
    if (!contact) return 'unknown-contact';
    const [conversation] = await tx
      .select({ id: conversations.id, status: conversations.status })
      .from(conversations)
      .where(and(eq(conversations.contactId, contact.id), ne(conversations.status, 'resolved')))
      .for('update');
    if (!conversation) return 'no-open-conversation';
    const [seen] = await tx
      .select({ id: messages.id })
      .from(messages)
      .where(and(eq(messages.channel, 'whatsapp'), eq(messages.direction, 'out'), eq(messages.providerMessageId, providerMessageId)))
      .limit(1);
    if (seen) return 'duplicate';
    fromBot = conversation.status === 'bot';
    const sentAt = new Date(m.timestamp * 1000);
    await tx
      .update(conversations)
      .set({
        status: 'human',
        handoffReason: sql`coalesce(${conversations.handoffReason}, ${PHONE_TAKEOVER_REASON})`,
        handedOffAt: sql`coalesce(${conversations.handedOffAt}, now())`,
        updatedAt: sql`now()`,
      })
      .where(eq(conversations.id, conversation.id));
    await tx.insert(messages).values({
      conversationId: conversation.id,
      direction: 'out',
      channel: 'whatsapp',
      providerMessageId,
      author: 'staff',
      text: m.body ?? '',
      payload: { choices: [], language, via: 'phone' },
      status: 'sent',
      sentAt,
    });
    await tx.insert(auditLog).values({
      action: 'conversation.takeover',
      subjectKind: 'conversation',
      subjectId: String(conversation.id),
      beneficiaryId: contact.beneficiaryId,
      details: { via: 'whatsapp-phone', providerMessageId },
    });
    return 'taken-over';
  });
  if (outcome === 'taken-over' && fromBot) deps.counters?.handoff();
  if (outcome === 'taken-over') deps.log.info({ messageId: loggableMessageId(providerMessageId) }, 'staff answered from the phone: the bot is paused for this chat');
  else deps.log.debug({ messageId: loggableMessageId(providerMessageId), outcome }, 'message typed on the phone not recorded');
  return outcome;
}
