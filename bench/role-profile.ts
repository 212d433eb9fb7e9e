/**
 * CPU profiles of the role processes under load (`BENCH_PROFILE_DIR=<dir> npm run bench -- load`): each role
 * samples itself from start-up and writes `<roles>-<pid>.cpuprofile` when the benchmark signals it, before the
 * benchmark kills it. Open them in Chrome DevTools (Performance) or speedscope. `--cpu-prof` cannot be used:
 * Node refuses it in NODE_OPTIONS, and the roles are killed rather than exiting.
 */
import { Session } from 'node:inspector';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';

const SIGNAL = 'SIGUSR2';

/** Where a role process writes what it measured of itself: `<roles>-<pid>.<ext>` in `dir`. */
export const roleFile = (dir: string, roles: string, pid: number, ext: string) => path.join(dir, `${roles.replace(/[^a-z,]/g, '')}-${pid}.${ext}`);

/** In a role process: profile until SIGUSR2, then write the profile and exit. */
export function profileUntilSignalled(dir: string, label: string): void {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable', () => session.post('Profiler.setSamplingInterval', { interval: 200 }, () => session.post('Profiler.start')));
  process.on(SIGNAL, () =>
    session.post('Profiler.stop', (err, result) => {
      if (!err) writeFileSync(roleFile(dir, label, process.pid, 'cpuprofile'), JSON.stringify(result.profile));
      process.exit(err ? 1 : 0);
    }),
  );
}

/** In the benchmark: signals each role (or, if it was started through a launcher, the launcher's child) and waits. */
export async function collectProfiles(children: ChildProcess[]): Promise<void> {
  const exits: Promise<unknown>[] = [];
  for (const child of children) {
    const pid = child.pid!;
    const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    for (const k of kids.length ? kids : [pid]) process.kill(k, SIGNAL);
    exits.push(new Promise((r) => child.once('exit', r)));
  }
  // A profile of a few MB takes well under this to write.
  await Promise.race([Promise.all(exits), new Promise((r) => setTimeout(r, 10_000))]);
}
