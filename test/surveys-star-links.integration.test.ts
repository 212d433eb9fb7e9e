/**
 * Star links in a survey mail, for real: Wasl on PGlite with real Redis and its surveys role, mail captured by an
 * SMTP sink, links opened with HTTP GET. A click records the rating through the survey flow (as a typed answer
 * would), once: clicking again, clicking another star, or clicking after answering by text changes nothing. The
 * page offers a comment form that reaches the survey the same way. Forged and expired links are refused.
 */
import { and, eq, like } from 'drizzle-orm';
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { ingest } from '../src/pipeline/ingest';
import { conversations, followUpTasks, messages, surveys } from '../src/store/schema';
import { createRatingLinks } from '../src/surveys/rating-links';
import { startSmtpSink, type CapturedMail, type SmtpSink } from './fakes/smtp-sink';
import { startTestWasl, waitFor, type TestWasl } from './support/harness';
import { daytimeClock } from './support/daytime-clock';

describe('survey star links by email', () => {
  let sink: SmtpSink;
  let wasl: TestWasl;
  // Wasl reads this clock, not the wall clock: an expiry "a minute ago" must be a minute ago on it.
  const clock = daytimeClock();
  beforeAll(async () => {
    sink = await startSmtpSink();
    wasl = await startTestWasl({
      db: 'pglite',
      roles: 'web,engine,outbound,surveys',
      extraEnv: { ...sink.env, CLI_CHANNEL_ENABLED: 'false' },
      options: { surveySweepEveryMs: false, clock },
    });
  });
  afterAll(async () => {
    await wasl?.stop();
    await sink?.stop();
  });

  const db = () => wasl.database.db;
  const mailIn = (address: string, text: string) =>
    ingest(
      { db: db(), queues: wasl.queues, log: pino({ level: 'silent' }) },
      { channel: 'email', channelUserId: address, providerMessageId: `<${randomUUID()}@example.sa>`, text },
    );
  const mailsTo = (address: string) => sink.mails.filter((m) => m.envelope.to[0] === address);
  const surveyRow = async (id: number) => (await db().select().from(surveys).where(eq(surveys.id, id)))[0]!;
  /** The star links of a mail, pointed at the test server (the links' base is WASL_URL). */
  const starLinks = (mail: CapturedMail) =>
    [...String(mail.parsed.html).matchAll(/<a href="([^"]+)" class="wasl-star" data-score="(\d)"/g)].map((m) => ({
      score: Number(m[2]),
      url: m[1]!.replace(/&amp;/g, '&').replace(/^https?:\/\/[^/]+/, wasl.url!),
    }));

  /** A beneficiary who wrote by mail, and a survey of that conversation sent to them; returns the prompt mail. */
  async function surveyed(address: string): Promise<{ surveyId: number; prompt: CapturedMail }> {
    const { conversationId } = await mailIn(address, 'السلام عليكم');
    await waitFor('the welcome mail', async () => mailsTo(address).length > 0);
    const [conv] = await db().select().from(conversations).where(eq(conversations.id, conversationId));
    const [survey] = await db()
      .insert(surveys)
      .values({ subjectKind: 'conversation', subjectId: String(conversationId), conversationId, beneficiaryId: conv!.beneficiaryId, trigger: 'manual' })
      .returning({ id: surveys.id });
    await wasl.queues.surveys.add('survey.send', { surveyId: survey!.id, step: 'send' }, { jobId: `test-send-${survey!.id}` });
    const prompt = await waitFor('the survey mail with star links', async () => mailsTo(address).find((m) => String(m.parsed.html).includes('wasl-star')));
    return { surveyId: survey!.id, prompt };
  }

  it('shows five signed star links in the HTML part and keeps the numbered list in the plain text', async () => {
    const { surveyId, prompt } = await surveyed('star.one@example.sa');
    const links = starLinks(prompt);
    expect(links.map((l) => l.score)).toEqual([1, 2, 3, 4, 5]);
    expect(new Set(links.map((l) => l.url)).size).toBe(5);
    expect(links.every((l) => l.url.includes(`/survey/rate/${surveyId}.`))).toBe(true);
    expect(prompt.parsed.text).toMatch(/^1\. ⭐ سيئة جدًا$/m);
    expect(prompt.parsed.text).toMatch(/^5\. ⭐⭐⭐⭐⭐ ممتازة$/m);
    expect(prompt.parsed.text).not.toContain('/survey/rate/');
    // The opt-out stays an option to reply with.
    expect(String(prompt.parsed.html)).toContain('لا أرغب في الاستبيانات');
  });

  it('records one rating per click path, asks for a comment on the page, and ignores later clicks', async () => {
    const address = 'star.two@example.sa';
    const { surveyId, prompt } = await surveyed(address);
    const links = starLinks(prompt);
    const before = mailsTo(address).length;

    const first = await fetch(links[3]!.url);
    expect(first.status).toBe(200);
    const page = await first.text();
    expect(page).toContain('dir="rtl"');
    expect(page).toContain('شكرًا لك، سجّلنا تقييمك: ⭐⭐⭐⭐');
    expect(page).toContain('<form method="post"');
    const answered = await waitFor('the rating to be recorded', async () => {
      const s = await surveyRow(surveyId);
      return s.status === 'answered' ? s : null;
    });
    expect(answered.score).toBe(4);
    // The flow went on as for a typed answer: the comment question came by mail.
    await waitFor('the comment question by mail', async () => mailsTo(address).slice(before).some((m) => (m.parsed.text ?? '').includes('ملاحظة')));

    // Clicking again, or another star, changes nothing.
    const again = await fetch(links[3]!.url);
    expect(await again.text()).toContain('سجّلنا تقييمك من قبل');
    await fetch(links[0]!.url);
    const clicks = await db().select().from(messages).where(like(messages.providerMessageId, `survey-${surveyId}-%`));
    expect(clicks).toHaveLength(1);
    expect((await surveyRow(surveyId)).score).toBe(4);

    // The page's comment form.
    const form = /<form method="post" action="([^"]+)"/.exec(page)![1]!.replace(/&amp;/g, '&').replace(/^https?:\/\/[^/]+/, wasl.url!);
    const posted = await fetch(form, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ comment: 'الموظفة كانت متعاونة <b>جدًا</b>' }) });
    expect(posted.status).toBe(200);
    expect(await posted.text()).toContain('وصلتنا ملاحظتك');
    const withComment = await waitFor('the comment to be recorded', async () => {
      const s = await surveyRow(surveyId);
      return s.comment ? s : null;
    });
    expect(withComment.comment).toBe('الموظفة كانت متعاونة <b>جدًا</b>');
    expect(withComment.score).toBe(4);
  });

  it('a click after answering by text records nothing, and is never read as a menu choice', async () => {
    const address = 'star.three@example.sa';
    const { surveyId, prompt } = await surveyed(address);
    const links = starLinks(prompt);
    await mailIn(address, '5');
    // Clicked at once, possibly before the typed answer is processed: either way one rating, the typed one.
    await fetch(links[0]!.url);
    await waitFor('the typed rating', async () => (await surveyRow(surveyId)).status === 'answered');
    await waitFor('every message handled', async () => {
      const pending = await db()
        .select({ id: messages.id })
        .from(messages)
        .where(and(eq(messages.direction, 'in'), eq(messages.status, 'received'), like(messages.providerMessageId, `survey-${surveyId}-%`)));
      return pending.length === 0;
    });
    expect((await surveyRow(surveyId)).score).toBe(5);
    // A 1 from the link would have opened a supervisor's follow-up task.
    expect(await db().select().from(followUpTasks).where(eq(followUpTasks.surveyId, surveyId))).toEqual([]);
    const late = await fetch(links[0]!.url);
    expect(await late.text()).toContain('سجّلنا تقييمك من قبل');
  });

  it('refuses a forged or expired link', async () => {
    const { surveyId, prompt } = await surveyed('star.four@example.sa');
    const link = starLinks(prompt)[4]!.url;
    // Another score under the same signature.
    const forged = link.replace(`/survey/rate/${surveyId}.5.`, `/survey/rate/${surveyId}.1.`);
    expect(forged).not.toBe(link);
    expect((await fetch(forged)).status).toBe(404);
    // Signed with the right key (the test's SECRET_KEY) but past its expiry.
    const expired = createRatingLinks({ secretKey: 'a'.repeat(64), baseUrl: wasl.url! }).url(surveyId, 5, new Date(clock().getTime() - 60_000));
    const res = await fetch(expired);
    expect(res.status).toBe(410);
    expect(await res.text()).toContain('انتهت مدة هذا الاستبيان');
    expect((await surveyRow(surveyId)).status).toBe('sent');
  });
});
