/**
 * Runs a TypeScript file of the project as a child Node process, resolving once it prints "ready".
 *
 * The child is Node itself with tsx's loader (`--import`), not the `tsx` command: that command runs the file in
 * a process of its own, so a SIGKILL of the process we spawned killed only the launcher and left the real one
 * running — a "killed" worker that went on working, and orphans after every test and benchmark run.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { projectRoot } from './harness';

const tsxLoader = pathToFileURL(path.join(projectRoot, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

/** `script` (a path from the project's root) run by Node itself with tsx's loader. */
export function spawnTypeScript(script: string, options: SpawnOptions): ChildProcess {
  return spawn(process.execPath, ['--import', tsxLoader, path.join(projectRoot, script)], options);
}

export function spawnUntilReady(script: string, env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  const child = spawnTypeScript(script, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (d) => (err += d));
    child.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) resolve(child);
    });
    child.on('exit', (code, signal) => reject(new Error(`${script} exited (${code ?? signal}) before it was ready: ${err}`)));
  });
}
