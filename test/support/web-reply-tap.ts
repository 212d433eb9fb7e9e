/**
 * The website chat's replies as its adapter hands them over: the publish on Redis that the web role relays to the
 * widget's stream (src/channels/reply-stream.ts). For the load benchmark and the fault tests, which wait for or
 * count replies where a beneficiary would see them.
 */
import { Redis } from 'ioredis';
import { replyTopic, type ReplyEvent } from '../../src/channels/reply-stream';

export async function tapWebReplies(
  redisUrl: string,
  prefix: string,
  onReply: (userId: string, event: ReplyEvent) => void,
): Promise<{ stop(): void }> {
  const subscriber = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const head = replyTopic(prefix, 'web', '');
  subscriber.on('pmessage', (_pattern, topic: string, payload: string) => {
    if (topic.startsWith(head)) onReply(topic.slice(head.length), JSON.parse(payload) as ReplyEvent);
  });
  await subscriber.psubscribe(`${head}*`);
  return { stop: () => subscriber.disconnect() };
}
