/**
 * Replies streamed over server-sent events, shared by the terminal channel and the website chat. The channel's
 * adapter publishes each sent reply on Redis (any process may send it); the web role relays it to the
 * person's open streams. A client that reconnects with `Last-Event-ID` first gets what it missed from the
 * database, so a reply sent while it was away (or in the gap) is shown once and never lost.
 */
import { z } from 'zod';
import { and, desc, eq, gt, inArray, or } from 'drizzle-orm';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import type { ChannelName } from '../messages/channel-name';
import { outboundPayloadSchema } from '../messages/outbound-message';
import type { Db } from '../store/database';
import { SURVEY_RATING_TEMPLATE } from '../surveys/survey-flow';
import { contacts, conversations, messages } from '../store/schema';
import { attachmentDownloadPath } from '../documents/attachment-links';
import type { OutboundEnvelope } from './channel-adapter';

/** One message as a stream shows it; `id` is the message id, which is also the SSE event id. */
export interface ReplyEvent {
  id: number;
  direction: 'in' | 'out';
  text: string;
  choices: { number: number; value: string; label: string }[];
  /** A survey's rating question: a widget shows its options 1–5 as stars. */
  stars?: boolean;
  /** A file a researcher sent: a download link on the web role (src/documents/attachment-links.ts). */
  attachment?: { fileName: string; mimeType: string; sizeBytes: number; url: string };
}

export const replyTopic = (prefix: string, channel: ChannelName, userId: string) => `${prefix}:${channel}:${userId}`;

/** What a reply's template and file add to its event, live or replayed alike. */
function replyExtras(template: string | undefined, attachment: ReplyEvent['attachment']): Pick<ReplyEvent, 'stars' | 'attachment'> {
  return { ...(template === SURVEY_RATING_TEMPLATE ? { stars: true } : {}), ...(attachment ? { attachment } : {}) };
}

/** Called by an adapter's `send`: hands the reply to whichever web process holds the person's stream. */
export async function publishReply(redis: Redis, prefix: string, channel: ChannelName, m: OutboundEnvelope): Promise<void> {
  const file = m.attachment;
  const event: ReplyEvent = {
    id: m.messageId,
    direction: 'out',
    text: m.text,
    choices: m.choices,
    ...replyExtras(m.template, file && { fileName: file.fileName, mimeType: file.mimeType, sizeBytes: file.sizeBytes, url: file.downloadPath }),
  };
  await redis.publish(replyTopic(prefix, channel, m.channelUserId), JSON.stringify(event));
}

export interface ReplyHub {
  /** Calls `listener` for each reply published to `userId`; returns the function that stops it. */
  listen(userId: string, listener: (e: ReplyEvent) => void): () => void;
}

/** One Redis subscription per channel and process, fanned out to the open streams in memory. */
export async function createReplyHub(subscriber: Redis, prefix: string, channel: ChannelName): Promise<ReplyHub> {
  const listeners = new Map<string, Set<(e: ReplyEvent) => void>>();
  const head = replyTopic(prefix, channel, '');
  await subscriber.psubscribe(`${head}*`);
  subscriber.on('pmessage', (_pattern, topic: string, payload: string) => {
    if (!topic.startsWith(head)) return;
    const set = listeners.get(topic.slice(head.length));
    if (!set) return;
    const event = JSON.parse(payload) as ReplyEvent;
    for (const l of set) l(event);
  });
  return {
    listen(userId, listener) {
      const set = listeners.get(userId) ?? new Set();
      listeners.set(userId, set);
      set.add(listener);
      return () => {
        set.delete(listener);
        if (set.size === 0) listeners.delete(userId);
      };
    },
  };
}

/**
 * `Last-Event-ID` as a browser sends it back: one of the ids this stream wrote (message ids, digits). Anything
 * else is refused with a 400 rather than reaching the query — `Number()` of "1e309" is Infinity and of
 * "99999999999999999999" overflows bigint, and either failed the query after the stream had begun.
 */
export const lastEventIdSchema = z
  .string()
  .regex(/^\d{1,15}$/, 'must be the id of an event this stream sent (up to 15 digits)')
  .transform(Number);

/** The id a reconnecting client has (0 for a new page), or the zod error naming the header. */
export function parseLastEventId(header: string | string[] | undefined, fallback?: number): { ok: true; id: number } | { ok: false; details: string } {
  if (header === undefined) return { ok: true, id: fallback ?? 0 };
  const parsed = z.object({ 'last-event-id': lastEventIdSchema }).safeParse({ 'last-event-id': header });
  return parsed.success ? { ok: true, id: parsed.data['last-event-id'] } : { ok: false, details: z.prettifyError(parsed.error) };
}

export interface StreamRepliesOptions {
  db: Db;
  hub: ReplyHub;
  channel: ChannelName;
  userId: string;
  /** The last event the client has; 0 for a new page. */
  lastEventId: number;
  /** Also replay what the person wrote, for a client that redraws the whole conversation after a reload. */
  includeInbound?: boolean;
  /**
   * Most messages replayed on connect (the latest ones).
   * @defaultValue 500
   */
  replayLimit?: number;
  /** The `data:` of one event. */
  format(e: ReplyEvent): unknown;
}

const SHOWN_OUTBOUND = ['queued', 'sent', 'delivered', 'read'] as const;

/** Takes over the response and streams events until the client goes away. */
export async function streamReplies(req: FastifyRequest, reply: FastifyReply, opts: StreamRepliesOptions): Promise<void> {
  // Headers set earlier by hooks (CORS) must survive the hijack.
  const inherited = Object.fromEntries(Object.entries(reply.getHeaders()).filter(([, v]) => v !== undefined)) as Record<string, string>;
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    ...inherited,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  // Without this Node holds the headers back until the first event, and the browser shows no connection yet.
  res.flushHeaders();
  let lastSent = opts.lastEventId;
  const write = (e: ReplyEvent) => {
    if (e.id <= lastSent) return;
    lastSent = e.id;
    res.write(`id: ${e.id}\ndata: ${JSON.stringify(opts.format(e))}\n\n`);
  };
  // Listen first, then replay what was missed, so nothing falls between the two.
  const buffered: ReplyEvent[] = [];
  let replaying = true;
  const stop = opts.hub.listen(opts.userId, (e) => (replaying ? buffered.push(e) : write(e)));
  let ping: NodeJS.Timeout | undefined;
  req.raw.on('close', () => {
    clearInterval(ping);
    stop();
  });
  try {
    for (const e of await missedEvents(opts)) write(e);
  } catch (err) {
    req.log.error({ err, channel: opts.channel }, 'could not replay missed replies');
  }
  replaying = false;
  buffered.sort((a, b) => a.id - b.id).forEach(write);
  ping = setInterval(() => res.write(': ping\n\n'), 15_000);
}

async function missedEvents(opts: StreamRepliesOptions): Promise<ReplyEvent[]> {
  const rows = await opts.db
    .select({ id: messages.id, direction: messages.direction, text: messages.text, payload: messages.payload })
    .from(messages)
    .innerJoin(conversations, eq(conversations.id, messages.conversationId))
    .innerJoin(contacts, eq(contacts.id, conversations.contactId))
    .where(
      and(
        eq(contacts.channel, opts.channel),
        eq(contacts.channelUserId, opts.userId),
        gt(messages.id, opts.lastEventId),
        or(
          and(eq(messages.direction, 'out'), inArray(messages.status, SHOWN_OUTBOUND)),
          opts.includeInbound ? eq(messages.direction, 'in') : undefined,
        ),
      ),
    )
    .orderBy(desc(messages.id))
    .limit(opts.replayLimit ?? 500);
  return rows.reverse().map((m) => {
    const payload = m.direction === 'out' ? outboundPayloadSchema.safeParse(m.payload) : null;
    const data = payload?.success ? payload.data : undefined;
    const file = data?.attachment;
    return {
      id: m.id,
      direction: m.direction,
      text: m.text ?? '',
      choices: data?.choices ?? [],
      ...replyExtras(data?.template, file && { fileName: file.fileName, mimeType: file.mimeType, sizeBytes: file.sizeBytes, url: attachmentDownloadPath(m.id, file.token) }),
    };
  });
}
