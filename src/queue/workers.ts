/**
 * BullMQ workers of the engine and outbound roles. Processors stay thin: parse the payload, call the service.
 */
import { DelayedError, UnrecoverableError, Worker, type ConnectionOptions } from 'bullmq';
import type { Logger } from 'pino';
import { ChannelDeliveryError, type ChannelAdapter } from '../channels/channel-adapter';
import { markFailed, nextQueuedReply, sendOutbound, type NextReply } from '../pipeline/send-outbound';
import type { DocumentStore } from '../documents/document-store';
import type { SignalConversation } from '../pipeline/conversation-signals';
import type { Db } from '../store/database';
import { drainJobSchema, ENGINE_QUEUE, outboundQueueName, sendJobSchema, type Queues } from './queues';

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
  /** Hands a conversation's sending on to its next queued reply (the chain in pipeline/send-outbound.ts). */
  queues: Pick<Queues, 'enqueueSend'>;
  concurrency: number;
  /** Tells the console a reply went out (its delivery tick); best effort, the console's watcher polls too. */
  signal?: SignalConversation;
  /** Where files researchers attach are kept; without it a message with a file fails clearly. */
  documents?: DocumentStore;
  /** How long a job stays locked to this worker; tests shorten it so a killed sender's jobs move on sooner. */
  lockDurationMs?: number;
}): Worker {
  const { adapter } = opts;
  // Best effort: a link lost here (Redis down, process killed) is found by the sweeper, or by the next reply's
  // own job, which waits for this one (`wait-for-earlier`).
  const handOn = async (messageId: number, known?: NextReply | null) => {
    try {
      const next = known !== undefined ? known : await nextQueuedReply(opts.db, messageId);
      if (next) await opts.queues.enqueueSend(next.channel, next.id);
    } catch (err) {
      opts.log.warn({ err, messageId }, 'could not queue the next reply of the conversation; the sweeper will');
    }
  };
  const worker: Worker = new Worker(
    outboundQueueName(adapter.channel),
    async (job, token) => {
      // A fetch already waiting in Redis can still hand this worker a job after shutdown began (close() stops the
      // loop, not a fetch in flight); such a job goes back untouched for the next process, instead of a send
      // this process may not live to record.
      if (worker.closing) {
        await job.moveToDelayed(Date.now(), token);
        throw new DelayedError();
      }
      const parsed = sendJobSchema.safeParse(job.data);
      if (!parsed.success) throw new UnrecoverableError(`malformed send job ${job.id}: ${parsed.error.message}`);
      try {
        const { outcome, next } = await sendOutbound(
          { db: opts.db, log: opts.log, adapter, ...(opts.documents ? { documents: opts.documents } : {}), ...(opts.signal ? { signal: opts.signal } : {}) },
          parsed.data.messageId,
        );
        if (outcome === 'wait-for-earlier') {
          // Step aside without using an attempt; the earlier reply is being sent by another worker, which hands
          // on to this one when it is done (an add of an existing job id is a no-op, so this wait is the bound).
          await job.moveToDelayed(Date.now() + ORDER_WAIT_MS, token);
          throw new DelayedError();
        }
        await handOn(parsed.data.messageId, next);
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
      concurrency: opts.concurrency,
      ...(opts.lockDurationMs ? { lockDuration: opts.lockDurationMs, stalledInterval: Math.max(500, opts.lockDurationMs / 2) } : {}),
      ...(adapter.capabilities.rateLimit ? { limiter: { max: adapter.capabilities.rateLimit.max, duration: adapter.capabilities.rateLimit.durationMs } } : {}),
    },
  );
  worker.on('failed', async (job, err) => {
    if (!job) return;
    const exhausted = job.attemptsMade >= (job.opts.attempts ?? 1);
    opts.log.warn({ err, jobId: job.id, attempts: job.attemptsMade, exhausted }, 'send failed');
    const { messageId } = sendJobSchema.parse(job.data);
    if (exhausted) await markFailed(opts.db, messageId, err.message).catch(() => undefined);
    // A reply that failed for good does not hold the later ones back (nextQueuedReply checks it is no longer queued).
    await handOn(messageId);
  });
  worker.on('error', (err) => opts.log.error({ err, channel: adapter.channel }, 'outbound worker error'));
  return worker;
}
