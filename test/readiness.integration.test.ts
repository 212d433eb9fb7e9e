/**
 * `/readyz` per channel on a real Wasl: Telegram against the fake Bot API, email against Dovecot and an SMTP
 * sink, SMS against the fake gateways, and Redis — each reached through a TCP relay that the test cuts and
 * restores (test/support/outage-proxy.ts), so the outage is a real one: connections reset, then refused.
 * Readiness caches are shortened through the channels' options so an outage shows within a second.
 */
import type { ReadinessReport } from '../src/http/build-server';
import { createEmailChannel } from '../src/channels/email/email-channel';
import { createTelegramChannel } from '../src/channels/telegram/telegram-channel';
import { dovecotAvailable, startDovecot, type TestDovecot } from './fakes/dovecot';
import { FAKE_SMS, FakeSmsProviders } from './fakes/fake-sms-providers';
import { FakeTelegramApi, tg } from './fakes/fake-telegram-api';
import { startSmtpSink, type SmtpSink } from './fakes/smtp-sink';
import { firstMail } from './fixtures/email/build-replies';
import { startTestWasl, waitFor, type TestWasl } from './support/harness';
import { startOutageProxy, type OutageProxy } from './support/outage-proxy';

const SLOW = 120_000;
const timing = { freshForMs: 300, probeTimeoutMs: 1000 };

async function readyz(wasl: TestWasl, query = ''): Promise<{ status: number; report: ReadinessReport; raw: string; ms: number }> {
  const started = Date.now();
  const res = await fetch(`${wasl.url}/readyz${query}`);
  const raw = await res.text();
  return { status: res.status, report: JSON.parse(raw) as ReadinessReport, raw, ms: Date.now() - started };
}

/**
 * Polls /readyz until `check` reports `ready` and the whole answer agrees; returns that answer. The database and
 * Redis decide the status code; a channel down leaves the process ready but `degraded`, a 503 only with `?strict`.
 */
function readyzUntil(wasl: TestWasl, check: string, ready: boolean, timeoutMs = 20_000) {
  const core = check === 'database' || check === 'redis';
  return waitFor(
    `${check} ${ready ? 'ready' : 'not ready'}`,
    async () => {
      const r = await readyz(wasl);
      if (r.report.checks[check]?.ready !== ready) return null;
      if (ready) return r.status === 200 && r.report.status === 'ok' ? r : null;
      if (core) return r.status === 503 && r.report.status === 'unavailable' && !r.report.ready ? r : null;
      const strict = await readyz(wasl, '?strict=true');
      return r.status === 200 && r.report.ready && r.report.status === 'degraded' && strict.status === 503 ? r : null;
    },
    timeoutMs,
  );
}

describe('/readyz reports Telegram', () => {
  let fake: FakeTelegramApi;
  let proxy: OutageProxy;
  let wasl: TestWasl;
  beforeAll(async () => {
    fake = await FakeTelegramApi.start();
    proxy = await startOutageProxy({ port: Number(new URL(fake.url).port) });
    wasl = await startTestWasl({
      db: 'postgres',
      extraEnv: { TELEGRAM_BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: `http://127.0.0.1:${proxy.port}` },
      options: { channelModules: [createTelegramChannel({ readiness: timing })] },
    });
  }, SLOW);
  afterAll(async () => {
    await wasl?.stop();
    await proxy?.close();
    await fake?.stop();
  });

  it('ready while the Bot API answers, without a getMe for every poll', async () => {
    // The channel's calls go through the reporting client: updates in, replies out.
    fake.pushUpdate(tg.command(5550001, 'start'));
    await fake.waitForCall('sendMessage', (c) => c.status === 200);
    const { report } = await readyzUntil(wasl, 'channel:telegram', true);
    expect(report).toEqual({
      ready: true,
      status: 'ok',
      checks: { database: { ready: true, state: 'ok' }, redis: { ready: true, state: 'ok' }, 'channel:telegram': { ready: true, state: 'ok' } },
    });
    const before = fake.callsTo('getMe').length;
    await Promise.all(Array.from({ length: 20 }, () => readyz(wasl)));
    expect(fake.callsTo('getMe').length - before).toBeLessThanOrEqual(1);
  });

  it('not ready with the reason while the Bot API is unreachable, and ready again once it is back', async () => {
    await proxy.cut();
    const down = await readyzUntil(wasl, 'channel:telegram', false);
    expect(down.report.checks['channel:telegram']!.state).toMatch(/^Bot API unreachable: /);
    expect((await readyz(wasl, '?strict=yes')).status).toBe(400);
    expect(down.report.checks.database!.ready).toBe(true);
    expect(down.raw).not.toContain(fake.token.split(':')[1]);
    // Polled during the outage, /readyz answers from the cache or within the probe's timeout.
    for (let i = 0; i < 5; i++) expect((await readyz(wasl)).ms).toBeLessThan(1500);

    await proxy.restore();
    const up = await readyzUntil(wasl, 'channel:telegram', true);
    expect(up.report.checks['channel:telegram']).toEqual({ ready: true, state: 'ok' });
  }, SLOW);

  it('not ready when Telegram refuses the token', async () => {
    fake.failNext('getMe', { error_code: 401, description: 'Unauthorized' }, { times: 1000 });
    fake.failNext('getUpdates', { error_code: 401, description: 'Unauthorized' }, { times: 1000 });
    // The long poll open now answers normally; the next one is refused.
    const down = await readyzUntil(wasl, 'channel:telegram', false);
    expect(down.report.checks['channel:telegram']!.state).toBe('Bot API refused the bot token (401 Unauthorized)');
  }, SLOW);
});

(dovecotAvailable ? describe : describe.skip)('/readyz reports email (Dovecot + SMTP sink)', () => {
  const password = 'imap-Pw-7f3a9c21';
  let dovecot: TestDovecot;
  let sink: SmtpSink;
  let imapProxy: OutageProxy;
  let smtpProxy: OutageProxy;
  let wasl: TestWasl;
  beforeAll(async () => {
    dovecot = await startDovecot({ password });
    sink = await startSmtpSink();
    imapProxy = await startOutageProxy({ port: dovecot.port });
    smtpProxy = await startOutageProxy({ port: sink.port });
    wasl = await startTestWasl({
      db: 'postgres',
      extraEnv: {
        ...sink.env,
        SMTP_URL: `smtp://127.0.0.1:${smtpProxy.port}`,
        IMAP_URL: `imap://${encodeURIComponent(dovecot.user)}:${password}@127.0.0.1:${imapProxy.port}/INBOX`,
        EMAIL_POLL_INTERVAL_MS: '1000',
      },
      options: { channelModules: [createEmailChannel({ readiness: timing })] },
    });
  }, SLOW);
  afterAll(async () => {
    await wasl?.stop();
    await imapProxy?.close();
    await smtpProxy?.close();
    await sink?.stop();
    await dovecot?.stop();
  }, SLOW);

  it('ready with the mailbox open and SMTP answering', async () => {
    const { report } = await readyzUntil(wasl, 'channel:email', true);
    expect(report.checks['channel:email']).toEqual({ ready: true, state: 'ok' });
    // Mail is still read and answered through the relays and the reporting adapter.
    await dovecot.append(firstMail({ from: 'noura@example.org', fromName: 'نورة', to: sink.env.EMAIL_FROM, subject: 'سؤال', text: 'السلام عليكم' }).raw);
    await sink.waitForMails(1);
  });

  it('not ready while SMTP is unreachable', async () => {
    await smtpProxy.cut();
    const down = await readyzUntil(wasl, 'channel:email', false);
    expect(down.report.checks['channel:email']!.state).toMatch(/^SMTP unreachable: /);
    await smtpProxy.restore();
    await readyzUntil(wasl, 'channel:email', true);
  }, SLOW);

  it('not ready while IMAP is unreachable, without the password in the reason', async () => {
    await imapProxy.cut();
    const down = await readyzUntil(wasl, 'channel:email', false);
    expect(down.report.checks['channel:email']!.state).toMatch(/^IMAP /);
    expect(down.raw).not.toContain(password);
    await imapProxy.restore();
    await readyzUntil(wasl, 'channel:email', true, 30_000);
  }, SLOW);
});

describe('/readyz reports SMS', () => {
  let fake: FakeSmsProviders;
  let wasl: TestWasl;
  beforeAll(async () => {
    fake = await FakeSmsProviders.start();
    wasl = await startTestWasl({ db: 'postgres', extraEnv: { ...fake.env('taqnyat'), WEB_CHAT_ENABLED: 'false' } });
  }, SLOW);
  afterAll(async () => {
    await wasl?.stop();
    await fake?.close();
  });

  it('ready when configured; not ready after a send the gateway answered 503; ready once a send goes through', async () => {
    const { report } = await readyzUntil(wasl, 'channel:sms', true);
    // Channels with no provider to reach are not listed.
    expect(Object.keys(report.checks).sort()).toEqual(['channel:sms', 'database', 'redis']);

    fake.failNext('taqnyat', 503, { body: { message: 'maintenance' } });
    const res = await fake.deliverInbound(wasl.url!, 'taqnyat', { from: '+966551230077', text: 'السلام عليكم' });
    expect(res.status).toBe(200);
    const down = await readyzUntil(wasl, 'channel:sms', false);
    expect(down.report.checks['channel:sms']!.state).toMatch(/^last send failed: taqnyat: HTTP 503/);
    // The outbound queue retries the reply; the gateway takes it this time.
    await readyzUntil(wasl, 'channel:sms', true, 30_000);
    expect(fake.sent('+966551230077').length).toBeGreaterThan(0);
  }, SLOW);

  it('not ready after the gateway refused our credentials (401), without them in the reason; ready once a send is answered', async () => {
    await readyzUntil(wasl, 'channel:sms', true);
    fake.failNext('taqnyat', 401, { body: { message: `invalid token ${FAKE_SMS.taqnyatToken}` } });
    expect((await fake.deliverInbound(wasl.url!, 'taqnyat', { from: '+966551230078', text: 'السلام عليكم' })).status).toBe(200);
    const down = await readyzUntil(wasl, 'channel:sms', false);
    expect(down.report.checks['channel:sms']!.state).toBe('last send failed: SMS provider refused our credentials (401)');
    expect(down.raw).not.toContain(FAKE_SMS.taqnyatToken);
    // Not retried (a 401 is permanent): the next reply, answered normally, clears it.
    expect(fake.sent('+966551230078')).toHaveLength(0);
    expect((await fake.deliverInbound(wasl.url!, 'taqnyat', { from: '+966551230078', text: 'مرحبا' })).status).toBe(200);
    await readyzUntil(wasl, 'channel:sms', true, 30_000);
    expect(fake.sent('+966551230078').length).toBeGreaterThan(0);
  }, SLOW);
});

describe('/readyz reports Redis', () => {
  let proxy: OutageProxy;
  let wasl: TestWasl;
  beforeAll(async () => {
    const redis = new URL(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');
    proxy = await startOutageProxy({ host: redis.hostname, port: Number(redis.port || 6379) });
    // The web role alone: it needs Redis for nothing at start-up that would wait for it.
    wasl = await startTestWasl({ db: 'postgres', roles: 'web', extraEnv: { REDIS_URL: `redis://127.0.0.1:${proxy.port}` } });
  }, SLOW);
  afterAll(async () => {
    await proxy?.restore();
    await wasl?.stop();
    await proxy?.close();
  });

  it('503 at once while Redis is unreachable, 200 once it is back', async () => {
    await readyzUntil(wasl, 'redis', true);
    const clients = proxy.connections();
    await proxy.cut();
    const down = await readyzUntil(wasl, 'redis', false);
    expect(down.report.checks.redis!.state).toMatch(/^connection /);
    expect(down.ms).toBeLessThan(1500);
    await proxy.restore();
    await readyzUntil(wasl, 'redis', true, 30_000);
    // Every client (queues, counters) back before Wasl stops: closing one mid-reconnect can leave a timer behind.
    await waitFor('every Redis client to reconnect', async () => proxy.connections() >= clients);
  }, SLOW);
});
