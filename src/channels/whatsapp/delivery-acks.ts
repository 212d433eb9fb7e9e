/**
 * WhatsApp delivery receipts (`message_ack`) recorded on our outbound message, found by its provider id.
 * A status only moves forward (sent → delivered → read); a late "delivered" never undoes "read".
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../../store/database';
import { messages, messageStatuses } from '../../store/schema';

/** whatsapp-web.js `MessageAck` values (Constants.js). */
export const MessageAck = { ERROR: -1, PENDING: 0, SERVER: 1, DEVICE: 2, READ: 3, PLAYED: 4 } as const;

type MessageStatus = (typeof messageStatuses)[number];

/** The status an ack moves a message to, and from which statuses; null when it says nothing we keep. */
function transition(ack: number): { to: MessageStatus; from: MessageStatus[] } | null {
  if (ack >= MessageAck.READ) return { to: 'read', from: ['sent', 'delivered'] };
  if (ack === MessageAck.DEVICE) return { to: 'delivered', from: ['sent'] };
  if (ack === MessageAck.ERROR) return { to: 'failed', from: ['sent'] };
  return null;
}

export type AckOutcome = 'recorded' | 'no-change' | 'unknown-message';

export async function recordAck(db: Db, providerMessageId: string, ack: number): Promise<AckOutcome> {
  const t = transition(ack);
  if (!t) return 'no-change';
  const where = and(eq(messages.channel, 'whatsapp'), eq(messages.direction, 'out'), eq(messages.providerMessageId, providerMessageId));
  const updated = await db
    .update(messages)
    .set({
      status: t.to,
      ...(t.to === 'failed'
        ? { error: 'WhatsApp reported a delivery error (ack -1)' }
        : { deliveredAt: sql`coalesce(${messages.deliveredAt}, now())` }),
    })
    .where(and(where, inArray(messages.status, t.from)))
    .returning({ id: messages.id });
  if (updated.length) return 'recorded';
  const known = await db.select({ id: messages.id }).from(messages).where(where).limit(1);
  return known.length ? 'no-change' : 'unknown-message';
}
