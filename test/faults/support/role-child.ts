/** Starts role-process.ts as a child (a separate Wasl process), resolving once it says it is ready. */
import type { ChildProcess } from 'node:child_process';
import { spawnUntilReady } from '../../support/child-process';

export function startRoleProcess(env: Record<string, string>): Promise<ChildProcess> {
  return spawnUntilReady('test/faults/support/role-process.ts', {
    ...process.env,
    SECRET_KEY: 'a'.repeat(64),
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    PORT: '0',
    ...env,
  });
}

export async function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}
