/**
 * A private PostgreSQL cluster (initdb + pg_ctl) in a temporary directory on a free port, for the fault test
 * that crashes and restarts the database: the shared server on 5432 is never touched. PostgreSQL refuses to
 * run as root, so when the tests run as root the cluster belongs to the `postgres` user (`runuser`).
 */
import { execFile } from 'node:child_process';
import { chownSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../support/free-port';

const run = promisify(execFile);

function pgBin(name: string): string {
  const root = '/usr/lib/postgresql';
  const version = readdirSync(root).sort((a, b) => Number(b) - Number(a))[0];
  if (!version) throw new Error(`no PostgreSQL server binaries under ${root}`);
  return path.join(root, version, 'bin', name);
}

export class ThrowawayPostgres {
  private constructor(
    readonly port: number,
    private readonly dir: string,
    private readonly owner: { uid: number; gid: number } | null,
  ) {}

  static async start(): Promise<ThrowawayPostgres> {
    const dir = mkdtempSync(path.join(tmpdir(), 'wasl-fault-pg-'));
    const asRoot = process.getuid?.() === 0;
    let owner: { uid: number; gid: number } | null = null;
    if (asRoot) {
      const { stdout } = await run('id', ['-u', 'postgres']);
      const { stdout: gid } = await run('id', ['-g', 'postgres']);
      owner = { uid: Number(stdout.trim()), gid: Number(gid.trim()) };
      chownSync(dir, owner.uid, owner.gid);
    }
    const pg = new ThrowawayPostgres(await freePort(), dir, owner);
    await pg.exec(pgBin('initdb'), ['-D', pg.dataDir, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync']);
    await pg.up();
    return pg;
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  private get dataDir(): string {
    return path.join(this.dir, 'data');
  }

  /** `-m immediate`: every server process quits at once, without a checkpoint — a crash, recovered at start. */
  async crash(): Promise<void> {
    await this.exec(pgBin('pg_ctl'), ['-D', this.dataDir, 'stop', '-m', 'immediate', '-w']);
  }

  async restart(downMs = 0): Promise<void> {
    await this.crash();
    if (downMs) await new Promise((r) => setTimeout(r, downMs));
    await this.up();
  }

  async stop(): Promise<void> {
    await this.exec(pgBin('pg_ctl'), ['-D', this.dataDir, 'stop', '-m', 'immediate', '-w']).catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async up(): Promise<void> {
    const options = `-p ${this.port} -h 127.0.0.1 -k ${this.dir} -c fsync=off -c max_connections=60`;
    await this.exec(pgBin('pg_ctl'), ['-D', this.dataDir, '-l', path.join(this.dir, 'server.log'), '-o', options, '-w', '-t', '30', 'start']);
  }

  private async exec(bin: string, args: string[]): Promise<void> {
    const [cmd, full] = this.owner && userInfo().uid === 0 ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
    await run(cmd as string, full as string[], { timeout: 60_000 });
  }
}
