/**
 * The website chat widget in a real browser (playwright-core driving Debian's Chromium) against a real Wasl:
 * the demo page, a whole intake by tapping choice buttons and typing answers, a reload that continues the same
 * conversation, and HTML typed by the beneficiary shown as text. Screenshots go to test-artifacts/.
 * Skipped, with a message, when Chromium is not installed (CHROMIUM_PATH, `apt-get install chromium`).
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { loadEnv } from '../../src/config/load-config';
import { projectRoot, startTestWasl, type TestWasl } from '../support/harness';

const chromiumPath = loadEnv({ CHROMIUM_PATH: process.env.CHROMIUM_PATH }).CHROMIUM_PATH;
const haveChromium = existsSync(chromiumPath);
const artifacts = path.join(projectRoot, 'test-artifacts');
const NATIONAL_ID = '1101234563';
const XSS = '<img src=x onerror="window.__waslXss=1"><script>window.__waslXss=2</script> زوجي متوفى والإيجار متأخر ثلاثة أشهر';

if (!haveChromium) {
  console.warn(`widget e2e skipped: no Chromium at ${chromiumPath} (apt-get install chromium, or set CHROMIUM_PATH)`);
}

(haveChromium ? describe : describe.skip)('website chat widget in Chromium', () => {
  let wasl: TestWasl;
  let browser: Browser;
  let page: Page;
  const t = (key: string) => wasl.content.templates.render(key, 'ar', { orgName: wasl.content.organisation.name.ar });

  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
    wasl = await startTestWasl({ db: 'pglite', extraEnv: { WEB_CHAT_WHATSAPP_NUMBER: '+966501234567' } });
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    // A phone: the widget must fill the screen and keep its buttons large enough to tap.
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, locale: 'ar-SA' });
    page = await context.newPage();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await wasl?.stop();
  });

  const bot = () => page.locator('.msg.out');
  const me = () => page.locator('.msg.in');

  /** Waits until a bot bubble after the first `from` contains `fragment`; returns the new bubbles' texts. */
  async function botSays(from: number, fragment: string): Promise<string[]> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const texts = (await bot().allTextContents()).slice(from);
      if (texts.some((x) => x.includes(fragment))) return texts;
      if (Date.now() > deadline) throw new Error(`the bot did not say "${fragment}"; it said: ${texts.join(' | ') || '(nothing)'}`);
      await page.waitForTimeout(100);
    }
  }

  async function type(text: string, expected: string): Promise<string[]> {
    const before = await bot().count();
    await page.getByLabel('رسالتك').fill(text);
    await page.getByLabel('رسالتك').press('Enter');
    return botSays(before, expected);
  }

  async function tap(label: string, expected: string): Promise<string[]> {
    const before = await bot().count();
    await page.locator('.choice', { hasText: label }).first().click();
    return botSays(before, expected);
  }

  it('takes a beneficiary from the demo page through a whole intake to a reference number', async () => {
    await page.goto(`${wasl.url}/`);
    await page.getByRole('heading', { name: 'معًا نصل إلى من يحتاج' }).waitFor();
    expect(await page.title()).toContain('جمعية بر الخوار');
    await page.screenshot({ path: path.join(artifacts, 'widget-1-demo-page.png') });

    const launcher = page.getByRole('button', { name: 'تحدث معنا' });
    expect(await launcher.getAttribute('aria-expanded')).toBe('false');
    await launcher.click();
    expect(await page.getByRole('dialog').getAttribute('aria-label')).toBe(wasl.content.organisation.name.ar);
    const wa = page.getByRole('link', { name: 'أكمل المحادثة عبر واتساب' });
    expect(await wa.getAttribute('href')).toBe('https://wa.me/966501234567');

    await tap('ابدأ المحادثة', 'جمعية بر الخوار');
    expect(await me().first().textContent()).toContain('السلام عليكم');
    // Choices are buttons, large enough for a thumb.
    const choice = page.locator('.choice', { hasText: t('menu.option-apply') });
    const box = (await choice.boundingBox())!;
    expect(box.height).toBeGreaterThanOrEqual(44);
    const panel = (await page.getByRole('dialog').boundingBox())!;
    expect(panel.width).toBeGreaterThanOrEqual(389);
    await page.screenshot({ path: path.join(artifacts, 'widget-2-welcome.png') });

    await tap(t('menu.option-apply'), t('intake.ask-name'));
    await type('نورة سعد عبدالله الشهري', t('intake.ask-national-id'));
    await type(NATIONAL_ID, t('intake.ask-mobile'));
    await type('0551234567', t('intake.ask-city'));
    await type('جدة', t('intake.ask-district'));
    await type('الصفا', t('intake.ask-family-size'));
    await type('5', t('intake.ask-income'));
    await type('1800', t('intake.ask-housing'));
    await tap(t('intake.housing.rented'), t('intake.ask-support-type'));
    await tap(t('request-types.rent'), t('intake.ask-description'));

    // HTML typed by the beneficiary is shown as text, in their bubble and in the bot's review.
    const review = await type(XSS, '******4563');
    expect(review.join('\n')).toContain('<script>window.__waslXss=2</script>');
    expect(await me().last().textContent()).toContain('<img src=x onerror=');
    expect(await page.evaluate('window.__waslXss')).toBeUndefined();
    expect(await page.locator('#wasl-chat').evaluate((host) => host.shadowRoot!.querySelectorAll('.log img, .log script').length)).toBe(0);
    await page.screenshot({ path: path.join(artifacts, 'widget-3-review-with-html-as-text.png') });

    await type('نعم', 'أقر');
    const submitted = await tap(t('intake.option-agree'), 'REQ-');
    const reference = /REQ-\d+/.exec(submitted.join('\n'))![0];
    await page.screenshot({ path: path.join(artifacts, 'widget-4-reference-number.png') });

    // Reload: the same device finds the same conversation, shown once, and carries on. The submission's replies
    // end with the question about documents; count once it is there.
    await page.locator('.choice', { hasText: t('intake.option-send-later') }).waitFor();
    const shownBefore = await page.locator('.msg').count();
    await page.reload();
    await page.getByRole('button', { name: 'تحدث معنا' }).click();
    await page.locator('.choice', { hasText: t('intake.option-send-later') }).waitFor();
    await page.waitForTimeout(500);
    expect(await page.locator('.msg').count()).toBe(shownBefore);
    expect((await bot().allTextContents()).join('\n')).toContain(reference);
    expect((await me().allTextContents()).join('\n')).toContain('نورة سعد عبدالله الشهري');
    await tap(t('intake.option-send-later'), reference);
    await page.screenshot({ path: path.join(artifacts, 'widget-5-after-reload.png') });

    // Accessible names: the message box has a label, the log is announced politely.
    expect(await page.getByRole('log').getAttribute('aria-live')).toBe('polite');
    expect(await page.getByRole('button', { name: 'إرسال' }).isVisible()).toBe(true);
  }, 240_000);
});
