/**
 * The transactional outbox: the bot's replies are rendered and written as `queued` outbound rows in the same
 * transaction as the state that produced them, and handed to the channel's queue only after commit.
 */
import type { ReplyInput } from '../messages/outbound-message';
import type { ChannelName } from '../messages/channel-name';
import type { Tx } from '../store/database';
import { namedStatement, runNamed } from '../store/named-statement';
import type { RenderedReply, ReplyRenderer } from '../templating/render-reply';
import type { Language } from '../templating/template-catalog';

export interface OutboxEntry {
  id: number;
  channel: ChannelName;
}

/**
 * One statement for any number of replies (a multi-row VALUES would be a different statement text for each
 * count). Rows are inserted in `ord` order, so their ids follow it.
 */
const INSERT_REPLIES = namedStatement(
  'outbox_insert_replies',
  `insert into messages (conversation_id, direction, channel, author, text, payload, status)
   select $1::bigint, 'out', $2::text, 'bot', r.text, r.payload, 'queued'
   from unnest($3::text[], $4::jsonb[]) with ordinality as r(text, payload, ord)
   order by r.ord
   returning id`,
);

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
  const payloads = items.map(({ rendered, language }) => JSON.stringify({ template: rendered.template, choices: rendered.choices, language }));
  const written = await runNamed(tx, INSERT_REPLIES, [to.conversationId, to.channel, items.map((i) => i.rendered.text), payloads]);
  // RETURNING's order is not promised by SQL; the ids are.
  return written
    .map((r) => Number(r.id))
    .sort((a, b) => a - b)
    .map((id) => ({ id, channel: to.channel as ChannelName }));
}
