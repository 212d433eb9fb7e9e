/**
 * Counters and one latency histogram kept in Redis, so every process (web, engine, outbound — possibly on
 * different machines) adds to the same numbers and `/metrics` on any web process reports them all. Events are
 * added up in memory and written in one pipelined round trip a second (and before a snapshot or shutdown):
 * a metrics write must never slow or fail a message, and a round trip per message was a measurable share of
 * the pipeline's cost (docs/performance.md). A process killed outright loses at most its last second of counts.
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

/** Upper bounds in seconds, from a fast reply to a provider that made us wait. */
export const LATENCY_BUCKETS = [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] as const;

export interface EventCounters {
  messageIn(channel: string): void;
  /**
   * A finished job: the time it spent from being queued to being done (engine drain, outbound send) and, for a
   * reply that went out, its channel — both in the same round trip.
   */
  jobDone(done: { queue: string; seconds: number } | null, sent?: { channel: string; count: number }): void;
  /**
   * Conversations handed to a person, counted once each time it happens (after the commit), because
   * `handed_off_at` is overwritten by a second handoff and cleared by a hand-back: a count of it is no counter.
   */
  handoff(count?: number): void;
  snapshot(): Promise<CountersSnapshot>;
  /** Writes what is pending and stops the timer. */
  close(): Promise<void>;
}

const FLUSH_EVERY_MS = 1000;

export interface CountersSnapshot {
  messages: { channel: string; direction: 'in' | 'out'; count: number }[];
  latency: { queue: string; buckets: { le: string; count: number }[]; sum: number; count: number }[];
  handoffs: number;
}

export function createEventCounters(redis: Redis, prefix: string, log: Logger): EventCounters {
  const messagesKey = `${prefix}:metrics:messages`;
  const latencyKey = (queue: string) => `${prefix}:metrics:latency:${queue}`;
  const queuesKey = `${prefix}:metrics:latency-queues`;
  const eventsKey = `${prefix}:metrics:events`;
  const swallow = (err: unknown) => log.debug({ err }, 'metrics write failed');
  // Redis key → hash field → amount to add; floats only for the latency sums.
  let pending = new Map<string, Map<string, number>>();
  const queuesSeen = new Set<string>();
  const add = (key: string, field: string, by: number) => {
    let fields = pending.get(key);
    if (!fields) pending.set(key, (fields = new Map()));
    fields.set(field, (fields.get(field) ?? 0) + by);
  };
  const flush = async () => {
    if (pending.size === 0) return;
    const batch = pending;
    pending = new Map();
    const p = redis.multi();
    if (queuesSeen.size) p.sadd(queuesKey, ...queuesSeen);
    for (const [key, fields] of batch) {
      for (const [field, by] of fields) (field === 'sum' ? p.hincrbyfloat(key, field, by) : p.hincrby(key, field, by));
    }
    await p.exec().catch(swallow);
  };
  const timer = setInterval(() => void flush(), FLUSH_EVERY_MS);
  timer.unref();
  return {
    messageIn: (channel) => add(messagesKey, `in:${channel}`, 1),
    handoff: (count = 1) => add(eventsKey, 'handoffs', count),
    jobDone(done, sent) {
      if (sent?.count) add(messagesKey, `out:${sent.channel}`, sent.count);
      if (done) {
        const { queue, seconds } = done;
        const bucket = LATENCY_BUCKETS.find((b) => seconds <= b);
        queuesSeen.add(queue);
        add(latencyKey(queue), 'count', 1);
        add(latencyKey(queue), 'sum', seconds);
        add(latencyKey(queue), bucket === undefined ? 'le:+Inf' : `le:${bucket}`, 1);
      }
    },
    async close() {
      clearInterval(timer);
      await flush();
    },
    async snapshot() {
      await flush();
      const raw = await redis.hgetall(messagesKey);
      const messages = Object.entries(raw).map(([k, v]) => {
        const [direction, channel] = k.split(':') as ['in' | 'out', string];
        return { channel, direction, count: Number(v) };
      });
      const latency: CountersSnapshot['latency'] = [];
      for (const queue of (await redis.smembers(queuesKey)).sort()) {
        const h = await redis.hgetall(latencyKey(queue));
        // Prometheus buckets are cumulative.
        let running = 0;
        const buckets = [...LATENCY_BUCKETS.map(String), '+Inf'].map((le) => {
          running += Number(h[`le:${le}`] ?? 0);
          return { le, count: running };
        });
        latency.push({ queue, buckets, sum: Number(h.sum ?? 0), count: Number(h.count ?? 0) });
      }
      const handoffs = Number((await redis.hget(eventsKey, 'handoffs')) ?? 0);
      return { messages, latency, handoffs };
    },
  };
}
