/**
 * The transactional outbox: the bot's replies are rendered and written as `queued` outbound rows in the same
 * transaction as the state that produced them, and handed to the channel's queue only after commit.
 */
import type { ReplyInput } from '../messages/outbound-message';
import type { ChannelName } from '../messages/channel-name';
import type { Tx } from '../store/database';
import { messages } from '../store/schema';
import type { ReplyRenderer } from '../templating/render-reply';
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
  const out: OutboxEntry[] = [];
  for (const reply of replies) {
    const rendered = renderer.render(reply, language, to.channel);
    const [row] = await tx
      .insert(messages)
      .values({
        conversationId: to.conversationId,
        direction: 'out',
        channel: to.channel,
        author: 'bot',
        text: rendered.text,
        payload: { template: rendered.template, choices: rendered.choices, language },
        status: 'queued',
      })
      .returning({ id: messages.id });
    out.push({ id: row!.id, channel: to.channel as ChannelName });
  }
  return out;
}
