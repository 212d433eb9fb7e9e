/**
 * A private `redis-server` on a free port, for fault tests that kill and restart Redis: the shared Redis on
 * 6379 is never touched. Configured as the README asks a deployment to configure it (`noeviction`); whether it
 * keeps its data across a restart (append-only file) is the test's choice.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../../support/free-port';

export class ThrowawayRedis {
  private child: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    private readonly dir: string,
    private readonly appendOnly: boolean,
  ) {}

  static async start(opts: { appendOnly?: boolean } = {}): Promise<ThrowawayRedis> {
    const r = new ThrowawayRedis(await freePort(), mkdtempSync(path.join(tmpdir(), 'wasl-fault-redis-')), opts.appendOnly ?? false);
    await r.up();
    return r;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** SIGKILL: no shutdown save, no goodbye to clients. Whatever was not persisted is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    this.child = undefined;
  }

  async restart(downMs = 0): Promise<void> {
    await this.kill();
    if (downMs) await new Promise((r) => setTimeout(r, downMs));
    await this.up();
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async up(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', '', '--maxmemory-policy', 'noeviction'];
    args.push('--appendonly', this.appendOnly ? 'yes' : 'no');
    if (this.appendOnly) args.push('--appendfsync', 'always');
    this.child = spawn('redis-server', args, { stdio: 'ignore' });
    const started = Date.now();
    while (!(await answersPing(this.port))) {
      if (Date.now() - started > 10_000) throw new Error(`redis-server on port ${this.port} did not answer PING within 10 s`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.setTimeout(500);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (d) => {
      socket.destroy();
      resolve(d.toString().startsWith('+PONG'));
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
  });
}
