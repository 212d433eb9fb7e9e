/**
 * The console end to end in a real browser (playwright-core driving Debian's Chromium): a beneficiary on the cli
 * channel asks for a person → the researcher sees the chat appear live in the inbox → claims it → replies → the
 * beneficiary receives the reply → the researcher resolves it → a survey is scheduled. A second researcher's
 * claim of the same chat fails cleanly, and a request status change reaches the beneficiary.
 * Screenshots go to test-artifacts/ (kept by CI).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { and, eq } from 'drizzle-orm';
import type { BrowserContext, Page } from 'playwright-core';
import { createSealer } from '../../src/identity/sealed-value';
import { createStaff } from '../../src/staff/staff-repo';
import { conversations, messages, requests, surveys } from '../../src/store/schema';
import { projectRoot, startTestWasl, waitFor, type TestWasl } from '../support/harness';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const artifacts = path.join(projectRoot, 'test-artifacts');
const PASSWORD = 'correct horse battery';
const chromiumFlags = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

if (!haveChromium) {
  // eslint-disable-next-line no-console
  console.warn(`console e2e skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
}

(haveChromium ? describe : describe.skip)('staff console in a browser', () => {
  let wasl: TestWasl;
  const contexts: BrowserContext[] = [];
  const profiles: string[] = [];

  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
    wasl = await startTestWasl({ db: 'postgres' });
    await createStaff(wasl.database.db, { email: 'amal@example.org', name: 'أمل الباحثة', password: PASSWORD, role: 'researcher', gender: 'female' });
    await createStaff(wasl.database.db, { email: 'khalid@example.org', name: 'خالد الباحث', password: PASSWORD, role: 'researcher', gender: 'male' });
  }, 180_000);
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    for (const p of profiles) rmSync(p, { recursive: true, force: true });
    await wasl?.stop();
  });

  async function researcher(email: string): Promise<Page> {
    const { chromium } = await import('playwright-core');
    const profile = mkdtempSync(path.join(tmpdir(), 'wasl-chromium-'));
    profiles.push(profile);
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: chromiumFlags,
      viewport: { width: 1200, height: 900 },
      locale: 'ar-SA',
    });
    contexts.push(context);
    const page = context.pages()[0] ?? (await context.newPage());
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(err.message));
    page.on('console', (m) => {
      // A CSP violation would mean an inline script or style slipped in.
      if (m.type() === 'error' && /Content Security Policy/.test(m.text())) problems.push(m.text());
    });
    (page as Page & { problems?: string[] }).problems = problems;
    await page.goto(`${wasl.url}/console/login`);
    await page.fill('input[name=email]', email);
    await page.fill('input[name=password]', PASSWORD);
    await Promise.all([page.waitForURL(`${wasl.url}/console`), page.click('button[type=submit]')]);
    return page;
  }

  /** The beneficiary's next replies: the browser's click returns before the server has queued anything. */
  async function nextReplies(chat: ReturnType<TestWasl['chat']>): Promise<string[]> {
    const got: string[] = [];
    await waitFor('a reply to reach the beneficiary', async () => {
      got.push(...(await chat.replies()));
      return got.length > 0;
    });
    return got;
  }

  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(artifacts, `console-${name}.png`), fullPage: true });

  it('takes an escalated chat from the live inbox to a resolved conversation with a survey', async () => {
    const amal = await researcher('amal@example.org');
    await amal.waitForSelector('body[data-live="1"]');
    await shot(amal, '01-inbox-empty');

    // The beneficiary asks for a person on the cli channel.
    const chat = wasl.chat();
    await chat.say('السلام عليكم');
    await chat.say('ابي اكلم موظف');
    const conversationId = (await chat.conversationId())!;

    // It appears in the open inbox without a reload.
    const row = amal.locator(`li.conv[data-conversation-id="${conversationId}"]`);
    await row.waitFor({ timeout: 20_000 });
    // The tab is not focused by anyone, so the new escalation is counted on the badge.
    await waitFor('the badge', async () => ((await amal.locator('#badge').isVisible()) && Number(await amal.textContent('#badge')) > 0) || null, 10_000);
    await shot(amal, '02-inbox-escalation');

    // A second researcher opens the same chat while it is still waiting.
    const khalid = await researcher('khalid@example.org');
    await khalid.goto(`${wasl.url}/console/conversations/${conversationId}`);

    await row.locator('a').click();
    await amal.waitForURL(`**/console/conversations/${conversationId}`);
    await amal.click('#claim');
    await amal.waitForSelector('#conv-status[data-status="human"]');
    await shot(amal, '03-claimed');

    // Khalid's claim now fails cleanly, with the reason shown.
    await khalid.click('#claim');
    await khalid.waitForSelector('#flash:not([hidden])');
    expect(await khalid.textContent('#flash')).toMatch(/already claimed|أمل/);
    await shot(khalid, '04-second-claim-refused');

    // Amal replies; the beneficiary receives it on the cli channel.
    await chat.replies();
    await amal.fill('#reply-text', 'أهلًا بك، معك أمل الباحثة الاجتماعية. كيف أقدر أساعدك؟');
    await amal.click('#send-reply');
    expect(await nextReplies(chat)).toEqual(['أهلًا بك، معك أمل الباحثة الاجتماعية. كيف أقدر أساعدك؟']);
    await amal.waitForSelector('.msg.by-staff .tick-sent', { timeout: 15_000 });
    // The beneficiary answers; it shows up in the open conversation live.
    await chat.post('شكرًا، أبغى أعرف وش المستندات المطلوبة');
    await amal.waitForSelector('.msg-in >> text=وش المستندات المطلوبة', { timeout: 15_000 });
    await shot(amal, '05-replied');

    // She sends a file with a caption from the page; on the terminal channel it arrives as a download link.
    const letter = Buffer.from('%PDF-1.7\nقائمة المستندات\n%%EOF\n');
    await amal.setInputFiles('#attach-form input[type=file]', { name: 'documents.pdf', mimeType: 'application/pdf', buffer: letter });
    await amal.fill('#attach-form input[name=caption]', 'هذه قائمة المستندات المطلوبة');
    await amal.click('#send-file');
    await amal.waitForSelector('.file-sent >> text=documents.pdf', { timeout: 15_000 });
    const [fileMessage] = await wasl.database.db
      .select()
      .from(messages)
      .where(and(eq(messages.conversationId, conversationId), eq(messages.author, 'staff'), eq(messages.text, 'هذه قائمة المستندات المطلوبة')));
    expect(fileMessage!.payload).toMatchObject({ attachment: { fileName: 'documents.pdf', mimeType: 'application/pdf', sizeBytes: letter.length } });
    expect(await nextReplies(chat)).toEqual(['هذه قائمة المستندات المطلوبة']);

    // Resolve with the survey.
    await amal.click('#resolve');
    await amal.waitForSelector('#conv-status[data-status="resolved"]');
    await shot(amal, '06-resolved');
    const [c] = await wasl.database.db.select().from(conversations).where(eq(conversations.id, conversationId));
    expect(c!.status).toBe('resolved');
    const [survey] = await wasl.database.db.select().from(surveys).where(and(eq(surveys.subjectKind, 'conversation'), eq(surveys.subjectId, String(conversationId))));
    expect(survey?.status).toBe('scheduled');

    // A status change on the beneficiary's request reaches them.
    const sealer = createSealer('a'.repeat(64));
    const [request] = await wasl.database.db
      .insert(requests)
      .values({
        referenceNumber: 'REQ-77001',
        beneficiaryId: c!.beneficiaryId,
        contactId: c!.contactId,
        conversationId,
        type: 'food-basket',
        answers: { name: 'سعد الحربي', familySize: 6 },
        nationalIdSealed: sealer.seal('1101234563'),
        nationalIdHash: sealer.hash('1101234563'),
        attestation: { text: 'أقر بأن جميع البيانات صحيحة', language: 'ar', channel: 'cli', at: new Date().toISOString() },
        dueDate: '2020-01-01',
      })
      .returning({ id: requests.id });
    await amal.goto(`${wasl.url}/console/requests`);
    await amal.waitForSelector('tr.overdue >> text=REQ-77001');
    await amal.goto(`${wasl.url}/console/requests/${request!.id}`);
    await amal.selectOption('#status-form select[name=status]', 'approved');
    await amal.fill('#status-form textarea[name=reason]', 'قرار اللجنة رقم 12');
    await amal.click('#status-form button');
    await amal.waitForSelector('#request-status >> text=approved');
    await shot(amal, '07-request-approved');
    expect((await nextReplies(chat)).join()).toContain('تمت الموافقة على طلبك رقم REQ-77001');

    // The English toggle and a phone-sized screen.
    await amal.setViewportSize({ width: 390, height: 844 });
    await amal.goto(`${wasl.url}/console?view=resolved&lang=en`);
    expect(await amal.getAttribute('html', 'dir')).toBe('ltr');
    await shot(amal, '08-phone-english');

    expect((amal as Page & { problems?: string[] }).problems).toEqual([]);
    expect((khalid as Page & { problems?: string[] }).problems).toEqual([]);
  }, 180_000);
});
