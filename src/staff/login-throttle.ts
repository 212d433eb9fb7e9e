/**
 * Brute-force protection for sign-in: failed attempts are counted in Redis per client IP and per account, so
 * every web process shares one count. Past the limit, sign-in answers 429 with the wait until the window ends —
 * even for the right password, or an attacker could still probe.
 */
import type { Redis } from 'ioredis';

export interface LoginThrottleOptions {
  /** @defaultValue 5 failed attempts per account per window */
  perAccount?: number;
  /** @defaultValue 20 failed attempts per IP per window */
  perIp?: number;
  /** @defaultValue 15 minutes */
  windowSeconds?: number;
}

export interface LoginThrottle {
  /** Seconds to wait when this IP or account is locked out; 0 when sign-in may proceed. */
  blockedFor(ip: string, email: string): Promise<number>;
  recordFailure(ip: string, email: string): Promise<void>;
  /** A successful sign-in clears the account's count (not the IP's: one good password must not reset a spray). */
  recordSuccess(email: string): Promise<void>;
}

export function createLoginThrottle(redis: Redis, prefix: string, opts: LoginThrottleOptions = {}): LoginThrottle {
  const perAccount = opts.perAccount ?? 5;
  const perIp = opts.perIp ?? 20;
  const window = opts.windowSeconds ?? 15 * 60;
  const accountKey = (email: string) => `${prefix}:console:login-fail:account:${email.toLowerCase()}`;
  const ipKey = (ip: string) => `${prefix}:console:login-fail:ip:${ip}`;
  const ttlIfOver = async (key: string, limit: number) => {
    const [count, ttl] = await Promise.all([redis.get(key), redis.ttl(key)]);
    return Number(count ?? 0) >= limit ? Math.max(ttl, 1) : 0;
  };
  return {
    async blockedFor(ip, email) {
      return Math.max(await ttlIfOver(ipKey(ip), perIp), await ttlIfOver(accountKey(email), perAccount));
    },
    async recordFailure(ip, email) {
      for (const key of [ipKey(ip), accountKey(email)]) {
        // The window starts at the first failure and is not extended by later ones.
        await redis.multi().incr(key).expire(key, window, 'NX').exec();
      }
    },
    async recordSuccess(email) {
      await redis.del(accountKey(email));
    },
  };
}
