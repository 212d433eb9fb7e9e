/**
 * The composition root: config → content (flows, templates, FAQ; refused if broken) → database (migrated) →
 * Redis and queues → the roles this process runs. `npm start` runs every role in one process; `ROLES=` splits
 * them across processes and machines (which needs PostgreSQL: PGlite is single-process).
 */
import path from 'node:path';
import { Queue, type Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { DestinationStream, Logger } from 'pino';
import { createBusinessCalendar } from '../calendar/business-calendar';
import type { ChannelAdapter } from '../channels/channel-adapter';
import type { ChannelContext, ChannelModule, ChannelRuntime } from '../channels/channel-module';
import { channelModules } from '../channels/registry';
import { ingest } from '../pipeline/ingest';
import { inFlightLimits } from './in-flight-limits';
import { createStoreIntoOpenConversation } from '../pipeline/store-inbound-fast';
import { effectiveTrustProxy, type Env, type RoleName } from '../config/env-schema';
import { loadContent, type Content } from '../content/load-content';
import { registerAttachmentDownloads } from '../documents/attachment-links';
import { createDocumentStore } from '../documents/document-store';
import { createFaqResponder } from '../faq/faq-responder';
import { buildServer } from '../http/build-server';
import { metrics, readiness, type ProbeDeps } from '../observability/probes';
import { createEventCounters } from '../observability/event-counters';
import { createLogger } from '../observability/logger';
import { MAINTENANCE_QUEUE, startRetentionRole } from '../privacy/retention';
import { registerConsole } from '../console/console-plugin';
import { resolveSecretKey } from '../identity/secret-key';
import { createSealer } from '../identity/sealed-value';
import { buildUnderstanding } from '../nlu/understanding';
import { createActionHandlers } from '../pipeline/action-handlers';
import { createRatingLinks } from '../surveys/rating-links';
import { registerRatingLinkRoutes } from '../surveys/rating-link-routes';
import { createSignalPublisher } from '../pipeline/conversation-signals';
import { createEngineDrain } from '../pipeline/drain-conversation';
import { createSenderLanes } from '../pipeline/sender-lanes';
import { startSweeper } from '../pipeline/sweeper';
import { startPlannerStatistics } from '../store/planner-statistics';
import { createQueues, type Queues } from '../queue/queues';
import { createEngineWorker, createOutboundWorker } from '../queue/workers';
import { startSurveysRole } from '../surveys/surveys-worker';
import { STAFF_NOTIFY_QUEUE } from '../staff/staff-notify';
import { openDatabase, pingDatabase, type Database } from '../store/database';
import { PGLITE_STATISTICS_TARGET, startPgliteAutovacuum } from '../store/pglite-autovacuum';
import { startPgliteCheckpointer, type CheckpointPolicy } from '../store/pglite-checkpointer';
import { syncFlowRevisions } from '../store/flow-revisions-repo';
import { createReplyRenderer } from '../templating/render-reply';
import type { FastifyInstance } from 'fastify';

export interface StartOptions {
  env: Env;
  log?: Logger;
  /** Project root, for resolving relative FLOWS_DIR/TEMPLATES_DIR/DATA_DIR. */
  root?: string;
  /** Tests shorten the stall detection to prove a killed worker's job is picked up. */
  engineLockDurationMs?: number;
  /** Fault tests shorten it too, so a killed sender's job is taken over in seconds rather than a minute. */
  outboundLockDurationMs?: number;
  clock?: () => Date;
  /** Extra or replacement channel adapters (tests use recording fakes at the provider boundary). */
  adapters?: ChannelAdapter[];
  /** The channels to consider; defaults to every registered channel. */
  channelModules?: readonly ChannelModule[];
  sweeper?: { everyMs: number; olderThanMs: number } | false;
  /**
   * How often the embedded database is checked for tables to vacuum and for a checkpoint due (PGlite only, which
   * runs neither autovacuum nor a checkpointer): default every minute, checkpoints by PGlite's own settings.
   */
  pgliteHousekeeping?: { everyMs: number; checkpoint?: CheckpointPolicy };
  /** The nightly retention job (engine role); false: not scheduled (tools). */
  retention?: false;
  /** Where the default logger writes (tests capture it); lines are masked either way. */
  logDestination?: DestinationStream;
  /** How often the console's escalation watcher polls as a safety net (escalations are pushed); default 30 s. */
  consoleWatchEveryMs?: number;
  /** How often the surveys role looks for served requests without a survey; false: never (tests). */
  surveySweepEveryMs?: number | false;
  /**
   * Told of a failure Wasl cannot recover from while running (the embedded database's thread stopped), after it
   * is logged. `npm start` exits, so the supervisor starts Wasl again; unset, Wasl stays up, not ready.
   */
  onFatal?: (err: Error) => void;
}

export interface Wasl {
  env: Env;
  roles: RoleName[];
  content: Content;
  database: Database;
  queues: Queues;
  redis: Redis;
  server?: FastifyInstance;
  /** Where the web role listens, when it runs. */
  url?: string;
  workers: Worker[];
  /** Drain one conversation now (what the engine worker runs); exposed for tools and tests. */
  drain(conversationId: number): Promise<unknown>;
  close(): Promise<void>;
}

/** Intent confidence from which free text may pick a menu option; FAQ confidence from which an FAQ answers. */
const THRESHOLDS = { intent: 0.55, faq: 0.6 };

export async function startWasl(opts: StartOptions): Promise<Wasl> {
  const { env } = opts;
  const root = opts.root ?? process.cwd();
  const log = opts.log ?? createLogger({ level: env.LOG_LEVEL, ...(opts.logDestination ? { destination: opts.logDestination } : {}) });
  const dataDir = path.resolve(root, env.DATA_DIR);
  const roles = env.ROLES;
  const closers: (() => Promise<unknown>)[] = [];
  /** Workers stop taking jobs the moment shutdown begins, not after the HTTP server and channels have closed. */
  const stopTakingJobs: (() => void)[] = [];
  const close = async () => {
    for (const stop of stopTakingJobs) stop();
    for (const c of closers.reverse()) await c().catch((err) => log.warn({ err }, 'error while closing'));
  };

  try {
    const content = loadContent({
      flowsDir: path.resolve(root, env.FLOWS_DIR),
      templatesDir: path.resolve(root, env.TEMPLATES_DIR),
      displayRoot: root,
    });
    const database = await openDatabase({
      databaseUrl: env.DATABASE_URL,
      dataDir,
      onConnectionLost: (err) => log.warn({ err: err.message }, 'lost an idle PostgreSQL connection; the pool reconnects'),
      onEmbeddedDatabaseStopped: (err) => {
        log.fatal({ err: err.message }, 'the embedded database stopped; nothing can be stored until Wasl restarts');
        opts.onFatal?.(err);
      },
    });
    closers.push(() => database.close());
    const runsEveryCoreRole = (['web', 'engine', 'outbound'] as const).every((r) => roles.includes(r));
    if (database.kind === 'pglite' && !runsEveryCoreRole) {
      log.warn('ROLES splits Wasl across processes, but the embedded PGlite database serves one process only; use DATABASE_URL');
    }
    if (database.kind === 'pglite') {
      const { everyMs, checkpoint } = opts.pgliteHousekeeping ?? { everyMs: 60_000 };
      const autovacuum = startPgliteAutovacuum({ db: database.db, log }, { everyMs });
      const checkpointer = startPgliteCheckpointer({ db: database.db, log }, { everyMs, ...(checkpoint ? { policy: checkpoint } : {}) });
      closers.push(async () => {
        autovacuum.stop();
        checkpointer.stop();
      });
    }
    await syncFlowRevisions(database.db, content.flows);

    const secret = resolveSecretKey({ secretKey: env.SECRET_KEY, dataDir });
    if (secret.generated) log.warn({ file: path.relative(root, secret.file!) }, 'generated a new secret key for national IDs; back it up with the data');
    const sealer = createSealer(secret.key);

    const redis = new Redis(env.REDIS_URL, { maxRetriesPerRequest: null, lazyConnect: false });
    closers.push(() => redis.quit());
    const connection = { url: env.REDIS_URL, maxRetriesPerRequest: null } as const;
    const queues = createQueues(connection, env.QUEUE_PREFIX);
    closers.push(() => queues.close());
    const counters = createEventCounters(redis, env.QUEUE_PREFIX, log);
    closers.push(() => counters.close());

    const renderer = createReplyRenderer(content.templates, content.organisation);
    const calendar = createBusinessCalendar(content.organisation);
    const faq = createFaqResponder(content.faq, renderer);
    const understanding = await buildUnderstanding({ intents: content.intents, faq: content.faq, policy: content.organisation.handoff });
    const understand = (text: string) => understanding.understand(text);
    const signal = createSignalPublisher(redis, env.QUEUE_PREFIX);
    const turnServices = { content, renderer, calendar, sealer, faq, understand, actions: createActionHandlers({ faq, understand, faqThreshold: THRESHOLDS.faq, emailEnabled: env.SMTP_URL !== undefined }), thresholds: THRESHOLDS };
    const { statementBatch, engineConcurrency, outboundConcurrency } = inFlightLimits(env);
    const drain = createEngineDrain({
      statementBatch,
      db: database.db,
      queues,
      log,
      ...turnServices,
      signal,
      counters,
      clock: opts.clock ?? (() => new Date()),
    });

    const documents = createDocumentStore(dataDir);
    const ratingLinks = createRatingLinks({ secretKey: secret.key, baseUrl: env.PUBLIC_URL ?? env.WASL_URL });
    const senderLanes = createSenderLanes();
    const ingestDeps = { db: database.db, queues, log, storeIntoOpenConversation: createStoreIntoOpenConversation(database.db, statementBatch) };
    const channelContext: ChannelContext = {
      ratingLinks,
      secretKey: secret.key,
      env,
      roles,
      log,
      db: database.db,
      redis,
      queues,
      content,
      documents,
      counters,
      // One sender's burst waits in its own lane instead of holding every database connection (sender-lanes.ts).
      ingest: async (message) => {
        const result = await senderLanes.run(`${message.channel}:${message.channelUserId}`, () => ingest(ingestDeps, message));
        if (!result.duplicate) counters.messageIn(message.channel);
        return result;
      },
    };
    const runtimes = new Map<string, ChannelRuntime>();
    for (const module of opts.channelModules ?? channelModules) {
      if (module.enabled(env)) runtimes.set(module.channel, await module.create(channelContext));
    }
    closers.push(() => Promise.all([...runtimes.values()].map((r) => r.stop?.())));
    const adapters = new Map<string, ChannelAdapter>([...runtimes].map(([name, r]) => [name, r.adapter]));
    for (const a of opts.adapters ?? []) adapters.set(a.channel, a);

    const workers: Worker[] = [];
    if (roles.includes('engine')) {
      workers.push(
        createEngineWorker({
          connection,
          prefix: env.QUEUE_PREFIX,
          concurrency: engineConcurrency,
          drain,
          log,
          ...(opts.engineLockDurationMs ? { lockDurationMs: opts.engineLockDurationMs } : {}),
        }),
      );
      if (opts.sweeper !== false) {
        const sweeper = startSweeper({ db: database.db, queues, log }, opts.sweeper ?? { everyMs: 15_000, olderThanMs: 30_000 });
        closers.push(async () => sweeper.stop());
      }
      const statisticsTarget = database.kind === 'pglite' ? PGLITE_STATISTICS_TARGET : undefined;
      const statistics = startPlannerStatistics({ db: database.db, log }, { everyMs: 5_000, statisticsTarget });
      closers.push(async () => statistics.stop());
    }
    for (const [channel, adapter] of adapters) {
      const role = runtimes.get(channel)?.outboundRole ?? 'outbound';
      if (roles.includes(role)) {
        workers.push(
          createOutboundWorker({
            connection,
            prefix: env.QUEUE_PREFIX,
            adapter,
            db: database.db,
            log,
            queues,
            concurrency: outboundConcurrency,
            statementBatch,
            signal,
            documents,
            ...(opts.outboundLockDurationMs ? { lockDurationMs: opts.outboundLockDurationMs } : {}),
          }),
        );
      }
    }
    for (const worker of workers) {
      worker.on('completed', (job, result) => {
        const queue = worker.name === 'engine' ? 'engine' : worker.name.startsWith('outbound-') ? 'outbound' : null;
        const done = queue && job.finishedOn ? { queue, seconds: Math.max(0, job.finishedOn - job.timestamp) / 1000 } : null;
        // A send job returns how many replies it handed to the provider (queue/workers.ts).
        counters.jobDone(done, queue === 'outbound' && typeof result === 'number' ? { channel: worker.name.replace(/^outbound-/, ''), count: result } : undefined);
      });
    }
    // Workers close before the queues and the database they use (BullMQ "going to production").
    closers.push(() => Promise.all(workers.map((w) => w.close())));
    // close() is idempotent (it returns the first call's promise): started early, awaited in its place above.
    stopTakingJobs.push(() => workers.forEach((w) => void w.close().catch(() => undefined)));
    if (roles.includes('engine') && opts.retention !== false) {
      const retention = await startRetentionRole({
        connection,
        prefix: env.QUEUE_PREFIX,
        db: database.db,
        documents,
        organisation: content.organisation,
        log,
        clock: opts.clock ?? (() => new Date()),
      });
      closers.push(() => retention.close());
    }

    let server: FastifyInstance | undefined;
    let url: string | undefined;
    if (roles.includes('web')) {
      // Depths of the queues other roles own (retention, staff notices) too: their workers may run elsewhere.
      const elsewhere = [MAINTENANCE_QUEUE, STAFF_NOTIFY_QUEUE].map((name) => new Queue(name, { connection, prefix: env.QUEUE_PREFIX }));
      closers.push(() => Promise.all(elsewhere.map((q) => q.close())));
      const probes: ProbeDeps = {
        db: database.db,
        redis,
        channels: runtimes,
        queues: [queues.engine, ...Object.values(queues.outbound), queues.surveys, ...elsewhere],
        counters,
        databaseThreadBusySeconds: database.threadBusySeconds,
      };
      server = buildServer({
        log,
        health: async () => {
          await pingDatabase(database.db);
          await redis.ping();
          return { database: database.kind, roles: roles.join(',') };
        },
        readiness: () => readiness(probes),
        metrics: () => metrics(probes),
        trustProxy: effectiveTrustProxy(env),
      });
      for (const runtime of runtimes.values()) await runtime.registerRoutes?.(server);
      await registerRatingLinkRoutes(server, { db: database.db, ingest: channelContext.ingest, ratingLinks, renderer, organisation: content.organisation, clock: opts.clock ?? (() => new Date()) });
      registerAttachmentDownloads(server, { db: database.db, documents });
      const staffConsole = await registerConsole(server, { env, log, db: database.db, redis, queues, content, renderer, sealer, documents, engine: turnServices, counters, clock: opts.clock ?? (() => new Date()), ...(opts.consoleWatchEveryMs ? { watchEveryMs: opts.consoleWatchEveryMs } : {}) });
      closers.push(() => staffConsole.close());
      url = await server.listen({ port: env.PORT, host: env.HOST });
      const s = server;
      closers.push(() => s.close());
    }
    for (const runtime of runtimes.values()) await runtime.start?.();
    if (roles.includes('surveys')) {
      const surveysRole = startSurveysRole({
        connection,
        prefix: env.QUEUE_PREFIX,
        db: database.db,
        queues,
        log,
        organisation: content.organisation,
        engine: turnServices,
        clock: opts.clock ?? (() => new Date()),
        ...(opts.surveySweepEveryMs !== undefined ? { sweepEveryMs: opts.surveySweepEveryMs } : {}),
      });
      workers.push(surveysRole.worker);
      closers.push(() => surveysRole.close());
    }

    log.info({ roles, database: database.kind, flows: content.flows.current.size, url }, 'Wasl started');
    return { env, roles, content, database, queues, redis, server, url, workers, drain, close };
  } catch (err) {
    await close();
    throw err;
  }
}
