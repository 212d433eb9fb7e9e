/**
 * The survey's rating question in the website chat widget, in a real browser (playwright-core driving Debian's
 * Chromium) against a real Wasl with its surveys role: five star buttons; tapping the fourth records 4 through
 * the survey flow, which goes on to ask for a comment. Skipped when Chromium is not installed.
 */
import { existsSync } from 'node:fs';
import { eq } from 'drizzle-orm';
import type { Browser, Page } from 'playwright-core';
import { loadEnv } from '../../src/config/load-config';
import { contacts, conversations, surveys } from '../../src/store/schema';
import { launchChromium, screenshot } from '../support/browser';
import { startTestWasl, waitFor, type TestWasl } from '../support/harness';
import { daytimeClock } from '../support/daytime-clock';

const haveChromium = existsSync(loadEnv(process.env).CHROMIUM_PATH);

(haveChromium ? describe : describe.skip)('survey stars in the website chat widget (Chromium)', () => {
  let wasl: TestWasl;
  let browser: Browser;
  let page: Page;
  const t = (key: string) => wasl.content.templates.render(key, 'ar', { orgName: wasl.content.organisation.name.ar });

  beforeAll(async () => {
    wasl = await startTestWasl({ db: 'pglite', roles: 'web,engine,outbound,surveys', options: { surveySweepEveryMs: false, clock: daytimeClock() } });
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, locale: 'ar-SA' });
    page = await context.newPage();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await wasl?.stop();
  });

  async function botSaid(fragment: string): Promise<void> {
    await waitFor(`the bot to say "${fragment}"`, async () => (await page.locator('.msg.out').allTextContents()).some((x) => x.includes(fragment)));
  }

  it('shows the rating question as five stars; tapping one records the rating like a typed answer', async () => {
    await page.goto(`${wasl.url}/`);
    await page.getByRole('button', { name: 'تحدث معنا' }).click();
    await page.locator('.choice', { hasText: 'ابدأ المحادثة' }).click();
    await botSaid('جمعية بر الخوار');

    // The survey of this conversation, sent now.
    const [contact] = await wasl.database.db.select().from(contacts).where(eq(contacts.channel, 'web'));
    const [conv] = await wasl.database.db.select().from(conversations).where(eq(conversations.contactId, contact!.id));
    const [survey] = await wasl.database.db
      .insert(surveys)
      .values({ subjectKind: 'conversation', subjectId: String(conv!.id), conversationId: conv!.id, beneficiaryId: conv!.beneficiaryId, trigger: 'manual' })
      .returning({ id: surveys.id });
    await wasl.queues.surveys.add('survey.send', { surveyId: survey!.id, step: 'send' }, { jobId: `test-send-${survey!.id}` });
    await botSaid(t('survey.ask-rating'));

    const stars = page.locator('.stars .star');
    await stars.first().waitFor();
    expect(await stars.count()).toBe(5);
    expect(await stars.nth(3).getAttribute('aria-label')).toBe(t('survey.score-4'));
    // The opt-out is still offered, as a button.
    expect(await page.locator('.choice', { hasText: t('survey.option-opt-out') }).count()).toBe(1);
    const box = (await stars.first().boundingBox())!;
    expect(box.height).toBeGreaterThanOrEqual(44);
    await screenshot(page, 'widget-stars-1-question');

    await stars.nth(3).click();
    await waitFor('the tapped rating shown as sent', async () => (await page.locator('.msg.in').allTextContents()).some((x) => x.includes('⭐⭐⭐⭐')));
    await botSaid(t('survey.ask-comment'));
    const [answered] = await wasl.database.db.select().from(surveys).where(eq(surveys.id, survey!.id));
    expect(answered).toMatchObject({ status: 'answered', score: 4, channel: 'web' });
    // The stars went away with the question.
    expect(await page.locator('.stars').count()).toBe(0);
    await screenshot(page, 'widget-stars-2-answered');
  });
});
