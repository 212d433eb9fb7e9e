/**
 * The `surveys` role: the BullMQ worker that runs survey jobs (survey-jobs.ts) and the catch-up sweep
 * (survey-sweeper.ts). A survey due while the beneficiary is busy is moved back to the delayed set with the
 * same job id (BullMQ's moveToDelayed + DelayedError), so it keeps its one identity until it is sent.
 */
import { DelayedError, UnrecoverableError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { Logger } from 'pino';
import type { Organisation } from '../config/organisation-schema';
import { SURVEYS_QUEUE, surveyJobSchema, type Queues } from '../queue/queues';
import type { Db } from '../store/database';
import { createSurveyStepRunner, type SurveyEngine } from './run-survey-step';
import { checkSurveyFlow } from './survey-flow';
import { runSurveyJob, type SurveyJobDeps } from './survey-jobs';
import { sweepSurveyTriggers } from './survey-sweeper';

export interface SurveysRoleOptions {
  connection: ConnectionOptions;
  prefix: string;
  db: Db;
  queues: Queues;
  log: Logger;
  organisation: Organisation;
  engine: SurveyEngine;
  clock?: () => Date;
  /** How often the catch-up sweep runs; false turns it off (tests drive it by hand). */
  sweepEveryMs?: number | false;
  concurrency?: number;
}

export interface SurveysRole {
  worker: Worker;
  deps: SurveyJobDeps;
  close(): Promise<void>;
}

/** Starts the surveys worker and its sweep. Refuses to start when flows/survey.flow.yaml breaks its contract. */
export function startSurveysRole(opts: SurveysRoleOptions): SurveysRole {
  checkSurveyFlow(opts.engine.content.flows);
  const clock = opts.clock ?? (() => new Date());
  const deps: SurveyJobDeps = {
    db: opts.db,
    queues: opts.queues,
    log: opts.log,
    organisation: opts.organisation,
    flows: opts.engine.content.flows,
    runStep: createSurveyStepRunner(opts.engine),
    clock,
  };
  const worker = new Worker(
    SURVEYS_QUEUE,
    async (job: Job, token?: string) => {
      const parsed = surveyJobSchema.safeParse(job.data);
      if (!parsed.success) throw new UnrecoverableError(`malformed survey job ${job.id}: ${parsed.error.message}`);
      const outcome = await runSurveyJob(deps, parsed.data);
      if ('busy' in outcome) {
        // The fake clock of a test and Redis's clock differ: move by the distance, not to the absolute time.
        const waitMs = Math.max(1_000, outcome.retryAt.getTime() - clock().getTime());
        opts.log.debug({ surveyId: parsed.data.surveyId, busy: outcome.busy, waitMs }, 'survey waits for an idle conversation');
        await job.moveToDelayed(Date.now() + waitMs, token);
        throw new DelayedError();
      }
      return outcome.done;
    },
    { connection: opts.connection, prefix: opts.prefix, concurrency: opts.concurrency ?? 8 },
  );
  worker.on('failed', (job, err) => opts.log.error({ err, jobId: job?.id, attempts: job?.attemptsMade }, 'survey job failed'));
  worker.on('error', (err) => opts.log.error({ err }, 'surveys worker error'));

  let timer: NodeJS.Timeout | undefined;
  let sweeping: Promise<unknown> = Promise.resolve();
  if (opts.sweepEveryMs !== false) {
    const every = opts.sweepEveryMs ?? 60_000;
    timer = setInterval(() => {
      sweeping = sweepSurveyTriggers({ db: opts.db, queues: opts.queues, log: opts.log, organisation: opts.organisation, clock }).catch((err) =>
        opts.log.warn({ err }, 'survey sweep failed; it runs again shortly'),
      );
    }, every);
    timer.unref();
  }
  return {
    worker,
    deps,
    async close() {
      if (timer) clearInterval(timer);
      await sweeping;
      await worker.close();
    },
  };
}
