/**
 * The console end to end in a real browser (playwright-core driving Debian's Chromium): a beneficiary on the cli
 * channel asks for a person → the researcher sees the chat appear live in the inbox → claims it → replies → the
 * beneficiary receives the reply → the researcher resolves it → a survey is scheduled. A second researcher's
 * claim of the same chat fails cleanly, and a request status change reaches the beneficiary. A Telegram user whose
 * display name and messages are script payloads is shown to a researcher as text, including what arrives live.
 * Screenshots go to test-artifacts/ (kept by CI).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { and, eq } from 'drizzle-orm';
import type { BrowserContext, Page } from 'playwright-core';
import { createSealer } from '../../src/identity/sealed-value';
import { createStaff } from '../../src/staff/staff-repo';
import { contacts, conversations, messages, requests, surveys } from '../../src/store/schema';
import { FakeTelegramApi } from '../fakes/fake-telegram-api';
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
  let telegram: FakeTelegramApi;
  const contexts: BrowserContext[] = [];
  const profiles: string[] = [];

  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
    telegram = await FakeTelegramApi.start();
    wasl = await startTestWasl({ db: 'postgres', extraEnv: { TELEGRAM_BOT_TOKEN: telegram.token, TELEGRAM_API_ROOT: telegram.url, TELEGRAM_CHAT_INTERVAL_MS: '0' } });
    await telegram.waitForCall('getUpdates');
    await createStaff(wasl.database.db, { email: 'amal@example.org', name: 'أمل الباحثة', password: PASSWORD, role: 'researcher', gender: 'female' });
    await createStaff(wasl.database.db, { email: 'khalid@example.org', name: 'خالد الباحث', password: PASSWORD, role: 'researcher', gender: 'male' });
    await createStaff(wasl.database.db, { email: 'sara@example.org', name: 'سارة الباحثة', password: PASSWORD, role: 'researcher', gender: 'female' });
  }, 180_000);
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    for (const p of profiles) rmSync(p, { recursive: true, force: true });
    await wasl?.stop();
    await telegram?.stop();
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

  it('shows a script-laden display name and messages as text, in the live inbox and the open conversation', async () => {
    const chatId = 6_001;
    const from = { id: chatId, is_bot: false, first_name: '<img src=x onerror="window.__waslXss=1">نورة', last_name: '<script>window.__waslXss=2</script>', language_code: 'ar' };
    let messageId = 1;
    /** One message from the Telegram app, returned once Wasl has stored and answered it. */
    const telegramSays = async (text: string) => {
      const id = messageId++;
      telegram.pushUpdate({ message: { message_id: id, date: Math.floor(Date.now() / 1000), chat: { id: chatId, type: 'private', first_name: from.first_name }, from, text } });
      await waitFor(`telegram message ${id} to be answered`, async () => {
        const rows = await wasl.database.db.select({ status: messages.status }).from(messages).where(eq(messages.providerMessageId, `tg-${chatId}-${id}`));
        return rows[0] && rows[0].status !== 'received';
      });
    };
    const xssRan = (page: Page) => page.evaluate('window.__waslXss');
    // The console's CSP would refuse an inline handler anyway (and `problems` would record the refusal): what
    // proves the text stayed text is that no element from it exists and its characters are shown.
    const injected = (page: Page, within: string) => page.locator(`${within} img, ${within} script, ${within} svg`).count();

    const sara = await researcher('sara@example.org');
    await sara.waitForSelector('body[data-live="1"]');
    await telegramSays('السلام عليكم');
    await telegramSays('موظف');
    const [contact] = await wasl.database.db.select().from(contacts).where(and(eq(contacts.channel, 'telegram'), eq(contacts.channelUserId, String(chatId))));
    expect(contact!.displayName).toContain('onerror=');
    const [conversation] = await wasl.database.db.select().from(conversations).where(eq(conversations.contactId, contact!.id));

    // The escalation appears in the open inbox over SSE, under the display name, as text.
    const row = sara.locator(`li.conv[data-conversation-id="${conversation!.id}"]`);
    await row.waitFor({ timeout: 20_000 });
    expect((await row.locator('.who').textContent())!.trim()).toBe(contact!.displayName);
    // A hostile message while the inbox is open: the inbox has no polling, so this refresh came over SSE.
    const first = '<img src=x onerror="window.__waslXss=3"><script>window.__waslXss=4</script> أحتاج مساعدة عاجلة';
    await telegramSays(first);
    await waitFor('the live inbox preview', async () => ((await row.locator('.preview').textContent()) ?? '').includes('أحتاج مساعدة عاجلة') || null, 15_000);
    expect((await row.locator('.preview').textContent())!.trim()).toBe(first);
    expect(await injected(sara, '#inbox-list')).toBe(0);
    expect(await xssRan(sara)).toBeUndefined();
    await shot(sara, '09-inbox-hostile-text');

    // The conversation: the name in the header, and a message that arrives while it is open.
    await row.locator('a').click();
    await sara.waitForURL(`**/console/conversations/${conversation!.id}`);
    expect((await sara.locator('#conv-header h1 a').textContent())!.trim()).toBe(contact!.displayName);
    const second = '"><svg onload="window.__waslXss=5"><a href="javascript:window.__waslXss=6">اضغط</a> {{7*7}} ${7*7} لم يصلني رد';
    await telegramSays(second);
    const live = sara.locator('.msg-in .text', { hasText: 'لم يصلني رد' });
    await live.waitFor({ timeout: 15_000 });
    expect((await live.textContent())!.trim()).toBe(second);
    expect(await sara.locator('.msg-in .text', { hasText: 'أحتاج مساعدة عاجلة' }).textContent()).toContain('<script>window.__waslXss=4</script>');
    expect(await injected(sara, '#history')).toBe(0);
    expect(await injected(sara, '#conv-header')).toBe(0);
    expect(await sara.locator('#history a[href^="javascript:"]').count()).toBe(0);
    expect(await xssRan(sara)).toBeUndefined();
    await shot(sara, '10-conversation-hostile-text');

    // The same in English.
    await sara.goto(`${wasl.url}/console/conversations/${conversation!.id}?lang=en`);
    expect((await sara.locator('#conv-header h1 a').textContent())!.trim()).toBe(contact!.displayName);
    expect(await sara.locator('.msg-in .text', { hasText: 'لم يصلني رد' }).textContent()).toContain('<svg onload=');
    expect(await injected(sara, 'main')).toBe(0);
    expect(await xssRan(sara)).toBeUndefined();
    expect((sara as Page & { problems?: string[] }).problems).toEqual([]);
  }, 180_000);
});
