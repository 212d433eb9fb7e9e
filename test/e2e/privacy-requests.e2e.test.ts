/**
 * A supervisor answers a deletion request in a real browser (playwright-core driving Debian's Chromium) against
 * a real Wasl on PostgreSQL and Redis: the navigation leads to the list, the overdue copy request is first and
 * marked, the deletion shows the legal hold, the second step refuses an unticked identity check, then erases;
 * the page says it is done and what the hold kept. Arabic first (RTL); the English toggle is checked once. The
 * console's CSP (no inline script, no eval) is in force: any violation or script error fails the test.
 * Screenshots go to test-artifacts/.
 */
import { existsSync } from 'node:fs';
import { eq } from 'drizzle-orm';
import type { Browser } from 'playwright-core';
import { loadEnv } from '../../src/config/load-config';
import { createStaff } from '../../src/staff/staff-repo';
import { beneficiaries, dataRequests } from '../../src/store/schema';
import { PASSWORD } from '../console-client';
import { launchChromium, newPage, screenshot, signInBrowser, type WatchedPage } from '../support/browser';
import { seedDataRequests, type DataRequestFixture } from '../support/data-request-fixture';
import { startTestWasl, type TestWasl } from '../support/harness';

const CHROMIUM = loadEnv(process.env).CHROMIUM_PATH;
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  // eslint-disable-next-line no-console
  console.warn(`privacy e2e skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
}

(haveChromium ? describe : describe.skip)('a supervisor answers a deletion request in Chromium', () => {
  let wasl: TestWasl;
  let browser: Browser;
  let f: DataRequestFixture;
  let w: WatchedPage;
  const email = `supervisor-privacy-${Date.now()}@example.org`;

  beforeAll(async () => {
    wasl = await startTestWasl({ db: 'postgres' });
    f = await seedDataRequests(wasl.database.db);
    await createStaff(wasl.database.db, { email, name: 'هند المشرفة', password: PASSWORD, role: 'supervisor' });
    browser = await launchChromium();
    w = await newPage(browser, wasl.url!);
  }, 180_000);
  afterAll(async () => {
    await w?.context.close().catch(() => undefined);
    await browser?.close();
    await wasl?.stop();
  });

  it('opens the list, sees the hold, confirms in a second step, and the page shows it done', async () => {
    const { page, problems } = w;
    await signInBrowser(page, email, PASSWORD);
    expect(await page.getAttribute('html', 'dir')).toBe('rtl');

    await Promise.all([page.waitForURL('**/console/privacy/requests'), page.click('#nav-privacy')]);
    const rows = await page.$$eval('#data-requests tbody tr', (trs) => trs.map((tr) => ({ kind: tr.getAttribute('data-kind'), overdue: tr.classList.contains('overdue') })));
    expect(rows).toEqual([
      { kind: 'copy', overdue: true },
      { kind: 'correction', overdue: false },
      { kind: 'deletion', overdue: false },
    ]);
    // The hostile name is inert text: no element was made of it.
    expect(await page.$('#data-requests img')).toBeNull();
    expect(await page.textContent('#data-requests tbody tr:first-child')).toContain('<img src=x onerror=alert(1)>');
    await screenshot(page, 'privacy-requests-list-ar');

    // The English toggle, once: the same list, left to right, in English.
    await page.click('a.lang');
    await page.waitForSelector('html[lang=en]');
    expect(await page.getAttribute('html', 'dir')).toBe('ltr');
    expect(await page.textContent('h1')).toBe('Data requests');
    expect(await page.textContent('#data-requests tbody tr.overdue')).toContain('Past the legal deadline');
    await screenshot(page, 'privacy-requests-list-en');
    await page.click('a.lang');
    await page.waitForSelector('html[lang=ar]');

    await Promise.all([page.waitForURL(`**/console/privacy/requests/${f.deletionId}`), page.click(`#data-requests tr[data-request-id="${f.deletionId}"] a[href$="/${f.deletionId}"]`)]);
    expect(await page.textContent('#held-requests')).toContain(f.heldReference);
    expect(await page.textContent('#legal-hold')).toContain('سجل التدقيق');
    await screenshot(page, 'privacy-deletion-hold-ar');

    await Promise.all([page.waitForURL('**/erase'), page.click('#continue-to-erase')]);
    expect(await page.textContent('#legal-hold')).toContain(f.heldReference);
    // The number typed but the identity check not ticked: refused beside the field, nothing erased.
    await page.fill('#erase-confirmNumber', `DR-${f.deletionId}`);
    await Promise.all([page.waitForLoadState('load'), page.click('#erase-now')]);
    await page.waitForSelector('#erase-identityChecked-error');
    expect(await page.textContent('#erase-identityChecked-error')).toBe('لا يُحذف شيء قبل التحقق من الهوية.');
    const [untouched] = await wasl.database.db.select().from(beneficiaries).where(eq(beneficiaries.id, f.beneficiaryId));
    expect(untouched!.erasedAt).toBeNull();
    await screenshot(page, 'privacy-erase-confirm-refused-ar');

    await page.check('#erase-identityChecked');
    await Promise.all([page.waitForURL(`**/console/privacy/requests/${f.deletionId}?done=done`), page.click('#erase-now')]);
    expect(await page.textContent('#notice')).toBe('تم تنفيذ الطلب.');
    expect(await page.textContent('#data-request-status')).toBe('تم');
    expect(await page.textContent('#held-after')).toContain(f.heldReference);
    expect(await page.$('#continue-to-erase')).toBeNull();
    await screenshot(page, 'privacy-deletion-done-ar');

    const [row] = await wasl.database.db.select().from(dataRequests).where(eq(dataRequests.id, f.deletionId));
    expect(row!.status).toBe('done');
    const [person] = await wasl.database.db.select().from(beneficiaries).where(eq(beneficiaries.id, f.beneficiaryId));
    expect(person!.fullName).toBeNull();
    expect(problems).toEqual([]);
  });
});
