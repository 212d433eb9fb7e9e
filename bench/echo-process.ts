/**
 * One process of the load benchmark's boundary echo (bench/load.ts): the two BullMQ hops of the queue-only echo,
 * but behind the same endpoint and answered on the same Redis publish as Wasl, so a run of it differs from a run
 * of Wasl only by Wasl's own layers (database, engine, outbox). Each part is a process of its own, like Wasl's
 * split roles, so each one's CPU is measured the same way. Not a benchmark itself; ECHO_ROLE says which part:
 *
 * - `web` (where Wasl's web role stands): Fastify, `POST /api/web/messages` with the widget's body, 202 once the
 *   message is on the ingest queue. No validation library, no rate limit, no database — nothing of Wasl's.
 * - `hop1` (where the engine stands): ingest job → `echo: <text>` on the outbound queue, ENGINE_CONCURRENCY.
 * - `hop2` (where the outbound sender stands): outbound job → the web channel's own `publishReply`, which the
 *   load driver's reply watcher sees exactly as it sees Wasl's; OUTBOUND_CONCURRENCY.
 *
 * Reads REDIS_URL, ECHO_PREFIX (queue and reply-topic prefix) and, for `web`, PORT; prints "ready <role>" for
 * spawnUntilReady (test/support/child-process.ts).
 */
import Fastify from 'fastify';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { webUserIdOf } from '../src/channels/web/device-id';
import { publishReply } from '../src/channels/reply-stream';
import { inFlightLimits } from '../src/app/in-flight-limits';
import { loadEnv } from '../src/config/load-config';

const ROLES = ['web', 'hop1', 'hop2'] as const;
type EchoRole = (typeof ROLES)[number];

interface EchoIn {
  userId: string;
  text: string;
  at: number;
}
interface EchoOut {
  userId: string;
  text: string;
}
interface WebMessageBody {
  deviceId: string;
  clientMessageId: string;
  text: string;
}

const role = process.env.ECHO_ROLE as EchoRole;
if (!ROLES.includes(role)) throw new Error(`ECHO_ROLE must be one of ${ROLES.join(', ')}, not "${process.env.ECHO_ROLE}"`);
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = process.env.ECHO_PREFIX ?? '';
if (!prefix) throw new Error('ECHO_PREFIX is required (the queue and reply-topic prefix of this echo)');
const connection = { url: redisUrl, maxRetriesPerRequest: null } as const;
// The bench passes what Wasl runs with; unset, Wasl's defaults.
const { engineConcurrency, outboundConcurrency } = inFlightLimits(
  loadEnv({ ENGINE_CONCURRENCY: process.env.ENGINE_CONCURRENCY, OUTBOUND_CONCURRENCY: process.env.OUTBOUND_CONCURRENCY }),
);
// Completed jobs are not kept, as in the queue-only echo: keeping them would bill Redis for a history nobody reads.
const workerOptions = { connection, prefix, removeOnComplete: { count: 0 } } as const;

async function startWeb(): Promise<void> {
  const ingest = new Queue<EchoIn>('ingest', { connection, prefix });
  // As Wasl's server is built (src/http/build-server.ts) minus its logger (silent in the bench anyway): without
  // one Fastify logs no request, so its disableRequestLogging (deprecated in this Fastify) has nothing to do.
  const app = Fastify({ bodyLimit: 16 * 1024 * 1024 });
  app.post<{ Body: WebMessageBody }>('/api/web/messages', { bodyLimit: 16 * 1024 }, async (req, reply) => {
    const { deviceId, text } = req.body;
    const job = await ingest.add('in', { userId: webUserIdOf(deviceId), text, at: Date.now() }, { removeOnComplete: true });
    // Wasl answers { messageId, duplicate }: the same shape, so the driver reads as many bytes back.
    return reply.code(202).send({ messageId: Number(job.id), duplicate: false });
  });
  await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
}

async function startHop1(): Promise<void> {
  const outbound = new Queue<EchoOut>('outbound', { connection, prefix });
  const worker = new Worker<EchoIn>(
    'ingest',
    async (job) => {
      await outbound.add('send', { userId: job.data.userId, text: `echo: ${job.data.text}` }, { removeOnComplete: true });
    },
    { ...workerOptions, concurrency: engineConcurrency },
  );
  await worker.waitUntilReady();
}

async function startHop2(): Promise<void> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const worker = new Worker<EchoOut>(
    'outbound',
    async (job) => {
      // The web adapter's own send (src/channels/web/web-adapter.ts), so the event is byte for byte Wasl's format.
      await publishReply(redis, prefix, 'web', {
        messageId: Number(job.id),
        conversationId: 0,
        channelUserId: job.data.userId,
        text: job.data.text,
        choices: [],
        language: 'ar',
      });
    },
    { ...workerOptions, concurrency: outboundConcurrency },
  );
  await worker.waitUntilReady();
}

/**
 * The bench kills this process when done (finally); this is for when the bench itself dies first (Ctrl-C, a
 * crash), so no echo is left consuming a queue nobody feeds. Once a second: nothing against the figures.
 */
function exitWithParent(): void {
  const parent = process.ppid;
  setInterval(() => {
    try {
      process.kill(parent, 0);
    } catch {
      process.exit(0);
    }
  }, 1000).unref();
}

const start: Record<EchoRole, () => Promise<void>> = { web: startWeb, hop1: startHop1, hop2: startHop2 };
exitWithParent();
start[role]().then(
  () => process.stdout.write(`ready ${role}\n`),
  (err: unknown) => {
    process.stderr.write(`echo ${role} failed to start: ${(err as Error).stack}\n`);
    process.exit(1);
  },
);
