/**
 * One Wasl process running the roles in ROLES, for fault tests that SIGKILL it mid-load. Not a test itself; it
 * reads the same environment variables as `npm start`, plus two for the test: FAULT_LOCK_MS (BullMQ lock, so a
 * killed worker's jobs are taken over in seconds) and FAULT_SWEEP_MS (run the sweeper this often).
 */
import { loadEnv } from '../../../src/config/load-config';
import { startWasl } from '../../../src/app/start-wasl';

import { profileUntilSignalled } from '../../../bench/role-profile';
import { recordGcPauses } from '../../../bench/role-gc';

// The load benchmark's BENCH_PROFILE_DIR and BENCH_GC_DIR: a CPU profile of this role, its GC pauses.
if (process.env.BENCH_PROFILE_DIR) profileUntilSignalled(process.env.BENCH_PROFILE_DIR, process.env.ROLES ?? 'roles');
if (process.env.BENCH_GC_DIR) recordGcPauses(process.env.BENCH_GC_DIR, process.env.ROLES ?? 'roles');
void (async () => {
  const lock = Number(process.env.FAULT_LOCK_MS ?? 1500);
  const sweepEvery = Number(process.env.FAULT_SWEEP_MS ?? 0);
  const wasl = await startWasl({
    env: loadEnv(),
    engineLockDurationMs: lock,
    outboundLockDurationMs: lock,
    sweeper: sweepEvery > 0 ? { everyMs: sweepEvery, olderThanMs: sweepEvery * 3 } : false,
    surveySweepEveryMs: false,
  });
  process.stdout.write(`ready ${wasl.roles.join(',')}\n`);
})().catch((err) => {
  process.stderr.write(`role process failed to start: ${(err as Error).stack}\n`);
  process.exit(1);
});
