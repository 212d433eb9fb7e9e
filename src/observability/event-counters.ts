/**
 * Counters and one latency histogram kept in Redis, so every process (web, engine, outbound — possibly on
 * different machines) adds to the same numbers and `/metrics` on any web process reports them all. One
 * pipelined round trip per event, fire-and-forget: a metrics write must never slow or fail a message.
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
  jobDone(done: { queue: string; seconds: number } | null, sentOn?: string): void;
  snapshot(): Promise<CountersSnapshot>;
}

export interface CountersSnapshot {
  messages: { channel: string; direction: 'in' | 'out'; count: number }[];
  latency: { queue: string; buckets: { le: string; count: number }[]; sum: number; count: number }[];
}

export function createEventCounters(redis: Redis, prefix: string, log: Logger): EventCounters {
  const messagesKey = `${prefix}:metrics:messages`;
  const latencyKey = (queue: string) => `${prefix}:metrics:latency:${queue}`;
  const queuesKey = `${prefix}:metrics:latency-queues`;
  const swallow = (err: unknown) => log.debug({ err }, 'metrics write failed');
  return {
    messageIn: (channel) => void redis.hincrby(messagesKey, `in:${channel}`, 1).catch(swallow),
    jobDone(done, sentOn) {
      if (!done && sentOn === undefined) return;
      const p = redis.multi();
      if (sentOn !== undefined) p.hincrby(messagesKey, `out:${sentOn}`, 1);
      if (done) {
        const { queue, seconds } = done;
        const bucket = LATENCY_BUCKETS.find((b) => seconds <= b);
        p.sadd(queuesKey, queue).hincrby(latencyKey(queue), 'count', 1).hincrbyfloat(latencyKey(queue), 'sum', seconds);
        p.hincrby(latencyKey(queue), bucket === undefined ? 'le:+Inf' : `le:${bucket}`, 1);
      }
      void p.exec().catch(swallow);
    },
    async snapshot() {
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
      return { messages, latency };
    },
  };
}
