/**
 * What the engine and outbound roles tell the web processes once a transaction has committed: a conversation was
 * escalated, a beneficiary wrote in a chat a researcher holds or awaits, a reply's delivery status changed. Sent by
 * Redis pub/sub on the queue prefix, because the web role may run in another process or machine. Pub/sub is
 * fire-and-forget: a web process that is down misses signals, which its escalation watcher's slow poll recovers.
 */
import type { Redis } from 'ioredis';
import { z } from 'zod';

export const conversationSignalSchema = z.object({
  kind: z.enum(['escalated', 'inbound', 'delivery']),
  conversationId: z.number().int().positive(),
});
export type ConversationSignal = z.infer<typeof conversationSignalSchema>;
export type SignalConversation = (signal: ConversationSignal) => Promise<void>;

export const conversationSignalTopic = (prefix: string) => `${prefix}:engine:signals`;

export function createSignalPublisher(redis: Redis, prefix: string): SignalConversation {
  const topic = conversationSignalTopic(prefix);
  return async (signal) => {
    await redis.publish(topic, JSON.stringify(signal));
  };
}

/** Listens on its own connection (a subscribed Redis connection can do nothing else); returns the closer. */
export async function subscribeToSignals(redis: Redis, prefix: string, onSignal: (signal: ConversationSignal) => void, onInvalid: (payload: string) => void): Promise<() => Promise<void>> {
  const topic = conversationSignalTopic(prefix);
  const subscriber = redis.duplicate();
  subscriber.on('message', (channel: string, payload: string) => {
    if (channel !== topic) return;
    let json: unknown;
    try {
      json = JSON.parse(payload);
    } catch {
      return onInvalid(payload);
    }
    const parsed = conversationSignalSchema.safeParse(json);
    if (parsed.success) onSignal(parsed.data);
    else onInvalid(payload);
  });
  await subscriber.subscribe(topic);
  return async () => {
    await subscriber.quit().catch(() => subscriber.disconnect());
  };
}
