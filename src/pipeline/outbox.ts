/**
 * The transactional outbox: the bot's replies are rendered and written as `queued` outbound rows in the same
 * transaction as the state that produced them, and handed to the channel's queue only after commit.
 */
import type { ReplyInput } from '../messages/outbound-message';
import type { ChannelName } from '../messages/channel-name';
import type { Tx } from '../store/database';
import { messages } from '../store/schema';
import type { RenderedReply, ReplyRenderer } from '../templating/render-reply';
import type { Language } from '../templating/template-catalog';

export interface OutboxEntry {
  id: number;
  channel: ChannelName;
}

export async function writeBotReplies(
  tx: Tx,
  renderer: ReplyRenderer,
  to: { conversationId: number; channel: string },
  replies: readonly ReplyInput[],
  language: Language,
): Promise<OutboxEntry[]> {
  return writeRenderedReplies(tx, to, replies.map((reply) => ({ rendered: renderer.render(reply, language, to.channel), language })));
}

/**
 * Replies already rendered (the drain renders each turn's inside the turn, to catch a template problem there),
 * each in its own language, in ONE insert: ids follow the order of `items` (one multi-row VALUES takes its ids
 * in row order), so the send chain (queue/workers.ts) keeps that order.
 */
export async function writeRenderedReplies(
  tx: Tx,
  to: { conversationId: number; channel: string },
  items: readonly { rendered: RenderedReply; language: Language }[],
): Promise<OutboxEntry[]> {
  if (items.length === 0) return [];
  const rows = items.map(({ rendered, language }) => {
    return {
      conversationId: to.conversationId,
      direction: 'out' as const,
      channel: to.channel,
      author: 'bot' as const,
      text: rendered.text,
      payload: { template: rendered.template, choices: rendered.choices, language },
      status: 'queued' as const,
    };
  });
  const written = await tx.insert(messages).values(rows).returning({ id: messages.id });
  // RETURNING's order is not promised by SQL; the ids are.
  return written.map((r) => r.id).sort((a, b) => a - b).map((id) => ({ id, channel: to.channel as ChannelName }));
}
