/**
 * Graceful shutdown (`npm start`, src/main.ts): SIGTERM while a reply is being handed to the provider lets that
 * send finish before the process exits 0 — the beneficiary gets it once, the row says `sent` — and the replies
 * that were still waiting stay queued for the next process, which sends each exactly once. The outbound role
 * runs as a real child process; Telegram is the fake Bot API behind a proxy that holds every send for a while,
 * so the SIGTERM lands mid-job.
 */
import type { ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { and, eq, sql } from 'drizzle-orm';
import { messages } from '../src/store/schema';
import { FakeTelegramApi, tg } from './fakes/fake-telegram-api';
import { startTestWasl, waitFor, type TestWasl } from './support/harness';
import { startWaslProcess, waslProcessEnv } from './support/wasl-process';

const HOLD_MS = 2500;

/** Forwards to the fake Bot API, holding each sendMessage HOLD_MS first; records when each send started and ended. */
async function slowProxy(target: string): Promise<{ url: string; sends: { started: number; answered?: number }[]; server: Server }> {
  const sends: { started: number; answered?: number }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', async () => {
      const send: { started: number; answered?: number } | undefined = req.url?.endsWith('/sendMessage') ? { started: Date.now() } : undefined;
      if (send) {
        sends.push(send);
        await new Promise((r) => setTimeout(r, HOLD_MS));
      }
      const answer = await fetch(`${target}${req.url}`, { method: req.method, headers: { 'content-type': req.headers['content-type'] ?? 'application/json' }, body: req.method === 'GET' ? undefined : body });
      const text = await answer.text();
      if (send) send.answered = Date.now();
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(text);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, sends, server };
}

describe('SIGTERM in the middle of a send', () => {
  let fake: FakeTelegramApi;
  let proxy: Awaited<ReturnType<typeof slowProxy>>;
  let web: TestWasl;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    fake = await FakeTelegramApi.start();
    proxy = await slowProxy(fake.url);
    // Takes messages in (long polling the fake) and runs the engine; sending is the child's job.
    web = await startTestWasl({ db: 'postgres', roles: 'web,engine', extraEnv: { TELEGRAM_BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: fake.url, TELEGRAM_CHAT_INTERVAL_MS: '100' } });
  });
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await web?.stop();
    proxy?.server.close();
    await fake?.stop();
  });

  const childEnv = () => waslProcessEnv(web, 'outbound', { TELEGRAM_BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: proxy.url, TELEGRAM_CHAT_INTERVAL_MS: '100' });

  const outboundRows = () =>
    web.database.db
      .select({ id: messages.id, status: messages.status })
      .from(messages)
      .where(and(eq(messages.direction, 'out'), eq(messages.channel, 'telegram')));

  it('finishes the send in flight, exits 0, and leaves the rest queued for the next process', async () => {
    const first = await startWaslProcess(childEnv());
    children.push(first.child);
    fake.pushUpdate(tg.text(5001, 'السلام عليكم'));
    await waitFor('a send to be in flight', async () => proxy.sends.length > 0);
    first.child.kill('SIGTERM');
    // Once the first process has begun to stop (the pipeline can outrun the signal's delivery), another
    // beneficiary writes; nobody is sending for now.
    await waitFor('the first process to begin stopping', async () => first.output().includes('SIGTERM: stopping Wasl'));
    fake.pushUpdate(tg.text(5002, 'السلام عليكم'));
    const { code, at } = await first.exited;

    expect(code).toBe(0);
    expect(first.output()).toContain('SIGTERM: stopping Wasl');
    const inFlight = proxy.sends[0]!;
    expect(inFlight.answered).toBeDefined();
    expect(at).toBeGreaterThanOrEqual(inFlight.answered!);
    expect(inFlight.answered! - inFlight.started).toBeGreaterThanOrEqual(HOLD_MS);
    const sentBefore = fake.callsTo('sendMessage').filter((c) => c.status === 200);
    expect(sentBefore.length).toBeGreaterThanOrEqual(1);
    expect(sentBefore.every((c) => c.body.chat_id === '5001')).toBe(true);

    // Nothing lost: the second beneficiary's reply waits, queued, until an outbound process is back.
    await waitFor('the second reply to be written', async () => (await outboundRows()).length > sentBefore.length);
    const waiting = (await outboundRows()).filter((r) => r.status === 'queued');
    expect(waiting.length).toBeGreaterThanOrEqual(1);

    const second = await startWaslProcess(childEnv());
    children.push(second.child);
    await waitFor('every reply to be sent', async () => (await outboundRows()).every((r) => r.status === 'sent'), 30_000);
    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);

    // Exactly once: one successful sendMessage per reply row, none repeated.
    const rows = await outboundRows();
    const delivered = fake.callsTo('sendMessage').filter((c) => c.status === 200);
    expect(delivered).toHaveLength(rows.length);
    expect(new Set(delivered.map((c) => `${c.body.chat_id}:${c.body.text}`)).size).toBe(delivered.length);
    const [{ n }] = (await web.database.db.select({ n: sql<number>`count(*)::int` }).from(messages).where(and(eq(messages.direction, 'out'), eq(messages.status, 'failed')))) as [{ n: number }];
    expect(n).toBe(0);
  }, 120_000);
});
