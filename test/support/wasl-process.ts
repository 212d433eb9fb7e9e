/**
 * Runs `src/main.ts` — what `npm start` runs, signal handling and all — as a child process for the shutdown tests,
 * resolving once it logs "Wasl started". Node runs it with tsx's loader rather than through the `tsx` command, so
 * the child is the process itself: a SIGTERM lands on main.ts's handler, and the SIGKILL of a failed test's
 * cleanup kills the real process instead of a launcher that leaves it running (see child-process.ts).
 */
import type { ChildProcess } from 'node:child_process';
import { spawnTypeScript } from './child-process';
import { projectRoot, type TestWasl } from './harness';

export interface WaslProcess {
  child: ChildProcess;
  /** Everything it printed so far, stdout and stderr. */
  output(): string;
  /** Its exit code and when it exited. */
  exited: Promise<{ code: number | null; at: number }>;
}

/** The environment a child needs to share the test Wasl's database, queues and data directory; `extra` on top. */
export function waslProcessEnv(web: TestWasl, roles: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ROLES: roles,
    DATABASE_URL: web.databaseUrl!,
    QUEUE_PREFIX: web.prefix,
    REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
    DATA_DIR: web.dataDir,
    SECRET_KEY: 'a'.repeat(64),
    // The tests wait for "Wasl started" and the SIGTERM line, which need info.
    LOG_LEVEL: 'info',
    ...extra,
  };
}

/** `src/main.ts` as a child, everything it prints gathered, and its exit. */
function spawnMain(env: Record<string, string>): WaslProcess {
  const child = spawnTypeScript('src/main.ts', {
    cwd: projectRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; at: number }>((resolve) => child.on('exit', (code) => resolve({ code, at: Date.now() })));
  return { child, output: () => out, exited };
}

export function startWaslProcess(env: Record<string, string>): Promise<WaslProcess> {
  const wasl = spawnMain(env);
  return new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      if (wasl.output().includes('Wasl started')) {
        clearInterval(timer);
        resolve(wasl);
      }
    }, 50);
    void wasl.exited.then(({ code }) => {
      clearInterval(timer);
      reject(new Error(`Wasl (ROLES=${env.ROLES}) exited with ${code} before starting: ${wasl.output()}`));
    });
  });
}

/** Runs `npm start`'s `src/main.ts` until it exits (one that cannot start); its exit code and all it printed. */
export async function runMainToExit(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const wasl = spawnMain(env);
  const { code } = await wasl.exited;
  return { code, output: wasl.output() };
}
