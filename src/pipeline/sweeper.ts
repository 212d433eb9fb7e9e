/**
 * The safety net under "never lose a message": if Redis was unreachable at the moment a message was stored or
 * a reply was written, no job exists for it. The sweeper finds such rows and asks again; job ids and the
 * per-conversation deduplication make a second ask harmless.
 */
import { and, eq, lt, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { ChannelName } from '../messages/channel-name';
import type { Queues } from '../queue/queues';
import type { Db } from '../store/database';
import { messages } from '../store/schema';
import { repeatWithoutOverlap } from '../scheduling/repeat-without-overlap';

export interface SweepResult {
  drains: number;
  sends: number;
}

export async function sweepStrandedWork(
  deps: { db: Db; queues: Pick<Queues, 'requestDrain' | 'enqueueSend'> },
  olderThanMs: number,
): Promise<SweepResult> {
  const cutoff = new Date(Date.now() - olderThanMs);
  const drains = await deps.db
    .selectDistinct({ conversationId: messages.conversationId })
    .from(messages)
    .where(and(eq(messages.direction, 'in'), eq(messages.status, 'received'), lt(messages.createdAt, cutoff)))
    .limit(500);
  for (const d of drains) await deps.queues.requestDrain(d.conversationId);
  // One request per conversation and channel covers all its queued replies (its send job sends them in order).
  const sends = await deps.db
    .select({ conversationId: messages.conversationId, channel: messages.channel, id: sql<number>`min(${messages.id})`.mapWith(Number) })
    .from(messages)
    .where(and(eq(messages.direction, 'out'), eq(messages.status, 'queued'), lt(messages.createdAt, cutoff)))
    .groupBy(messages.conversationId, messages.channel)
    .limit(1000);
  for (const s of sends) await deps.queues.enqueueSend({ ...s, channel: s.channel as ChannelName });
  return { drains: drains.length, sends: sends.length };
}

export function startSweeper(
  deps: { db: Db; queues: Pick<Queues, 'requestDrain' | 'enqueueSend'>; log: Logger },
  opts: { everyMs: number; olderThanMs: number },
): { stop(): void } {
  return repeatWithoutOverlap(
    async () => {
      const r = await sweepStrandedWork(deps, opts.olderThanMs);
      if (r.drains || r.sends) deps.log.info(r, 'sweeper re-queued stranded work');
    },
    { everyMs: opts.everyMs, onError: (err) => deps.log.warn({ err }, 'sweep failed; will try again') },
  );
}
