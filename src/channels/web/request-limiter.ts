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
  /**
   * Counts one request against each of `limits` (at most `max` per `windowMs` for its `key`), in one round trip,
   * and says whether it is within all of them.
   */
  take(limits: readonly { key: string; max: number }[], windowMs: number): Promise<LimitVerdict>;
}

export function createRequestLimiter(redis: Redis, prefix: string): RequestLimiter {
  return {
    async take(limits, windowMs) {
      const window = Math.floor(Date.now() / windowMs);
      const tx = redis.multi();
      for (const { key } of limits) {
        const redisKey = `${prefix}:ratelimit:${key}:${window}`;
        tx.incr(redisKey).pexpire(redisKey, windowMs);
      }
      const replies = (await tx.exec()) as [Error | null, number][];
      const allowed = limits.every(({ max }, i) => replies[2 * i]![1] <= max);
      return { allowed, retryAfterMs: (window + 1) * windowMs - Date.now() };
    },
  };
}
