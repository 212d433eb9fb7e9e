/**
 * Opt-in checks against the real world, skipped by default:
 * - the browser smoke test runs when Debian's Chromium is installed (CHROMIUM_PATH, default from the env schema):
 *   puppeteer-core launches it with our flags, no network needed;
 * - the real-phone test runs only with WHATSAPP_LIVE=1: it starts the gateway with the real whatsapp-web.js,
 *   prints the QR code in the terminal, and waits for you to scan it and then to write "السلام عليكم" to the
 *   number from another phone; it passes when the reply was sent.
 *
 *   WHATSAPP_LIVE=1 npm test -- test/whatsapp-live
 */
import { existsSync } from 'node:fs';
import { and, eq } from 'drizzle-orm';
import { chromiumArgs } from '../src/channels/whatsapp/whatsapp-client';
import { createWhatsappChannel } from '../src/channels/whatsapp/whatsapp-channel';
import { loadEnv } from '../src/config/load-config';
import { messages } from '../src/store/schema';
import { startTestWasl, waitFor, type TestWasl } from './support/harness';

const chromiumPath = loadEnv(process.env).CHROMIUM_PATH;
const live = process.env.WHATSAPP_LIVE === '1';

(existsSync(chromiumPath) ? it : it.skip)('launches Debian Chromium through puppeteer-core with the gateway flags', async () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const puppeteer = require('puppeteer') as typeof import('puppeteer');
  const browser = await puppeteer.launch({ executablePath: chromiumPath, headless: true, args: chromiumArgs });
  try {
    const page = await browser.newPage();
    expect(await page.evaluate(() => 6 * 7)).toBe(42);
  } finally {
    await browser.close();
  }
});

(live ? describe : describe.skip)('WhatsApp with a real phone (WHATSAPP_LIVE=1)', () => {
  let wasl: TestWasl;
  beforeAll(async () => {
    wasl = await startTestWasl({
      db: 'pglite',
      roles: 'web,engine,whatsapp',
      extraEnv: { WHATSAPP_ENABLED: 'true', LOG_LEVEL: 'info' },
      options: { channelModules: [createWhatsappChannel()] },
    });
  }, 180_000);
  afterAll(() => wasl?.stop());

  it('pairs by QR, receives a message and sends the reply', async () => {
    const db = wasl.database.db;
    console.log('Scan the QR code printed above with WhatsApp (Linked devices), then write «السلام عليكم» to the number from another phone.');
    const inbound = await waitFor(
      'a WhatsApp message',
      async () => (await db.select().from(messages).where(and(eq(messages.channel, 'whatsapp'), eq(messages.direction, 'in'))).limit(1))[0],
      300_000,
    );
    await waitFor(
      'the reply to be sent',
      async () =>
        (await db.select().from(messages).where(and(eq(messages.conversationId, inbound.conversationId), eq(messages.direction, 'out'), eq(messages.status, 'sent')))).length > 0,
      120_000,
    );
  }, 480_000);
});
