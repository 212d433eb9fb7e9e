/**
 * Delivery reports move an outbound SMS from `sent` to `delivered` or `failed`, found by the provider's message
 * id. Operators' reports may come late, twice or never (ENGINEERING.md §6), so a report only moves a message
 * forward and a missing one leaves it `sent`.
 */
import { and, eq, inArray } from 'drizzle-orm';
import type { Db } from '../../store/database';
import { messages } from '../../store/schema';
import { cutText } from '../../text/storable-text';
import type { SmsWebhookEvent } from './sms-provider';

/** Applies one report; returns whether a message changed. */
export async function recordDeliveryReport(db: Db, report: Extract<SmsWebhookEvent, { kind: 'status' }>): Promise<boolean> {
  if (report.state === 'sent') return false;
  const where = and(
    eq(messages.channel, 'sms'),
    eq(messages.direction, 'out'),
    eq(messages.providerMessageId, report.providerMessageId),
    inArray(messages.status, ['queued', 'sent']),
  );
  const changed =
    report.state === 'delivered'
      ? await db.update(messages).set({ status: 'delivered', deliveredAt: new Date(), error: null }).where(where).returning({ id: messages.id })
      : await db
          .update(messages)
          .set({ status: 'failed', error: cutText(`not delivered: ${report.error ?? 'the operator reported a failure'}`, 500) })
          .where(where)
          .returning({ id: messages.id });
  return changed.length > 0;
}
