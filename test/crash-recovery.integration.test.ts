/**
 * "A crash at any point loses nothing and sends nothing twice" (ARCHITECTURE.md). An engine running in its own
 * process is killed with SIGKILL while a conversation is flowing in; a fresh engine picks the work up (stalled
 * job recovery and the sweeper), and every message is answered exactly once, in order. PostgreSQL only: the
 * embedded PGlite cannot be shared between processes, which is exactly why split roles need PostgreSQL.
 */
import type { ChildProcess } from 'node:child_process';
import { and, asc, eq } from 'drizzle-orm';
import { messages } from '../src/store/schema';
import { spawnUntilReady } from './support/child-process';
import { copyContent, useEchoMainMenu, type ContentCopy } from './support/content-fixture';
import { startTestWasl, waitFor, type TestWasl } from './support/harness';

function startEngineProcess(env: Record<string, string>): Promise<ChildProcess> {
  return spawnUntilReady('test/engine-process.ts', { ...process.env, ...env });
}

describe('a worker killed mid-conversation', () => {
  let content: ContentCopy;
  let web: TestWasl;
  let rescuer: TestWasl | undefined;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    content = copyContent();
    useEchoMainMenu(content);
    // This instance takes messages in and sends replies; the engine runs elsewhere.
    web = await startTestWasl({ db: 'postgres', roles: 'web,outbound', flowsDir: content.flowsDir, templatesDir: content.templatesDir });
  });
  afterAll(async () => {
    child?.kill('SIGKILL');
    await rescuer?.close();
    await web?.stop();
    content?.cleanup();
  });

  it('has its work picked up: nothing lost, nothing doubled, order kept', async () => {
    child = await startEngineProcess({
      DATABASE_URL: web.databaseUrl!,
      QUEUE_PREFIX: web.prefix,
      ROLES: 'engine',
      FLOWS_DIR: content.flowsDir,
      TEMPLATES_DIR: content.templatesDir,
      DATA_DIR: web.dataDir,
      SECRET_KEY: 'a'.repeat(64),
      LOG_LEVEL: 'silent',
      ENGINE_CONCURRENCY: '2',
    });
    const chat = web.chat();
    await chat.say('start');
    const conversationId = (await chat.conversationId())!;
    const processed = async () =>
      (
        await web.database.db
          .select({ id: messages.id })
          .from(messages)
          .where(and(eq(messages.conversationId, conversationId), eq(messages.direction, 'in'), eq(messages.status, 'processed')))
      ).length;

    // Messages keep arriving while the engine works; it is killed part-way through.
    const texts = Array.from({ length: 50 }, (_, i) => `m${i + 1}`);
    const sending = (async () => {
      for (const t of texts) {
        await chat.post(t);
        await new Promise((r) => setTimeout(r, 15));
      }
    })();
    await waitFor('the engine to be part-way through', async () => (await processed()) >= 12);
    child.kill('SIGKILL');
    await new Promise((r) => child!.once('exit', r));
    expect(() => process.kill(child!.pid!, 0)).toThrow(/ESRCH/);
    const atKill = await processed();
    expect(atKill).toBeLessThan(50);
    await sending;

    rescuer = await startTestWasl({
      db: { url: web.databaseUrl! },
      prefix: web.prefix,
      roles: 'engine',
      flowsDir: content.flowsDir,
      templatesDir: content.templatesDir,
      options: { engineLockDurationMs: 1500, sweeper: { everyMs: 500, olderThanMs: 1000 } },
    });
    await chat.replies(60_000);

    const all = await web.database.db.select().from(messages).where(eq(messages.conversationId, conversationId)).orderBy(asc(messages.id));
    const inbound = all.filter((m) => m.direction === 'in' && m.text !== 'start').sort((a, b) => a.seq! - b.seq!);
    expect(inbound.map((m) => m.text)).toEqual(texts); // posted one after another: arrival order is sending order
    expect(inbound.every((m) => m.status === 'processed')).toBe(true);
    const echoes = all.filter((m) => m.direction === 'out' && m.text?.startsWith('echo: ')).map((m) => m.text!.slice(6));
    expect(echoes).toEqual(texts);
    expect(all.filter((m) => m.direction === 'out').every((m) => m.status === 'sent')).toBe(true);
  });
});
