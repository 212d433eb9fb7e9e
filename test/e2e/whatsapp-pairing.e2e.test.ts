/**
 * The WhatsApp pairing page in a real browser (playwright-core driving Debian's Chromium), against the fake
 * WhatsApp client: a supervisor signs in, opens /console/channels/whatsapp and sees the pairing QR the fake
 * client emitted (as a PNG), refreshed live when it rotates; once the phone scans it the page shows the session
 * connected, with no QR and a last-connected time. A researcher is refused the page and the API. Every view of
 * a QR is in the audit trail. When the session later stays down, every open console shows one alert banner,
 * then that it is back.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { and, eq } from 'drizzle-orm';
import type { BrowserContext, Page } from 'playwright-core';
import { createStaff } from '../../src/staff/staff-repo';
import { auditLog } from '../../src/store/schema';
import { FakeWhatsappPhone, startWhatsappWasl } from '../fakes/fake-whatsapp-client';
import { projectRoot, waitFor, type TestWasl } from '../support/harness';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const artifacts = path.join(projectRoot, 'test-artifacts');
const PASSWORD = 'correct horse battery';
const chromiumFlags = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** The little of the DOM these checks use (the project's TypeScript has no DOM library). */
type BrowserGlobals = { document: { getElementById(id: string): { getAttribute(name: string): string | null } | null } };

(haveChromium ? describe : describe.skip)('WhatsApp pairing page in a browser (fake client)', () => {
  let wasl: TestWasl;
  let phone: FakeWhatsappPhone;
  const contexts: BrowserContext[] = [];
  const profiles: string[] = [];

  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
    phone = new FakeWhatsappPhone();
    // First run, nobody at the phone yet: the gateway waits with a QR code.
    phone.autoScan = false;
    ({ wasl } = await startWhatsappWasl({ db: 'postgres', phone, extraEnv: { WHATSAPP_ALERT_AFTER_MS: '1000' } }));
    await createStaff(wasl.database.db, { email: 'sara@example.org', name: 'سارة المشرفة', password: PASSWORD, role: 'supervisor' });
    await createStaff(wasl.database.db, { email: 'amal@example.org', name: 'أمل الباحثة', password: PASSWORD, role: 'researcher' });
    await waitFor('the first QR', async () => phone.clients[0]?.state === 'qr');
  }, 180_000);
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    for (const p of profiles) rmSync(p, { recursive: true, force: true });
    await wasl?.stop();
  });

  async function signIn(email: string): Promise<Page & { problems: string[] }> {
    const { chromium } = await import('playwright-core');
    const profile = mkdtempSync(path.join(tmpdir(), 'wasl-chromium-'));
    profiles.push(profile);
    const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: chromiumFlags, viewport: { width: 1000, height: 900 }, locale: 'ar-SA' });
    contexts.push(context);
    const page = (context.pages()[0] ?? (await context.newPage())) as Page & { problems: string[] };
    page.problems = [];
    page.on('pageerror', (err) => page.problems.push(err.message));
    page.on('console', (m) => {
      if (m.type() === 'error' && /Content Security Policy/.test(m.text())) page.problems.push(m.text());
    });
    await page.goto(`${wasl.url}/console/login`);
    await page.fill('input[name=email]', email);
    await page.fill('input[name=password]', PASSWORD);
    await Promise.all([page.waitForURL(`${wasl.url}/console`), page.click('button[type=submit]')]);
    return page;
  }

  /** The data URL of the QR image the page shows. */
  const shownQr = (page: Page) => page.locator('#wa-qr').getAttribute('src');

  it('shows a supervisor the QR from the client, refreshed live, until the phone is paired', async () => {
    const page = await signIn('sara@example.org');
    await page.click('a[href="/console/channels/whatsapp"]');
    await page.waitForURL(`${wasl.url}/console/channels/whatsapp`);
    expect(await page.getAttribute('html', 'dir')).toBe('rtl');
    expect(await page.textContent('#wa-state')).toBe('بانتظار مسح رمز الربط');
    expect(await page.textContent('#wa-last')).toBe('لم يتصل بعد');
    await page.waitForSelector('#wa-pair:not([hidden]) #wa-qr');
    const first = await shownQr(page);
    expect(first).toMatch(/^data:image\/png;base64,/);
    // The image really loaded as a 320-pixel QR (not a broken image).
    expect(await page.$eval('#wa-qr', (img) => (img as unknown as { naturalWidth: number }).naturalWidth)).toBe(320);
    await page.screenshot({ path: path.join(artifacts, 'whatsapp-pairing-qr.png') });

    // WhatsApp rotates the QR: the page follows without a reload.
    const client = phone.current as unknown as { emit(event: 'qr', qr: string): boolean };
    client.emit('qr', '2@rotated-qr-for-the-test,fake');
    await page.waitForFunction((before) => (globalThis as unknown as BrowserGlobals).document.getElementById('wa-qr')?.getAttribute('src') !== before, first, { timeout: 15_000 });
    expect(await shownQr(page)).toMatch(/^data:image\/png;base64,/);

    // The phone scans it: the page shows the session connected and hides the QR.
    await phone.current.scan();
    await page.waitForFunction(() => (globalThis as unknown as BrowserGlobals).document.getElementById('wa')?.getAttribute('data-state') === 'ready', undefined, { timeout: 15_000 });
    expect(await page.textContent('#wa-state')).toBe('متصل');
    expect(await page.isHidden('#wa-pair')).toBe(true);
    expect(await page.textContent('#wa-last')).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d UTC$/);
    await page.screenshot({ path: path.join(artifacts, 'whatsapp-pairing-ready.png') });

    // English works too.
    await page.goto(`${wasl.url}/console/channels/whatsapp?lang=en`);
    expect(await page.getAttribute('html', 'dir')).toBe('ltr');
    expect(await page.textContent('#wa-state')).toBe('Connected');
    expect(page.problems).toEqual([]);

    // Each QR the supervisor was shown is in the audit trail (not every poll).
    const audit = await wasl.database.db.select().from(auditLog).where(and(eq(auditLog.action, 'channel.view'), eq(auditLog.subjectId, 'whatsapp:main')));
    const withQr = audit.filter((a) => (a.details as { qr: string | null }).qr !== null);
    expect(withQr.length).toBeGreaterThanOrEqual(2);
    expect(withQr.length).toBeLessThan(6);
    expect(new Set(withQr.map((a) => (a.details as { qr: string }).qr)).size).toBe(withQr.length);
  }, 120_000);

  it('refuses a researcher the page and the QR', async () => {
    const page = await signIn('amal@example.org');
    expect(await page.locator('a[href="/console/channels/whatsapp"]').count()).toBe(0);
    const res = await page.goto(`${wasl.url}/console/channels/whatsapp`);
    expect(res?.status()).toBe(403);
    expect(await page.locator('#wa-qr').count()).toBe(0);
    const api = await page.evaluate(async () => {
      const r = await fetch('/api/channels/whatsapp', { credentials: 'same-origin' });
      return { status: r.status, body: await r.text() };
    });
    expect(api.status).toBe(403);
    expect(api.body).not.toContain('data:image');
  }, 60_000);

  it('shows every signed-in staff member a banner when the session stays down, and when it is back', async () => {
    const page = await signIn('amal@example.org');
    await page.waitForSelector('body[data-live="1"]');
    phone.offline = true;
    await phone.current.disconnect('NAVIGATION');
    await page.waitForSelector('#flash.error:not([hidden])', { timeout: 20_000 });
    expect(await page.textContent('#flash')).toBe('تنبيه: جلسة واتساب منقطعة منذ مدة، والردود محفوظة بانتظار عودتها.');
    phone.offline = false;
    await page.waitForFunction(() => (globalThis as unknown as BrowserGlobals).document.getElementById('flash')?.getAttribute('class') === 'flash', undefined, { timeout: 20_000 });
    expect(await page.textContent('#flash')).toBe('عادت جلسة واتساب للعمل، وتُرسل الردود المنتظرة الآن.');
    expect(page.problems).toEqual([]);
  }, 60_000);
});
