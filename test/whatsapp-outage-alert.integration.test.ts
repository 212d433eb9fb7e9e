/**
 * Staff hear of a WhatsApp outage once: the fake client goes offline and every reconnect fails; after
 * WHATSAPP_ALERT_AFTER_MS one alert reaches the staff Telegram group (through the real staff-notify queue and
 * worker) and the console's live events — not one per reconnect attempt, and not a second one from another
 * process that sees the same outage. When the session is back, one "back up" notice follows. A later outage
 * is a new alert.
 */
import type { Redis } from 'ioredis';
import pino from 'pino';
import { createOutageAlerts } from '../src/channels/whatsapp/outage-alerts';
import { createStaffNoticeQueue } from '../src/staff/staff-notify';
import { FakeTelegramApi, FAKE_BOT_TOKEN } from './fakes/fake-telegram-api';
import { FakeWhatsappPhone, startWhatsappWasl } from './fakes/fake-whatsapp-client';
import { waitFor, type TestWasl } from './support/harness';

const STAFF_CHAT = '-100200300';

describe('WhatsApp outage alerts to staff (fake client, fake Telegram staff group, PostgreSQL)', () => {
  let wasl: TestWasl;
  let phone: FakeWhatsappPhone;
  let telegram: FakeTelegramApi;
  let subscriber: Redis;
  const live: { type: string; state?: string }[] = [];
  const staffMessages = () => telegram.callsTo('sendMessage').filter((c) => c.status === 200 || c.status === undefined).map((c) => String(c.body.text));

  beforeAll(async () => {
    telegram = await FakeTelegramApi.start(FAKE_BOT_TOKEN);
    ({ wasl, phone } = await startWhatsappWasl({
      db: 'postgres',
      extraEnv: { STAFF_TELEGRAM_BOT_TOKEN: FAKE_BOT_TOKEN, STAFF_TELEGRAM_CHAT_ID: STAFF_CHAT, STAFF_TELEGRAM_API_ROOT: telegram.url, WHATSAPP_ALERT_AFTER_MS: '1000' },
    }));
    await waitFor('the WhatsApp session', async () => phone.clients[0]?.state === 'ready');
    subscriber = wasl.redis.duplicate();
    await subscriber.subscribe(`${wasl.prefix}:console:events`);
    subscriber.on('message', (_c, payload) => live.push(JSON.parse(payload) as { type: string; state?: string }));
  }, 180_000);
  afterAll(async () => {
    await subscriber?.quit();
    await wasl?.stop();
    await telegram?.stop();
  });

  it('alerts once per outage across reconnect attempts and processes, then says when it is back', async () => {
    const clientsBefore = phone.clients.length;
    phone.offline = true;
    await phone.current.disconnect('NAVIGATION');

    await waitFor('the alert in the staff group', async () => staffMessages().length > 0, 20_000);
    const [alert] = staffMessages();
    expect(alert).toContain('WhatsApp session down (main)');
    expect(alert).toContain('state: disconnected (initialize failed: net::ERR_INTERNET_DISCONNECTED');
    expect(alert).toContain('/console/channels/whatsapp');
    expect(telegram.callsTo('sendMessage')[0]!.body.chat_id).toBe(STAFF_CHAT);

    // Many more reconnect attempts fail during the same outage; heartbeats keep checking.
    await waitFor('more reconnect attempts', async () => phone.clients.length >= clientsBefore + 4, 20_000);
    await new Promise((r) => setTimeout(r, 1500));
    // Another gateway process (a standby that took the number over) sees the same outage later.
    const otherProcessNotices = createStaffNoticeQueue({ url: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379', maxRetriesPerRequest: null }, wasl.prefix);
    const otherProcess = createOutageAlerts({ redis: wasl.redis, prefix: wasl.prefix, log: pino({ level: 'silent' }), notices: otherProcessNotices });
    expect(await otherProcess.down({ clientId: 'main', state: 'disconnected', reason: 'initialize failed', downSince: new Date() })).toBe(false);
    await otherProcessNotices.close();
    await new Promise((r) => setTimeout(r, 500));
    expect(staffMessages()).toHaveLength(1);
    expect(live.filter((e) => e.type === 'whatsapp.down')).toHaveLength(1);

    phone.offline = false;
    await waitFor('the back-up notice', async () => staffMessages().length === 2, 20_000);
    expect(staffMessages()[1]).toContain('WhatsApp is back (main)');
    await waitFor('the live event', async () => live.some((e) => e.type === 'whatsapp.up'));
    await new Promise((r) => setTimeout(r, 1000));
    expect(staffMessages()).toHaveLength(2);

    // A new outage is a new alert.
    phone.offline = true;
    await phone.current.disconnect('CONFLICT');
    await waitFor('the second alert', async () => staffMessages().length === 3, 20_000);
    expect(staffMessages()[2]).toContain('WhatsApp session down (main)');
    phone.offline = false;
    await waitFor('the second back-up notice', async () => staffMessages().length === 4, 20_000);
    await waitFor('the second live back-up event', async () => live.filter((e) => e.type === 'whatsapp.up').length === 2);
    expect(live.map((e) => e.type).filter((t) => t.startsWith('whatsapp.'))).toEqual(['whatsapp.down', 'whatsapp.up', 'whatsapp.down', 'whatsapp.up']);
  }, 120_000);
});
