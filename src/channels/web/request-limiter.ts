/**
 * Fixed-window request counters in Redis, so a limit holds across every web process: per device id against
 * one noisy (or scripted) browser, per IP against someone minting new ids. Counting in Redis rather than in
 * memory is what makes `ROLES=web` on several machines safe.
 */
import type { Redis } from 'ioredis';

export interface LimitVerdict {
  allowed: boolean;
  /** When the current window ends, for Retry-After. */
  retryAfterMs: number;
}

export interface RequestLimiter {
  /** Counts one request for `key` and says whether it is within `max` per `windowMs`. */
  take(key: string, max: number, windowMs: number): Promise<LimitVerdict>;
}

export function createRequestLimiter(redis: Redis, prefix: string): RequestLimiter {
  return {
    async take(key, max, windowMs) {
      const window = Math.floor(Date.now() / windowMs);
      const redisKey = `${prefix}:ratelimit:${key}:${window}`;
      const [[, count]] = (await redis.multi().incr(redisKey).pexpire(redisKey, windowMs).exec()) as [[Error | null, number]];
      return { allowed: count <= max, retryAfterMs: (window + 1) * windowMs - Date.now() };
    },
  };
}
