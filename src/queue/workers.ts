/**
 * BullMQ workers of the engine and outbound roles. Processors stay thin: parse the payload, call the service.
 */
import { DelayedError, UnrecoverableError, Worker, type ConnectionOptions } from 'bullmq';
import type { Logger } from 'pino';
import { ChannelDeliveryError, type ChannelAdapter } from '../channels/channel-adapter';
import { markFailed, sendOutbound } from '../pipeline/send-outbound';
import type { DocumentStore } from '../documents/document-store';
import type { SignalConversation } from '../pipeline/conversation-signals';
import type { Db } from '../store/database';
import { drainJobSchema, ENGINE_QUEUE, outboundQueueName, sendJobSchema } from './queues';

export function createEngineWorker(opts: {
  connection: ConnectionOptions;
  prefix: string;
  concurrency: number;
  drain(conversationId: number): Promise<unknown>;
  log: Logger;
  lockDurationMs?: number;
}): Worker {
  const worker = new Worker(
    ENGINE_QUEUE,
    async (job) => {
      const parsed = drainJobSchema.safeParse(job.data);
      if (!parsed.success) throw new UnrecoverableError(`malformed drain job ${job.id}: ${parsed.error.message}`);
      return opts.drain(parsed.data.conversationId);
    },
    {
      connection: opts.connection,
      prefix: opts.prefix,
      concurrency: opts.concurrency,
      ...(opts.lockDurationMs ? { lockDuration: opts.lockDurationMs, stalledInterval: Math.max(500, opts.lockDurationMs / 2) } : {}),
    },
  );
  worker.on('failed', (job, err) => opts.log.error({ err, jobId: job?.id, attempts: job?.attemptsMade }, 'drain job failed'));
  worker.on('error', (err) => opts.log.error({ err }, 'engine worker error'));
  return worker;
}

/** How long a reply waits before checking again whether the earlier replies of its conversation went out. */
const ORDER_WAIT_MS = 150;

export function createOutboundWorker(opts: {
  connection: ConnectionOptions;
  prefix: string;
  adapter: ChannelAdapter;
  db: Db;
  log: Logger;
  /** Tells the console a reply went out (its delivery tick); best effort, the console's watcher polls too. */
  signal?: SignalConversation;
  /** Where files researchers attach are kept; without it a message with a file fails clearly. */
  documents?: DocumentStore;
  /** How long a job stays locked to this worker; tests shorten it so a killed sender's jobs move on sooner. */
  lockDurationMs?: number;
}): Worker {
  const { adapter } = opts;
  const worker: Worker = new Worker(
    outboundQueueName(adapter.channel),
    async (job, token) => {
      const parsed = sendJobSchema.safeParse(job.data);
      if (!parsed.success) throw new UnrecoverableError(`malformed send job ${job.id}: ${parsed.error.message}`);
      try {
        const outcome = await sendOutbound(
          { db: opts.db, log: opts.log, adapter, ...(opts.documents ? { documents: opts.documents } : {}), ...(opts.signal ? { signal: opts.signal } : {}) },
          parsed.data.messageId,
        );
        if (outcome === 'wait-for-earlier') {
          // Step aside without using an attempt; the earlier reply is being sent by another worker.
          await job.moveToDelayed(Date.now() + ORDER_WAIT_MS, token);
          throw new DelayedError();
        }
        return outcome;
      } catch (err) {
        if (err instanceof DelayedError) throw err;
        // A wait that concerns one recipient only (a chat's own limit) sets this job aside, without using up an
        // attempt, and leaves the queue to everyone else.
        if (err instanceof ChannelDeliveryError && err.retryAfterMs && err.retryScope === 'message') {
          await job.moveToDelayed(Date.now() + err.retryAfterMs, token);
          throw new DelayedError();
        }
        // A provider's "slow down" pauses the whole channel queue without using up an attempt.
        if (err instanceof ChannelDeliveryError && err.retryAfterMs) {
          await worker.rateLimit(err.retryAfterMs);
          throw Worker.RateLimitError();
        }
        throw err;
      }
    },
    {
      connection: opts.connection,
      prefix: opts.prefix,
      concurrency: 4,
      ...(opts.lockDurationMs ? { lockDuration: opts.lockDurationMs, stalledInterval: Math.max(500, opts.lockDurationMs / 2) } : {}),
      limiter: { max: adapter.capabilities.rateLimit.max, duration: adapter.capabilities.rateLimit.durationMs },
    },
  );
  worker.on('failed', async (job, err) => {
    if (!job) return;
    const exhausted = job.attemptsMade >= (job.opts.attempts ?? 1);
    opts.log.warn({ err, jobId: job.id, attempts: job.attemptsMade, exhausted }, 'send failed');
    if (exhausted) await markFailed(opts.db, sendJobSchema.parse(job.data).messageId, err.message).catch(() => undefined);
  });
  worker.on('error', (err) => opts.log.error({ err, channel: adapter.channel }, 'outbound worker error'));
  return worker;
}
