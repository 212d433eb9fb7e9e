/**
 * Live updates for the console (server-sent events). Events caused by a staff action (a claim, a reply) are
 * published on Redis so every web process tells its own browsers; events found by polling the database (a new
 * escalation, a new inbound message) are seen by each web process's own watcher and emitted locally.
 */
import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import { z } from 'zod';

export const liveEventSchema = z.object({
  type: z.enum(['conversation.escalated', 'conversation.updated', 'message.received', 'message.sent', 'request.updated', 'whatsapp.down', 'whatsapp.up']),
  conversationId: z.number().optional(),
  /** whatsapp.*: the session's state and since when it has been down (ISO 8601). */
  state: z.string().optional(),
  since: z.string().optional(),
  requestId: z.number().optional(),
  priority: z.string().nullable().optional(),
  queue: z.string().optional(),
});
export type LiveEvent = z.infer<typeof liveEventSchema>;

export interface LiveEvents {
  /** To every web process (through Redis). */
  publish(event: LiveEvent): Promise<void>;
  /** To this process's browsers only. */
  emitLocal(event: LiveEvent): void;
  subscribe(listener: (event: LiveEvent) => void): () => void;
  close(): Promise<void>;
}

const liveTopic = (prefix: string) => `${prefix}:console:events`;

/** Publishes to every web process's browsers from a process without a console (the WhatsApp gateway). */
export async function publishLiveEvent(redis: Redis, prefix: string, event: LiveEvent): Promise<void> {
  await redis.publish(liveTopic(prefix), JSON.stringify(event));
}

export async function createLiveEvents(redis: Redis, prefix: string): Promise<LiveEvents> {
  const topic = liveTopic(prefix);
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  const subscriber = redis.duplicate();
  await subscriber.subscribe(topic);
  subscriber.on('message', (_channel, payload) => {
    const parsed = liveEventSchema.safeParse(JSON.parse(payload));
    if (parsed.success) emitter.emit('event', parsed.data);
  });
  return {
    async publish(event) {
      await redis.publish(topic, JSON.stringify(event));
    },
    emitLocal(event) {
      emitter.emit('event', event);
    },
    subscribe(listener) {
      emitter.on('event', listener);
      return () => emitter.off('event', listener);
    },
    async close() {
      emitter.removeAllListeners();
      await subscriber.quit().catch(() => subscriber.disconnect());
    },
  };
}
