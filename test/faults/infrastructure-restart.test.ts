/**
 * Redis and PostgreSQL crash and come back while beneficiaries are writing in. Each test runs its own server
 * (never the shared ones on 6379/5432): Redis is SIGKILLed and restarted empty — the worst case, a Redis
 * without persistence, so every queued job is gone and the sweeper must find the work again from the
 * database; PostgreSQL is stopped with `-m immediate` (a crash) and restarted. Telegram redelivers what
 * Wasl could not take meanwhile, as it does in production.
 */
import { telegramChannel } from '../../src/channels/telegram/telegram-channel';
import { FakeTelegramApi } from '../fakes/fake-telegram-api';
import { copyContent, useEchoMainMenu, type ContentCopy } from '../support/content-fixture';
import { startTestWasl, waitFor, type TestWasl } from '../support/harness';
import { outboxStatus, printTally, settle, telegramEnv, TelegramLoad } from './support/fault-load';
import { ThrowawayPostgres } from './support/throwaway-postgres';
import { ThrowawayRedis } from './support/throwaway-redis';

describe('infrastructure restarted mid-load', () => {
  let content: ContentCopy;
  let redis: ThrowawayRedis | undefined;
  let pg: ThrowawayPostgres | undefined;
  let fake: FakeTelegramApi | undefined;
  let wasl: TestWasl | undefined;

  beforeAll(() => {
    content = copyContent();
    useEchoMainMenu(content);
  });
  afterEach(async () => {
    await wasl?.stop().catch(() => undefined);
    await fake?.stop();
    await redis?.stop();
    await pg?.stop();
    wasl = undefined;
    fake = undefined;
    redis = undefined;
    pg = undefined;
  });
  afterAll(() => content?.cleanup());

  async function start(db: 'postgres' | { url: string }): Promise<{ wasl: TestWasl; load: TelegramLoad }> {
    redis = await ThrowawayRedis.start();
    fake = await FakeTelegramApi.start();
    wasl = await startTestWasl({
      db,
      flowsDir: content.flowsDir,
      templatesDir: content.templatesDir,
      extraEnv: { ...telegramEnv(fake), REDIS_URL: redis.url },
      options: { channelModules: [telegramChannel], sweeper: { everyMs: 1000, olderThanMs: 3000 } },
    });
    const w = wasl;
    return { wasl: w, load: new TelegramLoad(fake, () => `${w.url}/webhooks/telegram`) };
  }

  /** 16 chats of 8 messages each; the restart comes part-way, and afterwards every message is answered once, in order. */
  async function expectLoadSurvivesRestart(label: string, { wasl, load }: { wasl: TestWasl; load: TelegramLoad }, restart: () => Promise<void>): Promise<void> {
    const running = load.run({ chats: 16, perChat: 8, gapMs: 100 });
    await waitFor('the load to be part-way', async () => load.answeredCount() >= 25, 60_000);
    await restart();
    const answeredAtRestart = load.answeredCount();
    await running;
    await settle(load, 60_000);
    const t = await load.tally(wasl.database.db);
    printTally(label, t, { 'answered-at-restart': answeredAtRestart, redeliveries: load.retries, outbox: JSON.stringify(await outboxStatus(wasl.database.db)) });
    expect(answeredAtRestart).toBeLessThan(128);
    expect(t).toMatchObject({ sent: 128, stored: 128, lost: 0, duplicated: 0, outOfOrder: 0 });
  }

  it('Redis killed and restarted empty: nothing lost, nothing doubled', async () => {
    await expectLoadSurvivesRestart('Redis restarted (no persistence)', await start('postgres'), () => redis!.restart(3_000));
  }, 150_000);

  it('PostgreSQL crashed and restarted: nothing lost, nothing doubled', async () => {
    pg = await ThrowawayPostgres.start();
    await expectLoadSurvivesRestart('PostgreSQL restarted (crash)', await start({ url: pg.url }), () => pg!.restart(3_000));
  }, 150_000);
});
