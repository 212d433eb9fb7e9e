/**
 * What `/readyz` and `/metrics` report: the database and Redis answer, each channel with a session of its own
 * is connected, and how much work waits in each queue. Computed on request, never cached, so an alert sees
 * the state of now.
 */
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { ChannelRuntime } from '../channels/channel-module';
import type { ReadinessReport } from '../http/build-server';
import { pingDatabase, type Db } from '../store/database';

export interface ProbeDeps {
  db: Db;
  redis: Redis;
  channels: ReadonlyMap<string, ChannelRuntime>;
  queues: readonly Queue[];
}

async function check(probe: () => Promise<unknown>): Promise<{ ready: boolean; state: string }> {
  try {
    await probe();
    return { ready: true, state: 'ok' };
  } catch (err) {
    return { ready: false, state: (err as Error).message.slice(0, 200) };
  }
}

export async function readiness(deps: ProbeDeps): Promise<ReadinessReport> {
  const checks: ReadinessReport['checks'] = {
    database: await check(() => pingDatabase(deps.db)),
    redis: await check(() => deps.redis.ping()),
  };
  for (const [name, runtime] of deps.channels) {
    if (runtime.readiness) checks[`channel:${name}`] = await runtime.readiness().catch((err: Error) => ({ ready: false, state: err.message }));
  }
  return { ready: Object.values(checks).every((c) => c.ready), checks };
}

/** Prometheus text format (no client library needed for a handful of gauges). */
export async function metrics(deps: ProbeDeps): Promise<string> {
  const report = await readiness(deps);
  const lines = [
    '# HELP wasl_ready 1 when the check passes.',
    '# TYPE wasl_ready gauge',
    ...Object.entries(report.checks).map(([name, c]) => `wasl_ready{check="${name}",state="${c.state.replace(/["\\\n]/g, ' ')}"} ${c.ready ? 1 : 0}`),
    '# HELP wasl_queue_jobs Jobs in each queue by state.',
    '# TYPE wasl_queue_jobs gauge',
  ];
  for (const queue of deps.queues) {
    const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed').catch(() => ({}) as Record<string, number>);
    for (const [state, n] of Object.entries(counts)) lines.push(`wasl_queue_jobs{queue="${queue.name}",state="${state}"} ${n}`);
  }
  return `${lines.join('\n')}\n`;
}
