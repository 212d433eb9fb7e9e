/**
 * The transactional outbox: the bot's replies are rendered and written as `queued` outbound rows in the same
 * transaction as the state that produced them, and handed to the channel's queue only after commit.
 */
import type { ReplyInput } from '../messages/outbound-message';
import type { ChannelName } from '../messages/channel-name';
import type { QueuedReply } from '../queue/queues';
import type { Tx } from '../store/database';
import { namedStatement, runNamed } from '../store/named-statement';
import type { RenderedReply, ReplyRenderer } from '../templating/render-reply';
import type { Language } from '../templating/template-catalog';

/**
 * The insert of replies: one statement text for any number of replies (a multi-row VALUES would be a different
 * text for each count). Rows go in in `ord` order, so their ids follow it. The drain writes its replies in its
 * own statement (drain-conversation.ts), several conversations' at once.
 */
const INSERT_REPLIES = namedStatement(
  'outbox_insert_replies',
  `insert into messages (conversation_id, direction, channel, author, text, payload, status)
   select $1::bigint, 'out', $2::text, 'bot', r.text, r.payload, 'queued'
   from unnest($3::text[], $4::jsonb[]) with ordinality as r(text, payload, ord)
   order by r.ord
   returning id`,
);

/** The texts and the payloads of `items`, as the reply inserts take them (two arrays, one entry per reply). */
export function replyColumns(items: readonly { rendered: RenderedReply; language: Language }[]): [string[], string[]] {
  return [
    items.map((i) => i.rendered.text),
    items.map(({ rendered, language }) => JSON.stringify({ template: rendered.template, choices: rendered.choices, language })),
  ];
}

/** The rows the insert returned, in id order: RETURNING's order is not promised by SQL; the ids are. */
export function outboxEntries(rows: Record<string, unknown>[], to: { conversationId: number; channel: string }): QueuedReply[] {
  return rows
    .map((r) => Number(r.id))
    .sort((a, b) => a - b)
    .map((id) => ({ id, channel: to.channel as ChannelName, conversationId: to.conversationId }));
}

/**
 * Renders replies and writes them in ONE insert, in order (a flow started without a message: surveys, start-
 * flow). The drain renders inside each turn and writes its replies in its own statement (FINISH_DRAIN).
 */
export async function writeBotReplies(
  tx: Tx,
  renderer: ReplyRenderer,
  to: { conversationId: number; channel: string },
  replies: readonly ReplyInput[],
  language: Language,
): Promise<QueuedReply[]> {
  if (replies.length === 0) return [];
  const items = replies.map((reply) => ({ rendered: renderer.render(reply, language, to.channel), language }));
  return outboxEntries(await runNamed(tx, INSERT_REPLIES, [to.conversationId, to.channel, ...replyColumns(items)]), to);
}
