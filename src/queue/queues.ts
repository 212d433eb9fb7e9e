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
export const sendJobSchema = z.object({ messageId: z.number().int().positive() });
export type SendJob = z.infer<typeof sendJobSchema>;

/** One survey's prompt, its one reminder, or its expiry (src/surveys). */
export const surveyJobSchema = z.object({
  surveyId: z.number().int().positive(),
  step: z.enum(['send', 'remind', 'expire']),
});
export type SurveyJob = z.infer<typeof surveyJobSchema>;

export const drainJobName = 'conversation.drain';
export const sendJobName = 'message.send';

export const outboundJobId = (messageId: number) => `msg-${messageId}`;
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
  enqueueSend(channel: ChannelName, messageId: number): Promise<void>;
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
    async enqueueSend(channel, messageId) {
      await outbound[channel].add(
        sendJobName,
        { messageId },
        {
          jobId: outboundJobId(messageId),
          attempts: 8,
          backoff: { type: 'exponential', delay: 2000 },
          // Kept an hour so a re-add by the sweeper in that window is a no-op; after that the message row's
          // status (no longer `queued`) is what prevents a second send.
          removeOnComplete: { age: 3600 },
          removeOnFail: { age: 7 * 24 * 3600 },
        },
      );
    },
    async close() {
      await Promise.all([engine.close(), surveys.close(), ...Object.values(outbound).map((q) => q.close())]);
    },
  };
}
