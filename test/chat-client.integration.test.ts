/**
 * `npm run chat` end to end: the terminal client, a running Wasl, and the reply streamed back over
 * server-sent events — including a reply that arrives while the client is reconnecting.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { projectRoot, startTestWasl, waitFor, type TestWasl } from './support/harness';

/** Runs the client with the test server's configuration, as `npm run chat` next to `npm start` would have it. */
function startClient(url: string, user: string, config: Record<string, string> = {}): { child: ChildProcessWithoutNullStreams; output: () => string } {
  const child = spawn(process.execPath, [path.join(projectRoot, 'node_modules', 'tsx', 'dist', 'cli.mjs'), path.join(projectRoot, 'src', 'channels', 'cli', 'chat-client.ts'), '--user', user], {
    env: { ...process.env, WASL_URL: url, ...config },
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  return { child, output: () => out };
}

describe('npm run chat', () => {
  let wasl: TestWasl;
  beforeAll(async () => {
    wasl = await startTestWasl({ db: 'pglite' });
  });
  afterAll(() => wasl?.stop());
  const serverConfig = () => ({ SECRET_KEY: wasl.env.SECRET_KEY ?? '', DATA_DIR: wasl.dataDir });

  it('talks to Wasl through the real pipeline and shows the replies', async () => {
    const { child, output } = startClient(wasl.url!, 'terminal-test', serverConfig());
    try {
      await waitFor('the client to connect', async () => output().includes('Connected to Wasl'));
      child.stdin.write('السلام عليكم\n');
      await waitFor('the welcome menu', async () => output().includes('1. تقديم طلب'));
      child.stdin.write('1\n');
      await waitFor('the first intake question', async () => output().includes('اسمك الرباعي'));
      child.stdin.write('/quit\n');
      await new Promise((r) => child.once('exit', r));
    } finally {
      child.kill();
    }
  });

  it('replays replies sent while the client was away, once each', async () => {
    const chat = wasl.chat('away-user');
    await chat.say('مرحبا'); // replies sent while no client is connected
    const { child, output } = startClient(wasl.url!, 'away-user', serverConfig());
    try {
      await waitFor('the missed welcome', async () => output().includes('1. تقديم طلب'));
      await new Promise((r) => setTimeout(r, 300));
      expect(output().split('1. تقديم طلب').length - 1).toBe(1);
    } finally {
      child.kill();
    }
  });

  it('says clearly when its configuration gives another token than the server\'s', async () => {
    const { child, output } = startClient(wasl.url!, 'other-config', { SECRET_KEY: 'b'.repeat(64), DATA_DIR: wasl.dataDir });
    const code = await new Promise((r) => child.once('exit', r));
    expect(code).toBe(1);
    expect(output()).toContain('same SECRET_KEY');
  });

  it('says clearly when Wasl is not running', async () => {
    const { child, output } = startClient('http://127.0.0.1:9', 'nobody');
    const code = await new Promise((r) => child.once('exit', r));
    expect(code).toBe(1);
    expect(output()).toContain('npm start');
  });
});
