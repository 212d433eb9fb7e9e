/**
 * Writes one outbound message into a conversation's outbox (status `queued`), the same shape the engine's drain
 * writes, so the channel's outbound worker sends it and records sent/delivered/failed. The caller enqueues the
 * send with `queues.enqueueSend` only after its transaction commits (transactional outbox, ARCHITECTURE.md step 3).
 */
import type { ChannelName } from '../messages/channel-name';
import type { QueuedReply } from '../queue/queues';
import type { OutboundAttachment, OutboundPayload } from '../messages/outbound-message';
import type { DbOrTx } from '../store/database';
import { messages } from '../store/schema';

export interface OutboundDraft {
  conversationId: number;
  channel: string;
  author: 'staff' | 'system' | 'bot';
  staffId: number | null;
  text: string;
  language: 'ar' | 'en';
  template?: string;
  /** The `@sms` rendering of a time-critical notice (OutboundPayload.smsText). */
  smsText?: string;
  attachment?: OutboundAttachment;
}


export async function writeOutbound(tx: DbOrTx, d: OutboundDraft): Promise<QueuedReply> {
  const payload: OutboundPayload = {
    choices: [],
    language: d.language,
    ...(d.template ? { template: d.template } : {}),
    ...(d.smsText !== undefined ? { smsText: d.smsText } : {}),
    ...(d.attachment ? { attachment: d.attachment } : {}),
  };
  const [row] = await tx
    .insert(messages)
    .values({
      conversationId: d.conversationId,
      direction: 'out',
      channel: d.channel,
      author: d.author,
      staffId: d.staffId,
      text: d.text,
      payload,
      status: 'queued',
    })
    .returning({ id: messages.id });
  return { id: row!.id, channel: d.channel as ChannelName, conversationId: d.conversationId };
}
