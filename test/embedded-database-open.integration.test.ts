/**
 * Opening the embedded PGlite database (store/database.ts): PGlite takes no lock of its own, so Wasl's lock file
 * keeps a second live process out and lets a new one take over from a dead one; and a directory PGlite cannot
 * read stops `npm start` with the directory and the way back named, not PGlite's bare "Aborted()".
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DataDirectoryLockedError, openDatabase } from '../src/store/database';
import { runMainToExit } from './support/wasl-process';

/** A process that is alive while the test runs, and its pid. */
function liveProcess(): { pid: number; stop(): void } {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
  return { pid: child.pid!, stop: () => child.kill('SIGKILL') };
}

/** The pid of a process that has ended. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await new Promise((r) => child.once('exit', r));
  return child.pid!;
}

describe('opening the embedded database', () => {
  let dataDir: string;

  beforeEach(() => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'wasl-open-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('refuses a directory another live process holds, and names that process', async () => {
    const other = liveProcess();
    try {
      writeFileSync(path.join(dataDir, 'pglite.lock'), String(other.pid));
      const opening = openDatabase({ dataDir });
      await expect(opening).rejects.toBeInstanceOf(DataDirectoryLockedError);
      await expect(opening).rejects.toThrow(`in use by process ${other.pid}`);
    } finally {
      other.stop();
    }
  });

  it('takes over the lock a dead process left, and releases it on close', async () => {
    writeFileSync(path.join(dataDir, 'pglite.lock'), String(await deadPid()));
    const database = await openDatabase({ dataDir });
    expect(readFileSync(path.join(dataDir, 'pglite.lock'), 'utf8')).toBe(String(process.pid));
    await database.close();
    expect(() => readFileSync(path.join(dataDir, 'pglite.lock'))).toThrow(/ENOENT/);
  });

  it('stops npm start on a damaged directory with the directory and the way back, and leaves it as it is', async () => {
    const database = await openDatabase({ dataDir });
    await database.close();
    // pg_control damaged, as a write cut short by a power loss leaves it.
    const control = path.join(dataDir, 'pglite', 'global', 'pg_control');
    const fd = openSync(control, 'r+');
    writeSync(fd, Buffer.alloc(64, 0xff), 0, 64, 16);
    closeSync(fd);
    const damaged = readFileSync(control);

    const { code, output } = await runMainToExit({
      DATA_DIR: dataDir,
      SECRET_KEY: 'a'.repeat(64),
      REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
      LOG_LEVEL: 'silent',
      DATABASE_URL: '',
    });
    expect(code).toBe(1);
    expect(output).toContain(`Wasl cannot start: the embedded database in ${path.join(dataDir, 'pglite')} could not be opened`);
    expect(output).toContain('Backup and restore');
    expect(output).not.toMatch(/^\s+at /m); // the reason, not a stack
    expect(readFileSync(control).equals(damaged)).toBe(true);
    // The lock was released on the way out: a restored directory can be opened at once.
    expect(() => readFileSync(path.join(dataDir, 'pglite.lock'))).toThrow(/ENOENT/);
  }, 60_000);
});
