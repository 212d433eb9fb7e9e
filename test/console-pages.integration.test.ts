/**
 * The console's reports, follow-up and staff-management pages in a real browser (Debian's Chromium through
 * playwright-core) against a real Wasl on PostgreSQL and Redis: the report shows the hand-computed figures of a
 * fixture, draws its charts right to left in Arabic, hides per-researcher figures from researchers and downloads
 * its CSV; a supervisor closes a low-rating follow-up with a note; an admin adds a researcher who can then sign
 * in, deactivates and reactivates them, sets a new password, and creates and revokes an API token.
 */
import { readFileSync } from 'node:fs';
import { and, eq } from 'drizzle-orm';
import type { Browser, Page } from 'playwright-core';
import { createStaff } from '../src/staff/staff-repo';
import { auditLog, beneficiaries, contacts, conversations, followUpTasks, requests, staff, surveys } from '../src/store/schema';
import { ConsoleClient, PASSWORD } from './console-client';
import { surveyRow } from './reports-fixture';
import { launchChromium, newPage, screenshot, signInBrowser, type WatchedPage } from './support/browser';
import { startTestWasl, type TestWasl } from './support/harness';


describe('console pages in Chromium', () => {
  let wasl: TestWasl;
  let browser: Browser;
  const db = () => wasl.database.db;
  const people = { supervisor: '', researcher: '', admin: '', ahmad: 0, sara: 0, supervisorId: 0, adminId: 0 };
  const surveyIds: number[] = [];
  let beneficiaryId = 0;
  const opened: WatchedPage[] = [];

  beforeAll(async () => {
    wasl = await startTestWasl({ db: 'postgres' });
    browser = await launchChromium();
    const stamp = Date.now();
    const make = async (role: 'researcher' | 'supervisor' | 'admin', name: string) =>
      createStaff(db(), { role, name, email: `${role}-${name.length}-${stamp}@example.org`.replace(/[^\x20-\x7e]/g, 'x'), password: PASSWORD });
    const ahmad = await make('researcher', 'أحمد');
    const sara = await make('researcher', 'سارة السعيد');
    const sup = await make('supervisor', 'مشرفة');
    const adm = await make('admin', 'مدير');
    Object.assign(people, { researcher: ahmad.email, supervisor: sup.email, admin: adm.email, ahmad: ahmad.id, sara: sara.id, supervisorId: sup.id, adminId: adm.id });

    // The fixture of test/reports.integration.test.ts: 6 surveys sent, 5 answered (5, 4, 2, 3, 1), one expired.
    const [b] = await db().insert(beneficiaries).values({}).returning();
    beneficiaryId = b!.id;
    const [c] = await db().insert(contacts).values({ beneficiaryId, channel: 'telegram', channelUserId: `u-${stamp}` }).returning();
    const [conv] = await db().insert(conversations).values({ contactId: c!.id, beneficiaryId, channel: 'telegram' }).returning();
    const request = async (type: string) =>
      (await db().insert(requests).values({ referenceNumber: `REQ-${type}-${Math.random()}`, beneficiaryId, contactId: c!.id, type, answers: {}, nationalIdSealed: 'x', nationalIdHash: 'h', attestation: {} }).returning())[0]!.id;
    const at = { conversationId: conv!.id, beneficiaryId };
    const inserted = await db()
      .insert(surveys)
      .values([
        surveyRow(at, 1, await request('food-basket'), 'telegram', ahmad.id, 5, '2026-11-01T10:00', 'ممتاز شكرا'),
        surveyRow(at, 2, await request('food-basket'), 'telegram', ahmad.id, 4, '2026-11-02T10:00'),
        surveyRow(at, 3, await request('rent'), 'whatsapp', sara.id, 2, '2026-11-03T10:00', '<img src=x onerror=alert(1)> تأخروا'),
        surveyRow(at, 4, await request('rent'), 'whatsapp', sara.id, null, '2026-11-04T10:00'),
        surveyRow(at, 5, null, 'cli', ahmad.id, 3, '2026-11-08T10:00'),
        surveyRow(at, 6, await request('food-basket'), 'telegram', null, 1, '2026-12-01T00:30', 'سيء'),
      ])
      .returning({ id: surveys.id });
    surveyIds.push(...inserted.map((r) => r.id));
  }, 180_000);

  afterAll(async () => {
    for (const p of opened) await p.context.close().catch(() => undefined);
    await browser?.close();
    await wasl?.stop();
  });

  async function as(email: string): Promise<WatchedPage> {
    const w = await newPage(browser, wasl.url!);
    opened.push(w);
    await signInBrowser(w.page, email, PASSWORD);
    return w;
  }

  const cellValues = (page: Page, selector: string) => page.$$eval(selector, (cells) => cells.map((c) => c.getAttribute('data-value')));
  const rowsOf = (page: Page, table: string) =>
    page.$$eval(`${table} tbody tr`, (trs) => trs.map((tr) => [tr.querySelector('th')!.textContent!.trim(), ...[...tr.querySelectorAll('td')].map((td) => td.getAttribute('data-value'))]));

  describe('survey reports', () => {
    it('a supervisor sees the fixture figures, RTL charts, per-researcher figures and can download the CSV', async () => {
      const { page, problems } = await as(people.supervisor);
      await page.goto('/console/reports?from=2026-10-01&to=2026-12-31');
      await page.waitForSelector('body[data-charts="drawn"]');
      expect(await page.getAttribute('html', 'dir')).toBe('rtl');

      // sent, answered, response rate, CSAT, average: 6, 5, 5/6, 2/5, 15/5.
      expect(await cellValues(page, '#summary-table td')).toEqual(['6', '5', '0.8333', '0.4', '3']);
      // Shown in Arabic numerals in the Arabic UI.
      expect(await page.textContent('#summary-table')).toContain('٨٣٫٣');
      expect(await cellValues(page, '#distribution-table td')).toEqual(['1', '1', '1', '1', '1']);
      expect(await rowsOf(page, '#trend-week-table')).toEqual([
        ['2026-11-01', '4', '3', '0.75', '0.6667', '3.67'],
        ['2026-11-08', '1', '1', '1', '0', '3'],
        ['2026-11-29', '1', '1', '1', '0', '1'],
      ]);
      expect(await rowsOf(page, '#trend-month-table')).toEqual([
        ['2026-11-01', '5', '4', '0.8', '0.5', '3.5'],
        ['2026-12-01', '1', '1', '1', '0', '1'],
      ]);
      expect(await rowsOf(page, '#by-channel-table')).toEqual([
        ['cli', '1', '1', '1', '0', '3'],
        ['telegram', '3', '3', '1', '0.6667', '3.33'],
        ['whatsapp', '2', '1', '0.5', '0', '2'],
      ]);
      expect(await rowsOf(page, '#by-request-type-table')).toEqual([
        ['محادثة (دون طلب)', '1', '1', '1', '0', '3'],
        ['food-basket', '3', '3', '1', '0.6667', '3.33'],
        ['rent', '2', '1', '0.5', '0', '2'],
      ]);
      expect(await rowsOf(page, '#by-researcher-table')).toEqual([
        ['أحمد', '3', '3', '1', '0.6667', '4'],
        ['سارة السعيد', '2', '1', '0.5', '0', '2'],
        ['دون باحث (البوت)', '1', '1', '1', '0', '1'],
      ]);

      // Comments, newest first, as inert text.
      expect(await page.$$eval('#comments tr.comment td.text', (tds) => tds.map((td) => td.textContent))).toEqual(['سيء', '<img src=x onerror=alert(1)> تأخروا', 'ممتاز شكرا']);
      expect(await page.$('#comments img')).toBeNull();

      // Charts: drawn by chart.js, right to left, with the same figures as the tables.
      // Runs in the page (this project compiles without the DOM library, hence `globalThis`).
      const charts = await page.evaluate(() => {
        const w = globalThis as any;
        return [...w.document.querySelectorAll('canvas')].map((canvas: any) => {
          const chart = w.Chart.getChart(canvas);
          return {
            id: canvas.id,
            reverse: chart?.options.scales.x.reverse,
            legendRtl: chart?.options.plugins.legend.rtl,
            tooltipRtl: chart?.options.plugins.tooltip.rtl,
            labels: chart?.data.labels,
            first: chart?.data.datasets[0].data,
          };
        });
      });
      expect(charts.map((c) => c.id).sort()).toEqual(['by-channel-chart', 'by-request-type-chart', 'by-researcher-chart', 'distribution-chart', 'trend-month-chart', 'trend-week-chart']);
      for (const c of charts) expect(c).toMatchObject({ reverse: true, legendRtl: true, tooltipRtl: true });
      expect(charts.find((c) => c.id === 'distribution-chart')!.first).toEqual([1, 1, 1, 1, 1]);
      expect(charts.find((c) => c.id === 'by-channel-chart')).toMatchObject({ labels: ['cli', 'telegram', 'whatsapp'], first: [0, 66.7, 0] });
      await screenshot(page, 'console-reports-supervisor-ar');
      const ratingsViewed = await db().select().from(auditLog).where(and(eq(auditLog.action, 'ratings.view'), eq(auditLog.staffId, people.supervisorId)));
      expect(ratingsViewed.length).toBeGreaterThan(0);

      // The CSV link downloads the export, with the staff column for a supervisor.
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#csv-export')]);
      const csv = readFileSync((await download.path())!, 'utf8');
      expect(csv.charCodeAt(0)).toBe(0xfeff);
      const lines = csv.slice(1).trim().split('\r\n');
      expect(lines[0]).toBe('survey_id,subject,sent_at,answered_at,status,channel,request_type,score,comment,staff_id');
      expect(lines).toHaveLength(7);

      // English: left to right, Western digits.
      await page.goto('/console/reports?lang=en');
      await page.waitForSelector('body[data-charts="drawn"]');
      expect(await page.getAttribute('html', 'dir')).toBe('ltr');
      expect(await page.textContent('#summary-table')).toContain('83.3%');
      expect(await page.evaluate(() => (globalThis as any).Chart.getChart((globalThis as any).document.getElementById('trend-week-chart')).options.scales.x.reverse)).toBe(false);
      await screenshot(page, 'console-reports-supervisor-en');
      await page.goto('/console/reports?lang=ar');
      expect(problems).toEqual([]);
    }, 120_000);

    it('a researcher sees the same figures but nothing per researcher, in the page, the API or the CSV', async () => {
      const { page, problems } = await as(people.researcher);
      await page.goto('/console/reports');
      await page.waitForSelector('body[data-charts="drawn"]');
      expect(await cellValues(page, '#summary-table td')).toEqual(['6', '5', '0.8333', '0.4', '3']);
      expect(await page.$('#by-researcher')).toBeNull();
      expect(await page.$('#by-researcher-chart')).toBeNull();
      const text = (await page.textContent('body'))!;
      expect(text).not.toContain('سارة السعيد');
      expect(text).not.toContain('حسب الباحث');
      expect(await page.evaluate(() => 'byResearcher' in JSON.parse((globalThis as any).document.getElementById('report-data').textContent))).toBe(false);
      // No links to supervisor or admin pages.
      expect(await page.$('nav a[href="/console/follow-ups"]')).toBeNull();
      expect(await page.$('nav a[href="/console/staff"]')).toBeNull();
      expect(await page.$('nav a[href="/console/reports"]')).not.toBeNull();

      expect((await page.request.get('/api/reports/surveys/by-researcher')).status()).toBe(403);
      const report = await (await page.request.get('/api/reports/surveys')).json();
      expect(report.byResearcher).toBeUndefined();
      expect(report.comments.every((c: object) => !('staffId' in c))).toBe(true);
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#csv-export')]);
      const header = readFileSync((await download.path())!, 'utf8').slice(1).split('\r\n')[0];
      expect(header).not.toContain('staff_id');

      expect((await page.goto('/console/follow-ups'))!.status()).toBe(403);
      expect((await page.goto('/console/staff'))!.status()).toBe(403);
      await screenshot(page, 'console-reports-researcher');
      expect(await db().select().from(auditLog).where(and(eq(auditLog.action, 'ratings.view'), eq(auditLog.staffId, people.ahmad)))).toEqual([]);
      expect(problems).toEqual([]);
    }, 120_000);

    it('serves chart.js from node_modules with a long cache, under a versioned URL', async () => {
      const { page } = await as(people.researcher);
      await page.goto('/console/reports');
      const src = await page.getAttribute('script[src*="chart.umd"]', 'src');
      expect(src).toMatch(/^\/console\/assets\/vendor\/chart\.umd\.min\.js\?v=4\.6\.1$/);
      const res = await fetch(`${wasl.url}${src}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(res.headers.get('content-type')).toContain('javascript');
      expect(await res.text()).toContain('4.6.1');
    });
  });

  describe('follow-up tasks for low ratings', () => {
    it('a supervisor sees the comment and closes the task with a note; it is audited', async () => {
      const [low, lowest] = [surveyIds[2]!, surveyIds[5]!];
      const [task] = await db().insert(followUpTasks).values({ surveyId: low, beneficiaryId, staffId: people.sara, score: 2, comment: '<img src=x onerror=alert(1)> تأخروا' }).returning();
      await db().insert(followUpTasks).values({ surveyId: lowest, beneficiaryId, staffId: null, score: 1, comment: 'سيء' });

      const { page, problems } = await as(people.supervisor);
      await page.click('nav a[href="/console/follow-ups"]');
      await page.waitForSelector('#follow-ups');
      const item = page.locator(`li.follow-up[data-task-id="${task!.id}"]`);
      expect(await item.locator('.comment').textContent()).toBe('<img src=x onerror=alert(1)> تأخروا');
      expect(await item.locator('img').count()).toBe(0);
      expect(await item.textContent()).toContain('سارة السعيد');
      expect(await page.locator('li.follow-up').count()).toBe(2);
      await screenshot(page, 'console-follow-ups');

      // An empty note is refused next to its field (sent without the browser's own `required` check).
      const csrf = await page.getAttribute('meta[name=csrf-token]', 'content');
      const refused = await page.request.post(`/console/follow-ups/${task!.id}/close`, { form: { _csrf: csrf!, note: '   ' } });
      expect(refused.status()).toBe(400);
      expect(await refused.text()).toContain(`id="note-${task!.id}-error"`);
      // Without the CSRF token nothing happens.
      expect((await page.request.post(`/console/follow-ups/${task!.id}/close`, { form: { note: 'x' } })).status()).toBe(403);

      await item.locator('textarea').fill('اتصلنا بالمستفيد واعتذرنا، وأُعيد جدولة الاستلام.');
      await Promise.all([page.waitForURL(/closed=/), item.locator('button[type=submit]').click()]);
      expect(await page.locator('.notice').count()).toBe(1);
      expect(await page.locator(`li.follow-up[data-task-id="${task!.id}"]`).count()).toBe(0);
      const [row] = await db().select().from(followUpTasks).where(eq(followUpTasks.id, task!.id));
      expect(row).toMatchObject({ status: 'done', note: 'اتصلنا بالمستفيد واعتذرنا، وأُعيد جدولة الاستلام.', closedByStaffId: people.supervisorId });
      const audited = await db().select().from(auditLog).where(and(eq(auditLog.action, 'follow-up-task.close'), eq(auditLog.subjectId, String(task!.id))));
      expect(audited).toHaveLength(1);
      expect(audited[0]).toMatchObject({ staffId: people.supervisorId, beneficiaryId });

      await page.goto('/console/follow-ups?status=done');
      expect(await page.locator(`li.follow-up[data-task-id="${task!.id}"] .note`).textContent()).toContain('اتصلنا بالمستفيد');
      // Closing twice is a clear conflict in the API.
      const api = await page.request.post(`/api/follow-up-tasks/${task!.id}/close`, { data: { note: 'again' }, headers: { 'x-csrf-token': csrf! } });
      expect(api.status()).toBe(409);
      expect(problems).toEqual([]);
    }, 120_000);

    it('researchers cannot list follow-up tasks through the API', async () => {
      const r = new ConsoleClient(wasl.url!);
      await r.login(people.researcher, PASSWORD);
      expect((await r.get('/api/follow-up-tasks')).status).toBe(403);
    });
  });

  describe('staff management', () => {
    it('an admin adds a researcher who can then sign in; deactivation, reactivation and a new password take effect', async () => {
      const { page, problems } = await as(people.admin);
      await page.click('nav a[href="/console/staff"]');
      await page.waitForSelector('#add-staff');
      const email = `new-researcher-${Date.now()}@example.org`;

      // Too short a password: refused next to the field, with the other answers kept.
      await page.fill('#staff-name', 'نورة الباحثة');
      await page.fill('#staff-email', email);
      await page.fill('#staff-password', 'short');
      await page.selectOption('#staff-gender', 'female');
      await page.fill('#staff-caseloadLimit', '4');
      await page.click('#add-staff button[type=submit]');
      await page.waitForSelector('#staff-password-error');
      // In the page's language, Arabic digits included.
      expect(await page.textContent('#staff-password-error')).toBe('قصير جدًا: ١٠ أحرف على الأقل.');
      expect(await page.getAttribute('#staff-password', 'aria-invalid')).toBe('true');
      expect(await page.inputValue('#staff-name')).toBe('نورة الباحثة');
      expect(await page.inputValue('#staff-gender')).toBe('female');
      expect(await page.$('#staff-email-error')).toBeNull();
      await screenshot(page, 'console-staff-field-error');

      await page.fill('#staff-password', 'a long enough passphrase');
      await page.fill('#staff-team', 'complaints');
      await Promise.all([page.waitForURL(/done=created/), page.click('#add-staff button[type=submit]')]);
      const row = page.locator(`#staff-table tr[data-email="${email}"]`);
      expect(await row.count()).toBe(1);
      const [created] = await db().select().from(staff).where(eq(staff.email, email));
      expect(created).toMatchObject({ name: 'نورة الباحثة', role: 'researcher', gender: 'female', team: 'complaints', caseloadLimit: 4, active: true });
      expect(created!.passwordHash).toMatch(/^\$argon2id\$/);

      const newcomer = new ConsoleClient(wasl.url!);
      expect((await newcomer.login(email, 'a long enough passphrase')).status).toBe(200);
      expect((await newcomer.get('/api/conversations')).status).toBe(200);

      // The same address twice is refused next to the e-mail field.
      await page.fill('#staff-name', 'نسخة');
      await page.fill('#staff-email', email);
      await page.fill('#staff-password', 'a long enough passphrase');
      await page.click('#add-staff button[type=submit]');
      await page.waitForSelector('#staff-email-error');
      expect(await page.textContent('#staff-email-error')).toContain(email);

      // Deactivated: signed out at once and refused at sign-in.
      await page.goto('/console/staff');
      await Promise.all([page.waitForURL(/done=deactivated/), row.locator('button.toggle-active').click()]);
      expect(await row.locator('.state').textContent()).toBe('موقوف');
      expect((await newcomer.get('/api/conversations')).status).toBe(401);
      expect((await new ConsoleClient(wasl.url!).login(email, 'a long enough passphrase')).status).toBe(401);
      await Promise.all([page.waitForURL(/done=reactivated/), row.locator('button.toggle-active').click()]);
      expect((await new ConsoleClient(wasl.url!).login(email, 'a long enough passphrase')).status).toBe(200);

      // A new password replaces the old one.
      await row.locator('summary').click();
      await row.locator('input[name=password]').fill('another long passphrase');
      await Promise.all([page.waitForURL(/done=password/), row.locator('form.reset-password button').click()]);
      expect((await new ConsoleClient(wasl.url!).login(email, 'a long enough passphrase')).status).toBe(401);
      expect((await new ConsoleClient(wasl.url!).login(email, 'another long passphrase')).status).toBe(200);

      // An admin cannot switch themselves off.
      const self = await page.request.post(`/console/staff/${people.adminId}/active`, { form: { _csrf: (await page.getAttribute('meta[name=csrf-token]', 'content'))!, active: 'false' } });
      expect(self.status()).toBe(409);

      const actions = await db().select({ action: auditLog.action }).from(auditLog).where(and(eq(auditLog.staffId, people.adminId), eq(auditLog.subjectId, String(created!.id)))).orderBy(auditLog.id);
      expect(actions.map((a) => a.action)).toEqual(['staff.create', 'staff.deactivate', 'staff.reactivate', 'staff.password-reset']);
      await screenshot(page, 'console-staff');
      expect(problems).toEqual([]);
    }, 120_000);

    it('an API token is shown once, listed by its prefix and last use, and gets 401 once revoked', async () => {
      const { page, problems } = await as(people.admin);
      await page.goto('/console/staff');
      await page.fill('#token-name', 'CRM');
      await page.selectOption('#token-staffId', String(people.supervisorId));
      await page.click('form[action="/console/api-tokens"] button[type=submit]');
      await page.waitForSelector('#new-token');
      const token = (await page.textContent('#new-token'))!.trim();
      expect(token).toMatch(/^wasl_/);
      await screenshot(page, 'console-api-token-created');

      const call = () => fetch(`${wasl.url}/api/follow-up-tasks`, { headers: { authorization: `Bearer ${token}` } });
      expect((await call()).status).toBe(200); // acts as the supervisor

      await page.goto('/console/staff');
      expect(await page.$('#new-token')).toBeNull();
      expect(await page.content()).not.toContain(token);
      const listed = page.locator('#token-table tr', { hasText: 'CRM' });
      expect(await listed.locator('.prefix').textContent()).toBe(`${token.slice(0, 11)}…`);
      expect(await listed.locator('.last-used').textContent()).not.toBe('لم يُستخدم');

      await Promise.all([page.waitForURL(/done=revoked/), listed.locator('button.revoke').click()]);
      expect(await listed.locator('.state').textContent()).toBe('مُلغى');
      expect((await call()).status).toBe(401);
      const audit = await db().select({ action: auditLog.action }).from(auditLog).where(and(eq(auditLog.staffId, people.adminId), eq(auditLog.subjectKind, 'api-token'))).orderBy(auditLog.id);
      expect(audit.map((a) => a.action)).toEqual(['api-token.create', 'api-token.revoke']);
      expect(problems).toEqual([]);
    }, 120_000);

    it('supervisors and researchers are refused, on the page, the forms and the API', async () => {
      for (const email of [people.supervisor, people.researcher]) {
        const { page } = await as(email);
        const res = await page.goto('/console/staff');
        expect(res!.status()).toBe(403);
        expect(await page.$('#staff-table')).toBeNull();
        expect(await page.$('nav a[href="/console/staff"]')).toBeNull();
        const csrf = (await page.getAttribute('meta[name=csrf-token]', 'content'))!;
        expect((await page.request.post('/console/staff', { form: { _csrf: csrf, name: 'x y', email: 'x@example.org', password: 'a long enough passphrase', role: 'admin' } })).status()).toBe(403);
        expect((await page.request.post('/api/api-tokens', { data: { name: 'x', staffId: people.adminId }, headers: { 'x-csrf-token': csrf } })).status()).toBe(403);
        expect((await page.request.get('/api/staff/accounts')).status()).toBe(403);
      }
      const [sneaky] = await db().select().from(staff).where(eq(staff.email, 'x@example.org'));
      expect(sneaky).toBeUndefined();
      const supervisorView = await as(people.supervisor);
      expect(await supervisorView.page.$('nav a[href="/console/follow-ups"]')).not.toBeNull();
    }, 120_000);
  });
});
