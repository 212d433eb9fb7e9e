/**
 * Faults at the provider: Telegram answering 500s and 429s for a while, and Telegram taking 10 s over every
 * send. Beneficiaries write in over the real webhook; the real pipeline (PostgreSQL, Redis) answers them.
 * Required: every message answered exactly once, with no one stepping in.
 */
import { telegramChannel } from '../../src/channels/telegram/telegram-channel';
import { FakeTelegramApi } from '../fakes/fake-telegram-api';
import { copyContent, useEchoMainMenu, type ContentCopy } from '../support/content-fixture';
import { startTestWasl, type TestWasl } from '../support/harness';
import { outboxStatus, printTally, settle, telegramEnv, TelegramLoad } from './support/fault-load';
import { ThrowawayRedis } from './support/throwaway-redis';

describe('a channel provider in trouble', () => {
  let content: ContentCopy;
  let redis: ThrowawayRedis;
  let fake: FakeTelegramApi | undefined;
  let wasl: TestWasl | undefined;

  beforeAll(async () => {
    content = copyContent();
    useEchoMainMenu(content);
    redis = await ThrowawayRedis.start();
  });
  afterEach(async () => {
    await wasl?.stop();
    await fake?.stop();
    wasl = undefined;
    fake = undefined;
  });
  afterAll(async () => {
    await redis?.stop();
    content?.cleanup();
  });

  async function start(): Promise<{ fake: FakeTelegramApi; wasl: TestWasl; load: TelegramLoad }> {
    fake = await FakeTelegramApi.start();
    wasl = await startTestWasl({
      db: 'postgres',
      flowsDir: content.flowsDir,
      templatesDir: content.templatesDir,
      extraEnv: { ...telegramEnv(fake), REDIS_URL: redis.url },
      options: { channelModules: [telegramChannel], sweeper: { everyMs: 1000, olderThanMs: 3000 } },
    });
    const w = wasl;
    return { fake, wasl: w, load: new TelegramLoad(fake, () => `${w.url}/webhooks/telegram`) };
  }

  it('answers every message once through a spell of 500s and 429s', async () => {
    const { fake, wasl, load } = await start();
    // After a few good sends, Telegram fails: 500s, then "too many requests" with retry_after, then recovers.
    fake.failNext('sendMessage', { error_code: 500, description: 'Internal Server Error' }, { skip: 10, times: 25 });
    fake.failNext('sendMessage', { error_code: 429, description: 'Too Many Requests: retry after 1', retry_after: 1 }, { skip: 10, times: 15 });
    await load.run({ chats: 12, perChat: 8, gapMs: 150 });
    await settle(load, 90_000);
    const t = await load.tally(wasl.database.db);
    const refused = fake.callsTo('sendMessage').filter((c) => c.status !== 200).length;
    printTally('provider 500s and 429s', t, { 'provider-errors': refused, outbox: JSON.stringify(await outboxStatus(wasl.database.db)) });
    expect(refused).toBe(40);
    expect(t).toMatchObject({ sent: 96, stored: 96, lost: 0, duplicated: 0 });
  }, 150_000);

  it('answers every message once when each send takes 10 s', async () => {
    const { fake, wasl, load } = await start();
    fake.sendDelayMs = 10_000;
    await load.run({ chats: 4, perChat: 2, gapMs: 100 });
    await settle(load, 100_000);
    const t = await load.tally(wasl.database.db);
    printTally('slow provider (10 s per send)', t, { outbox: JSON.stringify(await outboxStatus(wasl.database.db)), sends: fake.callsTo('sendMessage').length });
    expect(t).toMatchObject({ sent: 8, stored: 8, lost: 0, duplicated: 0 });
  }, 150_000);
});
