/** Runs a TypeScript file of the project as a child Node process (through tsx), resolving once it prints "ready". */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { projectRoot } from './harness';

export function spawnUntilReady(script: string, env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  const tsx = path.join(projectRoot, 'node_modules', 'tsx', 'dist', 'cli.mjs');
  const child = spawn(process.execPath, [tsx, path.join(projectRoot, script)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (d) => (err += d));
    child.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) resolve(child);
    });
    child.on('exit', (code, signal) => reject(new Error(`${script} exited (${code ?? signal}) before it was ready: ${err}`)));
  });
}
