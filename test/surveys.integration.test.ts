/**
 * Satisfaction surveys end to end, on real Redis and real PostgreSQL, with a fake clock (never a sleep for
 * time): exactly one survey per served request under duplicate events and a restart; quiet hours; the prompt,
 * its answer in words/digits/stars, the comment and the follow-up task of a low score; opt-out; a survey that
 * waits while a researcher holds the chat.
 */
import { and, eq } from 'drizzle-orm';
import { DateTime } from 'luxon';
import type { Job } from 'bullmq';
import { surveyJobId } from '../src/queue/queues';
import { beneficiaries, consents, conversations, followUpTasks, messages, requestStatusHistory, requests, surveys } from '../src/store/schema';
import { scheduleSurvey } from '../src/surveys/schedule-survey';
import { sweepSurveyTriggers } from '../src/surveys/survey-sweeper';
import { listFollowUpTasks } from '../src/surveys/follow-up-tasks';
import { sendSurveyNow, surveyServedRequest, waiveSurvey } from '../src/surveys/survey-triggers';
import { createTestDatabase } from './support/postgres';
import { startTestWasl, waitFor, type TestChat, type TestWasl } from './support/harness';

const zone = 'Asia/Riyadh';
const riyadh = (iso: string) => DateTime.fromISO(iso, { zone }).toJSDate();
const local = (d: Date) => DateTime.fromJSDate(d, { zone }).toFormat("yyyy-MM-dd'T'HH:mm");

describe('satisfaction surveys (PostgreSQL, Redis)', () => {
  let db: { url: string; drop(): Promise<void> };
  let wasl: TestWasl;
  const prefix = `test-surveys-${Date.now().toString(36)}`;
  // Sunday 10:00 in Riyadh: inside working hours, outside quiet hours.
  let now = riyadh('2026-11-22T10:00');
  const clock = () => now;
  const start = () =>
    startTestWasl({ db: { url: db.url }, prefix, roles: 'web,engine,outbound,surveys', options: { clock, surveySweepEveryMs: false } });
  const deps = () => ({ db: wasl.database.db, queues: wasl.queues, log: wasl.server!.log as never, organisation: wasl.content.organisation, clock });

  beforeAll(async () => {
    db = await createTestDatabase();
    wasl = await start();
  });
  afterAll(async () => {
    await wasl?.stop();
    await db?.drop();
  });

  /** A beneficiary who has talked to the bot, and a support request of theirs. */
  async function servedRequest(chat: TestChat, type = 'food-basket'): Promise<{ requestId: number; conversationId: number; beneficiaryId: number }> {
    await chat.say('السلام عليكم');
    const conversationId = (await chat.conversationId())!;
    const [conv] = await wasl.database.db.select().from(conversations).where(eq(conversations.id, conversationId));
    const [req] = await wasl.database.db
      .insert(requests)
      .values({
        referenceNumber: `REQ-${Math.floor(Math.random() * 1e9)}`,
        beneficiaryId: conv!.beneficiaryId,
        contactId: conv!.contactId,
        conversationId,
        type,
        status: 'served',
        answers: {},
        nationalIdSealed: 'x',
        nationalIdHash: `h-${Math.random()}`,
        attestation: {},
      })
      .returning({ id: requests.id });
    return { requestId: req!.id, conversationId, beneficiaryId: conv!.beneficiaryId };
  }

  const surveyOf = async (kind: 'request' | 'conversation', id: number) =>
    wasl.database.db.select().from(surveys).where(and(eq(surveys.subjectKind, kind), eq(surveys.subjectId, String(id))));

  /** Fires a delayed survey job now, as if its time had come. */
  async function fire(jobId: string): Promise<Job> {
    const job = await waitFor(`job ${jobId}`, () => wasl.queues.surveys.getJob(jobId));
    if ((await job.getState()) === 'delayed') await job.promote();
    return job;
  }

  /** Waits until the job has run again and gone back to waiting (busy) or finished. */
  async function settled(jobId: string, previousProcessedOn?: number): Promise<{ state: string; processedOn?: number }> {
    return waitFor(`job ${jobId} to run`, async () => {
      const job = await wasl.queues.surveys.getJob(jobId);
      if (!job) return null;
      const state = await job.getState();
      if (state === 'completed' || state === 'failed') return { state, processedOn: job.processedOn };
      if (state === 'delayed' && job.processedOn && job.processedOn !== previousProcessedOn) return { state, processedOn: job.processedOn };
      return null;
    });
  }

  it('schedules exactly one survey per served request under duplicate events and a restart, and sends one prompt', async () => {
    let chat = wasl.chat();
    const { requestId, conversationId } = await servedRequest(chat);
    const subject = { kind: 'request' as const, id: requestId, conversationId, staffId: 7 };

    await Promise.all([scheduleSurvey(deps(), subject), scheduleSurvey(deps(), subject), surveyServedRequest(deps(), requestId, 7)]);
    const rows = await surveyOf('request', requestId);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.status).toBe('scheduled');
    expect(local(rows[0]!.scheduledFor!)).toBe('2026-11-22T11:00'); // 60 minutes later
    const jobId = surveyJobId({ kind: 'request', id: requestId });
    expect(jobId).toBe(`survey-request-${requestId}`);
    const delayed = await wasl.queues.surveys.getJobs(['delayed', 'waiting']);
    expect(delayed.filter((j) => j.data.surveyId === rows[0]!.id)).toHaveLength(1);
    expect(delayed.find((j) => j.data.surveyId === rows[0]!.id)!.opts.delay).toBe(60 * 60_000);

    // A restart of every worker, then the same event again: still one row, one job.
    await wasl.close();
    wasl = await start();
    chat = wasl.chat(chat.userId);
    await chat.replies(); // what was said before the restart
    await scheduleSurvey(deps(), subject);
    await sweepSurveyTriggers(deps()); // nothing in request_status_history, and the subject has its row anyway
    expect(await surveyOf('request', requestId)).toHaveLength(1);

    await fire(jobId);
    expect((await settled(jobId)).state).toBe('completed');
    const prompt = await chat.replies();
    expect(prompt).toHaveLength(2);
    expect(prompt[0]).toContain('رأيك يساعدنا');
    expect(prompt[1]).toContain('كيف تقيّم الخدمة');
    expect(prompt[1]).toMatch(/1\. ⭐ سيئة جدًا[\s\S]*5\. ⭐⭐⭐⭐⭐ ممتازة[\s\S]*6\. 🚫/);

    // A job re-added after BullMQ removed the first one, and another duplicate event: no second prompt.
    await wasl.queues.surveys.add('survey.send', { surveyId: rows[0]!.id, step: 'send' }, { jobId: `${jobId}-again` });
    await settled(`${jobId}-again`);
    await scheduleSurvey(deps(), subject);
    expect(await chat.replies()).toEqual([]);
    const [sent] = await surveyOf('request', requestId);
    expect(sent!.status).toBe('sent');
    expect(sent!.staffId).toBe(7);
    expect(sent!.channel).toBe('cli');
    expect(sent!.language).toBe('ar');

    // The answer: stars, then a comment.
    const afterRating = await chat.say('⭐⭐⭐⭐');
    expect(afterRating.join('\n')).toContain('هل لديك ملاحظة');
    const thanks = await chat.say('الموظف كان متعاونًا جدًا');
    expect(thanks.join('\n')).toContain('شكرًا لك على وقتك');
    const [answered] = await surveyOf('request', requestId);
    expect(answered).toMatchObject({ status: 'answered', score: 4, comment: 'الموظف كان متعاونًا جدًا' });
    const [conv] = await wasl.database.db.select().from(conversations).where(eq(conversations.id, conversationId));
    expect((conv!.state as { frame: unknown }).frame).toBeNull();
  });

  it('respects quiet hours with a fake clock: 22:30 → 09:00, Friday prayer → 13:30', async () => {
    const chat = wasl.chat();
    const first = await servedRequest(chat);
    const second = await servedRequest(chat);
    now = riyadh('2026-11-22T21:30'); // + 60 minutes = 22:30
    await scheduleSurvey(deps(), { kind: 'request', id: first.requestId, conversationId: first.conversationId, staffId: null });
    now = riyadh('2026-11-27T11:15'); // a Friday: + 60 minutes = 12:15, inside the prayer window
    await scheduleSurvey(deps(), { kind: 'request', id: second.requestId, conversationId: second.conversationId, staffId: null });
    now = riyadh('2026-11-22T10:00');

    const [night] = await surveyOf('request', first.requestId);
    expect(local(night!.scheduledFor!)).toBe('2026-11-23T09:00');
    const nightJob = await wasl.queues.surveys.getJob(surveyJobId({ kind: 'request', id: first.requestId }));
    expect(nightJob!.opts.delay).toBe(riyadh('2026-11-23T09:00').getTime() - riyadh('2026-11-22T21:30').getTime());
    const [friday] = await surveyOf('request', second.requestId);
    expect(local(friday!.scheduledFor!)).toBe('2026-11-27T13:30');
    await wasl.queues.surveys.remove(surveyJobId({ kind: 'request', id: first.requestId }));
    await wasl.queues.surveys.remove(surveyJobId({ kind: 'request', id: second.requestId }));
  });

  it('waits while a researcher holds the chat, and sends once the conversation is resolved', async () => {
    now = riyadh('2026-11-23T10:00');
    const chat = wasl.chat();
    const { conversationId } = await servedRequest(chat);
    await wasl.database.db.update(conversations).set({ status: 'human', assigneeStaffId: 42 }).where(eq(conversations.id, conversationId));
    await sendSurveyNow(deps(), { kind: 'conversation', id: conversationId, conversationId, staffId: null });
    const jobId = surveyJobId({ kind: 'conversation', id: conversationId });

    const busy = await settled(jobId);
    expect(busy.state).toBe('delayed');
    expect((await surveyOf('conversation', conversationId))[0]!.status).toBe('scheduled');
    expect(await chat.replies()).toEqual([]);

    // Resolved: the next message would open a new conversation, so the survey opens it and asks there.
    await wasl.database.db.update(conversations).set({ status: 'resolved', resolvedAt: now }).where(eq(conversations.id, conversationId));
    await fire(jobId);
    expect((await settled(jobId, busy.processedOn)).state).toBe('completed');
    const [row] = await surveyOf('conversation', conversationId);
    expect(row!.status).toBe('sent');
    expect(row!.staffId).toBe(42); // the researcher who served, captured at send time
    expect(row!.promptConversationId).not.toBe(conversationId);
    expect((await chat.replies()).join('\n')).toContain('كيف تقيّم الخدمة');

    // A low score with its comment opens one follow-up task, with the comment.
    await chat.say('سيء');
    await chat.say('تأخر الرد علي أسبوعين');
    const [answered] = await surveyOf('conversation', conversationId);
    expect(answered).toMatchObject({ status: 'answered', score: 2 });
    const tasks = await wasl.database.db.select().from(followUpTasks).where(eq(followUpTasks.surveyId, answered!.id));
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({ score: 2, comment: 'تأخر الرد علي أسبوعين', staffId: 42, status: 'open' });
    const listed = await listFollowUpTasks(wasl.database.db, { id: 1, role: 'supervisor' });
    expect(listed.map((t) => t.surveyId)).toContain(answered!.id);
    await expect(listFollowUpTasks(wasl.database.db, { id: 2, role: 'researcher' })).rejects.toThrow(/supervisors/);
  });

  it('re-asks once, then closes quietly; a reminder only while the question is open; expiry clears the question', async () => {
    now = riyadh('2026-11-24T10:00');
    const chat = wasl.chat();
    const a = await servedRequest(chat, 'rent');
    await sendSurveyNow(deps(), { kind: 'request', id: a.requestId, conversationId: a.conversationId, staffId: 3 });
    const jobId = surveyJobId({ kind: 'request', id: a.requestId });
    await fire(jobId);
    await settled(jobId);
    await chat.replies();

    // The one reminder, while the rating question is still open.
    await fire(`${jobId}-remind`);
    await settled(`${jobId}-remind`);
    const reminder = await chat.replies();
    expect(reminder.join('\n')).toContain('تذكير لطيف');
    expect(reminder.join('\n')).toContain('كيف تقيّم الخدمة');

    const again = await chat.say('مدري والله');
    expect(again.join('\n')).toContain('لم أفهم التقييم');
    await chat.say('ابغى اعرف وش صار');
    const [conv] = await wasl.database.db.select().from(conversations).where(eq(conversations.id, (await chat.conversationId())!));
    expect((conv!.state as { frame: { flow: string } | null }).frame?.flow).not.toBe('survey');
    expect((await surveyOf('request', a.requestId))[0]!.status).toBe('sent');

    await fire(`${jobId}-expire`);
    await settled(`${jobId}-expire`);
    expect((await surveyOf('request', a.requestId))[0]!.status).toBe('expired');
  });

  it('honours an opt-out: said to the survey, it stops this one and every later one', async () => {
    now = riyadh('2026-11-25T10:00');
    const chat = wasl.chat();
    const a = await servedRequest(chat);
    await sendSurveyNow(deps(), { kind: 'request', id: a.requestId, conversationId: a.conversationId, staffId: null });
    const jobA = surveyJobId({ kind: 'request', id: a.requestId });
    await fire(jobA);
    await settled(jobA);
    await chat.replies();
    const bye = await chat.say('لا أرغب في الاستبيانات');
    expect(bye.join('\n')).toContain('لن نرسل لك استبيانات');
    const [person] = await wasl.database.db.select().from(beneficiaries).where(eq(beneficiaries.id, a.beneficiaryId));
    expect(person!.surveyOptOut).toBe(true);
    expect((await surveyOf('request', a.requestId))[0]).toMatchObject({ status: 'skipped', skipReason: 'opted-out' });
    // The withdrawal is kept as consent evidence too, with the words of the option chosen (docs/privacy.md).
    const surveyConsents = (await wasl.database.db.select().from(consents).where(eq(consents.beneficiaryId, a.beneficiaryId))).filter((c) => c.purpose === 'surveys');
    expect(surveyConsents).toEqual([expect.objectContaining({ answer: 'withdrawn', template: 'survey.option-opt-out', language: 'ar' })]);
    expect(surveyConsents[0]!.text).toContain('لا أرغب في الاستبيانات');

    now = riyadh('2026-11-28T10:00');
    const b = await servedRequest(chat);
    await sendSurveyNow(deps(), { kind: 'request', id: b.requestId, conversationId: b.conversationId, staffId: null });
    const jobB = surveyJobId({ kind: 'request', id: b.requestId });
    await fire(jobB);
    await settled(jobB);
    expect((await surveyOf('request', b.requestId))[0]).toMatchObject({ status: 'skipped', skipReason: 'opted-out' });
    expect((await chat.replies()).join('\n')).not.toContain('كيف تقيّم');
  });

  it('asks nobody whose standing consent for surveys is withdrawn (the data-request flow), flag or not', async () => {
    now = riyadh('2026-11-29T10:00');
    const chat = wasl.chat();
    const a = await servedRequest(chat);
    await wasl.database.db.insert(consents).values({ beneficiaryId: a.beneficiaryId, purpose: 'surveys', answer: 'withdrawn', template: 'data-request.confirm-withdrawal', text: 'هل تؤكد سحب موافقتك؟', language: 'ar', channel: 'cli', at: now });
    await sendSurveyNow(deps(), { kind: 'request', id: a.requestId, conversationId: a.conversationId, staffId: null });
    const job = surveyJobId({ kind: 'request', id: a.requestId });
    await fire(job);
    await settled(job);
    expect((await surveyOf('request', a.requestId))[0]).toMatchObject({ status: 'skipped', skipReason: 'consent-withdrawn' });
    expect((await chat.replies()).join('\n')).not.toContain('كيف تقيّم');
  });

  it('catches up a served request the console never reported, and never one a researcher waived', async () => {
    now = riyadh('2026-11-30T10:00');
    const chat = wasl.chat();
    const a = await servedRequest(chat);
    const b = await servedRequest(chat);
    await wasl.database.db.insert(requestStatusHistory).values([
      { requestId: a.requestId, fromStatus: 'approved', toStatus: 'served', actorStaffId: 5, at: now },
      { requestId: b.requestId, fromStatus: 'approved', toStatus: 'served', actorStaffId: 5, at: now },
    ]);
    expect(await waiveSurvey(deps(), { kind: 'request', id: b.requestId, conversationId: b.conversationId, staffId: 5 }, 'wrong number')).toBe(true);
    await sweepSurveyTriggers(deps());
    await sweepSurveyTriggers(deps());
    expect(await surveyOf('request', a.requestId)).toMatchObject([{ status: 'scheduled', staffId: 5, trigger: 'request-served' }]);
    expect(await surveyOf('request', b.requestId)).toMatchObject([{ status: 'skipped', skipReason: 'waived: wrong number' }]);
    await wasl.queues.surveys.remove(surveyJobId({ kind: 'request', id: a.requestId }));
    const out = await wasl.database.db.select().from(messages).where(eq(messages.conversationId, a.conversationId));
    expect(out.length).toBeGreaterThan(0);
  });
});
