/**
 * BullMQ workers of the engine and outbound roles. Processors stay thin: parse the payload, call the service.
 */
import { DelayedError, UnrecoverableError, Worker, type ConnectionOptions } from 'bullmq';
import type { Logger } from 'pino';
import { ChannelDeliveryError, type ChannelAdapter } from '../channels/channel-adapter';
import { createOutboundLeases } from '../pipeline/outbound-lease';
import { createSendStatements, markFailed, sendReply } from '../pipeline/send-outbound';
import type { DocumentStore } from '../documents/document-store';
import type { SignalConversation } from '../pipeline/conversation-signals';
import type { Db } from '../store/database';
import { drainJobSchema, ENGINE_QUEUE, outboundQueueName, sendJobSchema, type QueuedReply, type Queues } from './queues';

/** A lock shorter than BullMQ's (tests, so a killed worker's jobs move on sooner) is checked for stalls as often. */
const lockOptions = (lockDurationMs: number | undefined) =>
  lockDurationMs ? { lockDuration: lockDurationMs, stalledInterval: Math.max(500, lockDurationMs / 2) } : {};

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
      ...lockOptions(opts.lockDurationMs),
    },
  );
  worker.on('failed', (job, err) => opts.log.error({ err, jobId: job?.id, attempts: job?.attemptsMade }, 'drain job failed'));
  worker.on('error', (err) => opts.log.error({ err }, 'engine worker error'));
  return worker;
}

/**
 * Replies one send job sends before handing on to a fresh job of the same conversation: the fresh job goes to the
 * back of the queue, so one long backlog (a researcher's ten messages) does not keep a worker from everyone else.
 * Where the provider has a rate limit it is one: BullMQ's limiter counts jobs, not the sends inside them.
 */
const REPLIES_PER_JOB = 10;

/** BullMQ's own default job lock, which a send lease lasts as long as when no lock duration is given. */
const BULLMQ_LOCK_DURATION_MS = 30_000;

export function createOutboundWorker(opts: {
  connection: ConnectionOptions;
  prefix: string;
  adapter: ChannelAdapter;
  db: Db;
  log: Logger;
  /** To hand a conversation's remaining replies on to a fresh job of its own (see REPLIES_PER_JOB). */
  queues: Pick<Queues, 'enqueueSend'>;
  concurrency: number;
  /** Tells the console a reply went out (its delivery tick); best effort, the console's watcher polls too. */
  signal?: SignalConversation;
  /** Where files researchers attach are kept; without it a message with a file fails clearly. */
  documents?: DocumentStore;
  /**
   * How long a job stays locked to this worker, and a conversation's send lease to its job (ADR 0013); tests
   * shorten it so a killed sender's jobs move on sooner.
   */
  lockDurationMs?: number;
  /** How many concurrent jobs may share one statement (ADR 0011); 1 gathers nothing. */
  statementBatch: number;
}): Worker {
  const { adapter } = opts;
  const leaseMs = opts.lockDurationMs ?? BULLMQ_LOCK_DURATION_MS;
  const statements = createSendStatements(opts.db, adapter.channel, { statementBatch: opts.statementBatch, leaseMs });
  const leases = createOutboundLeases({ db: opts.db, channel: adapter.channel, leaseMs, statementBatch: opts.statementBatch, log: opts.log });
  const deps = { db: opts.db, log: opts.log, adapter, statements, ...(opts.documents ? { documents: opts.documents } : {}), ...(opts.signal ? { signal: opts.signal } : {}) };
  const perJob = adapter.capabilities.rateLimit ? 1 : REPLIES_PER_JOB;
  // Asked while this job is active, so kept by the queue and created when it finishes (queue/queues.ts). Best
  // effort: a request lost here (Redis down) is the sweeper's to find.
  const handOn = async (reply: QueuedReply) => {
    try {
      await opts.queues.enqueueSend(reply);
    } catch (err) {
      opts.log.warn({ err, conversationId: reply.conversationId }, "could not queue the conversation's remaining replies; the sweeper will");
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
      const { conversationId } = parsed.data;
      // Another job is sending this conversation (Redis forgot it was running): this one waits, without using up
      // an attempt, and sends what that one leaves.
      const taken = await statements.takeFirst(conversationId);
      if (!('lease' in taken)) {
        await job.moveToDelayed(Date.now() + taken.retryInMs, token);
        throw new DelayedError();
      }
      const { lease } = taken;
      leases.hold(lease);
      let released = false;
      // Replies taken (sent, skipped or failed for good), and of those sent: the job's result, for the metrics.
      let done = 0;
      let sent = 0;
      try {
        let row = taken.first;
        while (row) {
          const reply = { id: row.message.id, channel: adapter.channel, conversationId };
          if (done === perJob) {
            await handOn(reply);
            return sent;
          }
          let result;
          try {
            result = await sendReply(deps, row, lease);
          } catch (err) {
            // A wait that concerns one recipient only (a chat's own limit) sets this conversation aside, without
            // using up an attempt, and leaves the queue to everyone else; its later replies wait with it.
            if (err instanceof ChannelDeliveryError && err.retryAfterMs && err.retryScope === 'message') {
              await job.moveToDelayed(Date.now() + err.retryAfterMs, token);
              throw new DelayedError();
            }
            // A provider's "slow down" pauses the whole channel queue without using up an attempt.
            if (err instanceof ChannelDeliveryError && err.retryAfterMs) {
              await worker.rateLimit(err.retryAfterMs);
              throw Worker.RateLimitError();
            }
            const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
            // Attempts are counted per reply: the one failing now gets a fresh job with all of its own, and one that
            // used them all is marked failed without holding the later ones back.
            if (lastAttempt || done > 0) {
              opts.log.warn({ err, messageId: reply.id, attempts: job.attemptsMade + 1, exhausted: lastAttempt }, 'send failed');
              if (lastAttempt) await markFailed(opts.db, reply.id, err instanceof Error ? err.message : String(err));
              await handOn(reply);
              return sent;
            }
            throw err;
          }
          done++;
          if (result.outcome === 'sent') sent++;
          if (result.outcome === 'sent' && result.released) released = true;
          // The next reply came back with the statement that recorded this one, unless another worker had.
          row = result.outcome === 'sent' && result.recorded ? result.next : await statements.firstQueued(lease);
        }
        return sent;
      } finally {
        // Before the job ends: the job asked for meanwhile (or handed on) starts when it does, and takes the lease.
        if (released) leases.forget(lease);
        else await leases.release(lease);
      }
    },
    {
      connection: opts.connection,
      prefix: opts.prefix,
      concurrency: opts.concurrency,
      ...lockOptions(opts.lockDurationMs),
      ...(adapter.capabilities.rateLimit ? { limiter: { max: adapter.capabilities.rateLimit.max, duration: adapter.capabilities.rateLimit.durationMs } } : {}),
    },
  );
  // What fails the job itself — a malformed payload, the database down through every attempt, a job stalled too
  // often — leaves its replies queued: the sweeper asks again for them.
  worker.on('failed', (job, err) => opts.log.warn({ err, jobId: job?.id, data: job?.data, attempts: job?.attemptsMade }, 'send job failed'));
  worker.on('error', (err) => opts.log.error({ err, channel: adapter.channel }, 'outbound worker error'));
  worker.on('closed', () => leases.stop());
  return worker;
}
