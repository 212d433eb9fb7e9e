/**
 * kill -9 of an outbound process sending website chat replies. Where the provider has no rate limit one send job
 * carries all of a conversation's queued replies (queue/workers.ts, ADR 0009), so a kill can land between two
 * replies of one job: the survivor takes the stalled job over and must send what is left, once and in order.
 */
import type { ChildProcess } from 'node:child_process';
import { copyContent, useEchoMainMenu, type ContentCopy } from '../support/content-fixture';
import { startTestWasl, waitFor, type TestWasl } from '../support/harness';
import { outboxStatus, printTally } from './support/fault-load';
import { killHard, startRoleProcess } from './support/role-child';
import { ThrowawayRedis } from './support/throwaway-redis';
import { WebChatLoad } from './support/web-chat-load';

describe('kill -9 of an outbound process sending website chat replies', () => {
  let content: ContentCopy;
  let redis: ThrowawayRedis;
  let web: TestWasl;
  let load: WebChatLoad;
  const children: ChildProcess[] = [];
  const webEnv = { WEB_CHAT_IP_REQUESTS_PER_MINUTE: '100000', WEB_CHAT_MESSAGES_PER_MINUTE: '10000' };

  beforeAll(async () => {
    content = copyContent();
    useEchoMainMenu(content);
    redis = await ThrowawayRedis.start();
    web = await startTestWasl({
      db: 'postgres',
      roles: 'web,engine',
      flowsDir: content.flowsDir,
      templatesDir: content.templatesDir,
      extraEnv: { ...webEnv, REDIS_URL: redis.url },
      options: { engineLockDurationMs: 1500, outboundLockDurationMs: 1500, sweeper: { everyMs: 1000, olderThanMs: 3000 } },
    });
    load = await WebChatLoad.start({ redisUrl: redis.url, prefix: web.prefix, baseUrl: web.url! });
  }, 120_000);
  afterAll(async () => {
    for (const c of children) await killHard(c);
    await load?.stop();
    await web?.stop();
    await redis?.stop();
    content?.cleanup();
  });

  it('loses nothing, sends nothing twice and keeps each chat in order', async () => {
    const env = {
      ...webEnv,
      REDIS_URL: redis.url,
      DATABASE_URL: web.databaseUrl!,
      QUEUE_PREFIX: web.prefix,
      ROLES: 'outbound',
      FLOWS_DIR: content.flowsDir,
      TEMPLATES_DIR: content.templatesDir,
      DATA_DIR: web.dataDir,
      FAULT_LOCK_MS: '1500',
      FAULT_SWEEP_MS: '0',
    };
    const [victim, survivor] = await Promise.all([startRoleProcess(env), startRoleProcess(env)]);
    children.push(victim!, survivor!);
    const running = load.run({ people: 20, perPerson: 8, gapMs: 100 });
    await waitFor('the load to be part-way', async () => load.answeredCount() >= 30, 60_000);
    await killHard(victim!);
    expect(() => process.kill(victim!.pid!, 0)).toThrow(/ESRCH/);
    const answeredAtKill = load.answeredCount();
    await running;
    const started = Date.now();
    while (load.answeredCount() < load.sentCount && Date.now() - started < 60_000) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 2_000));
    const t = await load.tally(web.database.db);
    // The path under test was taken: jobs that sent more than one reply.
    const jobs = await web.queues.outbound.web.getJobs(['completed']);
    const multi = jobs.filter((j) => typeof j.returnvalue === 'number' && j.returnvalue > 1).length;
    printTally('kill -9 of a website chat sender', t, { 'answered-at-kill': answeredAtKill, 'jobs-with-several-replies': multi, 'republished-same-id': load.republished(), outbox: JSON.stringify(await outboxStatus(web.database.db)) });
    expect(answeredAtKill).toBeLessThan(160);
    expect(multi).toBeGreaterThan(0);
    expect(t).toMatchObject({ sent: 160, stored: 160, lost: 0, duplicated: 0, outOfOrder: 0 });
  }, 150_000);
});
