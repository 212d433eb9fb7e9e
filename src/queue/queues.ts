/**
 * Queue names and job payloads, in one place. Producers are typed by the schemas; workers parse again, because
 * what comes back from Redis is untyped at run time.
 *
 * Job ids use `-` separators and never pure digits (BullMQ refuses integer-like ids and most ids with `:`).
 */
import { Queue, type ConnectionOptions } from 'bullmq';
import { z } from 'zod';
import { channelNames, type ChannelName } from '../messages/channel-name';

export const ENGINE_QUEUE = 'engine';
export const SURVEYS_QUEUE = 'surveys';
export const outboundQueueName = (channel: ChannelName) => `outbound-${channel}`;

export const drainJobSchema = z.object({ conversationId: z.number().int().positive() });
export type DrainJob = z.infer<typeof drainJobSchema>;
/** Send the conversation's queued replies, oldest first; `messageId` is the reply that asked, for the logs. */
export const sendJobSchema = z.object({ conversationId: z.number().int().positive(), messageId: z.number().int().positive() });
export type SendJob = z.infer<typeof sendJobSchema>;

/** A reply committed to the outbox as `queued`: what a send is asked for. */
export interface QueuedReply {
  id: number;
  channel: ChannelName;
  conversationId: number;
}

/** One survey's prompt, its one reminder, or its expiry (src/surveys). */
export const surveyJobSchema = z.object({
  surveyId: z.number().int().positive(),
  step: z.enum(['send', 'remind', 'expire']),
});
export type SurveyJob = z.infer<typeof surveyJobSchema>;

/** One reply per conversation and channel: asking once covers all of a conversation's queued replies. */
export function firstOfEachConversation(replies: readonly QueuedReply[]): QueuedReply[] {
  const seen = new Set<string>();
  return replies.filter((r) => {
    const key = `${r.channel} ${r.conversationId}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export const drainJobName = 'conversation.drain';
export const sendJobName = 'message.send';

/** Derived from the subject, so a second trigger for the same service finds the job already there. */
export const surveyJobId = (subject: { kind: string; id: number | string }, step: SurveyJob['step'] = 'send') =>
  step === 'send' ? `survey-${subject.kind}-${subject.id}` : `survey-${subject.kind}-${subject.id}-${step}`;

export interface Queues {
  engine: Queue<DrainJob>;
  outbound: Record<ChannelName, Queue<SendJob>>;
  /** Delayed survey jobs; added by src/surveys only, with ids from `surveyJobId`. */
  surveys: Queue<SurveyJob>;
  /** Ask for a drain of this conversation; many asks while one drain is active collapse into one more. */
  requestDrain(conversationId: number): Promise<void>;
  /**
   * Ask for a conversation's queued replies to be sent. One send job per conversation at a time, like drains: a
   * request while one is active is kept and re-created when it finishes (ADR 0009).
   */
  enqueueSend(reply: QueuedReply): Promise<void>;
  close(): Promise<void>;
}

export function createQueues(connection: ConnectionOptions, prefix: string): Queues {
  const engine = new Queue<DrainJob>(ENGINE_QUEUE, { connection, prefix });
  const outbound = Object.fromEntries(
    channelNames.map((c) => [c, new Queue<SendJob>(outboundQueueName(c), { connection, prefix })]),
  ) as Record<ChannelName, Queue<SendJob>>;
  const surveys = new Queue<SurveyJob>(SURVEYS_QUEUE, { connection, prefix });
  return {
    engine,
    outbound,
    surveys,
    async requestDrain(conversationId) {
      await engine.add(
        drainJobName,
        { conversationId },
        {
          // One drain per conversation at a time (ENGINEERING.md §3.2): while one is active, a new request is
          // kept and re-created when it finishes, so a message arriving mid-drain is never left behind.
          deduplication: { id: `conv-${conversationId}`, keepLastIfActive: true },
          attempts: 10,
          backoff: { type: 'exponential', delay: 500 },
          removeOnComplete: true,
          removeOnFail: 1000,
        },
      );
    },
    async enqueueSend(reply) {
      await outbound[reply.channel].add(
        sendJobName,
        { conversationId: reply.conversationId, messageId: reply.id },
        {
          // Whatever runs, runs the conversation's sending: a request while a job waits is already covered by it,
          // one while a job is active is kept for when it finishes, so no reply written meanwhile is left behind
          // and no two workers ever send one conversation's replies at once (their order is the outbox's).
          deduplication: { id: `conv-${reply.conversationId}`, keepLastIfActive: true },
          attempts: 8,
          backoff: { type: 'exponential', delay: 2000 },
          // The last thousand stay for a look at what happened (attempts, timings); correctness does not depend on them.
          removeOnComplete: { count: 1000 },
          removeOnFail: { age: 7 * 24 * 3600 },
        },
      );
    },
    async close() {
      await Promise.all([engine.close(), surveys.close(), ...Object.values(outbound).map((q) => q.close())]);
    },
  };
}
