/**
 * The real Wasl an abuse test file (or describe block) fuzzes: started once, its log lines at `warn` and above
 * captured for the checks in wasl-watch.ts, and at the end the summary table and any error lines printed
 * before it stops — so a failing run says what the server hit.
 */
import { startTestWasl, type TestStartOptions, type TestWasl } from '../../support/harness';
import type { AbuseReport } from './abuse-report';
import { LogCapture } from './wasl-watch';

export interface AbuseWasl {
  /** The running Wasl (after `beforeAll`). */
  wasl(): TestWasl;
  logs: LogCapture;
}

export function useAbuseWasl(opts: {
  /** Printed after the runs; leave out when an outer block prints one table for several Wasls. */
  report?: AbuseReport;
  /** How to start it; a function, so fakes started in an earlier `beforeAll` can give their URLs. */
  start(): TestStartOptions | Promise<TestStartOptions>;
  /** Stops what `start` relied on (fakes), after Wasl. */
  after?(): Promise<unknown>;
}): AbuseWasl {
  const logs = new LogCapture();
  let wasl: TestWasl | undefined;
  beforeAll(async () => {
    const o = await opts.start();
    wasl = await startTestWasl({ ...o, extraEnv: { LOG_LEVEL: 'warn', ...o.extraEnv }, options: { ...o.options, logDestination: logs.destination } });
  }, 180_000); // starting Wasl (migrations, NLU training) is slow on a loaded machine
  afterAll(async () => {
    opts.report?.print();
    logs.printErrors();
    await wasl?.stop();
    await opts.after?.();
  });
  return {
    wasl: () => {
      if (!wasl) throw new Error('Wasl has not started (its beforeAll failed)');
      return wasl;
    },
    logs,
  };
}
