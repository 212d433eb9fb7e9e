/**
 * Per-chat inbound rate limit: at most 20 updates in a 10-second window, counted in Redis so every web process
 * shares it.
 *
 * It never drops a message. In webhook mode a chat over the limit is answered 429 and Telegram delivers that
 * update again later; Telegram sends one chat's updates one at a time and other chats' in parallel, so only the
 * flooding chat waits (https://grammy.dev/guide/deployment-types#ending-webhook-requests-in-time). In polling
 * mode one `getUpdates` offset covers every chat, so holding one chat back would hold back all of them: the
 * updates are stored anyway and the guard only reports the flood. Either way the engine drains one conversation
 * at a time (ARCHITECTURE.md), so a flooding chat holds at most one engine slot.
 */
import type { Redis } from 'ioredis';

export const INBOUND_LIMIT = { max: 20, windowMs: 10_000 } as const;

export interface FloodGuard {
  /** Counts one update from `chatId`; false once the chat is over the limit in the current window. */
  admit(chatId: string): Promise<{ admitted: boolean; retryAfterSeconds: number }>;
}

export function createFloodGuard(redis: Redis, prefix: string, limit: { max: number; windowMs: number } = INBOUND_LIMIT): FloodGuard {
  return {
    async admit(chatId) {
      // The window opens with the chat's first update (SET NX PX) rather than on the clock's 10-second marks,
      // so a burst cannot slip through by straddling a boundary.
      const key = `${prefix}:telegram:inbound:${chatId}`;
      const replies = (await redis.multi().set(key, '0', 'PX', limit.windowMs, 'NX').incr(key).pttl(key).exec()) ?? [];
      const count = Number(replies[1]?.[1] ?? 0);
      const ttlMs = Number(replies[2]?.[1] ?? limit.windowMs);
      return { admitted: count <= limit.max, retryAfterSeconds: Math.max(1, Math.ceil(ttlMs / 1000)) };
    },
  };
}
