/**
 * Privacy (Saudi PDPL) through the real pipeline: consent per purpose captured in the intake with its exact
 * text; a copy, correction or deletion asked for in free text becoming a staff task; the export and the
 * erasure (with its legal hold) through the console API; and the retention job moving through time on a fake
 * clock. PostgreSQL and Redis are real; nothing is mocked.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Job, Queue } from 'bullmq';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { createDocumentStore } from '../src/documents/document-store';
import { parseConversationState } from '../src/engine/conversation-state';
import { eraseBeneficiaryRecords } from '../src/privacy/erase-beneficiary';
import { MAINTENANCE_QUEUE, RETENTION_SCHEDULER_ID, type RetentionReport } from '../src/privacy/retention';
import { auditLog, beneficiaries, consents, contacts, conversations, dataRequests, messages, requestDocuments, requests, surveys } from '../src/store/schema';
import { signedIn } from './console-client';
import { copyContent, type ContentCopy } from './support/content-fixture';
import { startTestWasl, waitFor, type TestChat, type TestWasl } from './support/harness';
import { submitRequest } from './support/intake-script';

const REDIS = { url: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379' };
const DAY = 24 * 3600 * 1000;

async function runRetentionJob(queue: Queue): Promise<RetentionReport> {
  const job = await queue.add('retention.apply', {});
  return waitFor('the retention job', async () => {
    const done = await Job.fromId(queue, job.id!);
    if (done?.failedReason) throw new Error(done.failedReason);
    return done?.finishedOn ? (done.returnvalue as RetentionReport) : null;
  });
}

async function beneficiaryOf(wasl: TestWasl, chat: TestChat): Promise<number> {
  const [c] = await wasl.database.db.select().from(contacts).where(and(eq(contacts.channel, 'cli'), eq(contacts.channelUserId, chat.userId)));
  return c!.beneficiaryId;
}

async function conversationsOf(wasl: TestWasl, beneficiaryId: number): Promise<number[]> {
  return (await wasl.database.db.select({ id: conversations.id }).from(conversations).where(eq(conversations.beneficiaryId, beneficiaryId))).map((c) => c.id);
}

describe('privacy on PostgreSQL', () => {
  let wasl: TestWasl;
  beforeAll(async () => {
    wasl = await startTestWasl({ db: 'postgres' });
  });
  afterAll(() => wasl?.stop());

  it('records consent per purpose with the exact text shown, for a yes and for a no', async () => {
    const yes = wasl.chat();
    await submitRequest(yes, '1101234563');
    const db = wasl.database.db;
    const given = await db.select().from(consents).where(eq(consents.beneficiaryId, await beneficiaryOf(wasl, yes)));
    expect(given.map((c) => [c.purpose, c.answer]).sort()).toEqual([['application-processing', 'granted'], ['committee-review', 'granted']]);
    expect(given[0]).toMatchObject({ template: 'intake.attestation', language: 'ar', channel: 'cli' });
    expect(given[0]!.text).toContain('وأوافق على أن تستخدم بياناتي لدراسة طلبي');
    expect(given[0]!.text).toContain('جمعية بر الخوار');
    expect(given[0]!.messageId).not.toBeNull();

    const no = wasl.chat();
    for (const line of ['السلام عليكم', '1', 'سارة محمد علي القحطاني', '2000000006', '0551234567', 'جدة', 'الصفا', '4', '1800', '2', '3', 'زوجي متوفى والإيجار متأخر ثلاثة أشهر', 'نعم']) await no.say(line);
    expect((await no.say('لا أوافق')).join()).toContain('لا يمكن إرسال الطلب');
    const refusedBy = await beneficiaryOf(wasl, no);
    const refused = await db.select().from(consents).where(eq(consents.beneficiaryId, refusedBy));
    expect(refused.map((c) => c.answer)).toEqual(['refused', 'refused']);
    expect(await db.select().from(requests).where(eq(requests.beneficiaryId, refusedBy))).toHaveLength(0);
  });

  it('turns "I want a copy", "delete my data" and a correction into staff tasks, the correction going on to the update-data flow', async () => {
    const chat = wasl.chat();
    const reference = await submitRequest(chat, '1101234563');
    const asked = (await chat.say('ابغى نسخة من بياناتي اللي عندكم')).join('\n');
    expect(asked).toContain('من حقك أن تطّلع على بياناتك');
    expect((await chat.say('1')).join()).toMatch(/DR-\d+/);
    // Asking again while the first is open does not make a second task.
    await chat.say('ابي نسخه من بياناتي');
    expect((await chat.say('نسخة')).join()).toContain('قيد التنفيذ');

    await chat.say('احذفوا بياناتي لو سمحتوا');
    const confirm = (await chat.say('3')).join('\n');
    expect(confirm).toContain('سجل من اطّلع على ملفك');
    expect((await chat.say('1')).join()).toMatch(/DR-\d+/);

    await chat.say('ابي نسخة من بياناتي');
    expect((await chat.say('2')).join()).toContain('ما الذي تغيّر');

    const db = wasl.database.db;
    const beneficiaryId = await beneficiaryOf(wasl, chat);
    const tasks = await db.select().from(dataRequests).where(eq(dataRequests.beneficiaryId, beneficiaryId));
    expect(tasks.map((t) => [t.kind, t.status, t.channel]).sort()).toEqual([['copy', 'open', 'cli'], ['correction', 'open', 'cli'], ['deletion', 'open', 'cli']]);
    const audited = await db.select().from(auditLog).where(and(eq(auditLog.beneficiaryId, beneficiaryId), eq(auditLog.action, 'data-request.create')));
    expect(audited).toHaveLength(3);

    // A second contact of the same person (another channel) is part of the export too.
    const [other] = await db.insert(contacts).values({ beneficiaryId, channel: 'telegram', channelUserId: `tg-${beneficiaryId}` }).returning();
    const [conv] = await db.insert(conversations).values({ contactId: other!.id, beneficiaryId, channel: 'telegram', status: 'resolved', resolvedAt: new Date() }).returning();
    await db.insert(messages).values({ conversationId: conv!.id, direction: 'in', channel: 'telegram', author: 'beneficiary', text: 'رسالة من تيليجرام', status: 'processed' });

    const supervisor = await signedIn(db, wasl.url!, { role: 'supervisor' });
    const researcher = await signedIn(db, wasl.url!, { role: 'researcher' });
    expect((await researcher.client.get('/api/data-requests')).status).toBe(403);
    const list = await supervisor.client.get('/api/data-requests');
    expect(list.status).toBe(200);
    const copy = list.body.dataRequests.find((d: { beneficiaryId: number; kind: string }) => d.beneficiaryId === beneficiaryId && d.kind === 'copy');
    const deletion = list.body.dataRequests.find((d: { beneficiaryId: number; kind: string }) => d.beneficiaryId === beneficiaryId && d.kind === 'deletion');

    const exported = await supervisor.client.get(`/api/data-requests/${copy.id}/export`);
    expect(exported.status).toBe(200);
    expect(exported.headers.get('content-disposition')).toContain(`${copy.number}-export.json`);
    const data = exported.body;
    expect(data.beneficiary).toMatchObject({ fullName: 'نورة سعد عبدالله الشهري', nationalId: '******4563', mobile: '+966551234567' });
    expect(data.contacts.map((c: { channel: string }) => c.channel).sort()).toEqual(['cli', 'telegram']);
    expect(data.messages.some((m: { text: string }) => m.text === 'رسالة من تيليجرام')).toBe(true);
    expect(data.messages.some((m: { text: string }) => m.text === 'احذفوا بياناتي لو سمحتوا')).toBe(true);
    expect(data.requests[0]).toMatchObject({ referenceNumber: reference, status: 'submitted' });
    expect(data.requests[0].answers.name).toBe('نورة سعد عبدالله الشهري');
    expect(data.consents).toHaveLength(2);
    expect(data.dataRequests).toHaveLength(3);
    expect(JSON.stringify(data)).not.toContain('1101234563');
    expect((await supervisor.client.post(`/api/data-requests/${copy.id}/complete`, { note: 'sent by WhatsApp after an identity check' })).body.status).toBe('done');
    const [copyNotice] = await db.select().from(messages).where(and(sql`${messages.payload}->>'template' = 'data-request.copy-done'`, inArray(messages.conversationId, await conversationsOf(wasl, beneficiaryId))));
    expect(copyNotice!.text).toContain(copy.number);

    // A correction is completed with what was corrected and how it was checked, never without.
    const correction = list.body.dataRequests.find((d: { beneficiaryId: number; kind: string }) => d.beneficiaryId === beneficiaryId && d.kind === 'correction');
    expect((await supervisor.client.post(`/api/data-requests/${correction.id}/complete`, { note: 'done' })).status).toBe(400);
    const corrected = await supervisor.client.post(`/api/data-requests/${correction.id}/complete`, { corrected: 'mobile number', verifiedBy: 'phone-call' });
    expect(corrected.body).toMatchObject({ status: 'done', outcome: { corrected: 'mobile number', verifiedBy: 'phone-call' } });

    // The deletion: personal data goes; the request under study, the audit log and the consents stay. (Replies
    // still queued at that moment keep their words until sent; the retention job takes them then, tested below.)
    await waitFor('the notices to go out', async () => {
      const convs = await conversationsOf(wasl, beneficiaryId);
      return (await db.select().from(messages).where(and(inArray(messages.conversationId, convs), eq(messages.status, 'queued')))).length === 0;
    });
    const erased = await supervisor.client.post(`/api/data-requests/${deletion.id}/complete`, {});
    expect(erased.status).toBe(200);
    expect(erased.body.outcome).toMatchObject({ requestsHeld: [reference], requestsAnonymised: [] });
    expect((await supervisor.client.post(`/api/data-requests/${deletion.id}/complete`, {})).status).toBe(409);
    const [person] = await db.select().from(beneficiaries).where(eq(beneficiaries.id, beneficiaryId));
    expect(person).toMatchObject({ fullName: null, mobile: null, nationalIdSealed: null, surveyOptOut: true });
    expect(person!.erasedAt).not.toBeNull();
    const convIds = (await db.select({ id: conversations.id }).from(conversations).where(eq(conversations.beneficiaryId, beneficiaryId))).map((c) => c.id);
    const texts = await db.select({ text: messages.text, status: messages.status }).from(messages).where(inArray(messages.conversationId, convIds));
    expect(texts.filter((m) => m.text !== null && !['received', 'queued'].includes(m.status))).toEqual([]);
    expect((await db.select().from(contacts).where(eq(contacts.beneficiaryId, beneficiaryId))).every((c) => c.channelUserId.startsWith('erased-'))).toBe(true);
    const [held] = await db.select().from(requests).where(eq(requests.referenceNumber, reference));
    expect((held!.answers as { name?: string }).name).toBe('نورة سعد عبدالله الشهري');
    expect(await db.select().from(consents).where(eq(consents.beneficiaryId, beneficiaryId))).toHaveLength(2);
    expect((await db.select().from(auditLog).where(and(eq(auditLog.beneficiaryId, beneficiaryId), eq(auditLog.action, 'data-request.erase')))).map((a) => a.staffId)).toEqual([supervisor.id]);

    // Writing again after the erasure starts a new person: nothing links back to the erased one.
    await chat.say('السلام عليكم');
    expect(await beneficiaryOf(wasl, chat)).not.toBe(beneficiaryId);
  });

  it('withdraws consent for every purpose after explaining it, stops surveys and opens a staff task; «لا» records nothing', async () => {
    const db = wasl.database.db;
    const chat = wasl.chat();
    await chat.say('السلام عليكم');
    // The classifier half-understands it, so it offers its one likely topic: the data rights, which name the withdrawal.
    expect((await chat.say('ابغى اسحب موافقتي')).join('\n')).toContain('1. حقوقي في بياناتي (نسخة، تصحيح، حذف، سحب الموافقة)');
    expect((await chat.say('1')).join('\n')).toContain('ولك أن تسحب موافقتك على استخدامها');
    const explained = (await chat.say('سحب موافقتي')).join('\n');
    expect(explained).toContain('فلن نستطيع دراسة أي طلب مساعدة يحتاج إلى هذه الموافقة');
    expect(explained).toContain('ونحتفظ بما يلزمنا نظامًا من سجلات سابقة');
    expect(explained).toContain('ولن نرسل إليك استبيانات الرضا');
    const before = new Date();
    const done = (await chat.say('نعم')).join('\n');
    const number = done.match(/DR-\d+/)?.[0];
    expect(number).toBeDefined();
    expect(done).toContain('سجّلنا سحب موافقتك');

    const beneficiaryId = await beneficiaryOf(wasl, chat);
    const withdrawn = await db.select().from(consents).where(eq(consents.beneficiaryId, beneficiaryId));
    expect(withdrawn.map((c) => [c.purpose, c.answer]).sort()).toEqual([['application-processing', 'withdrawn'], ['committee-review', 'withdrawn'], ['surveys', 'withdrawn']]);
    for (const c of withdrawn) {
      expect(c).toMatchObject({ template: 'data-request.confirm-withdrawal', language: 'ar', channel: 'cli' });
      expect(c.text).toContain('هل تؤكد سحب موافقتك؟');
      expect(c.at.getTime()).toBeGreaterThanOrEqual(before.getTime() - 1000);
    }
    const [person] = await db.select().from(beneficiaries).where(eq(beneficiaries.id, beneficiaryId));
    expect(person!.surveyOptOut).toBe(true);
    const tasks = await db.select().from(dataRequests).where(eq(dataRequests.beneficiaryId, beneficiaryId));
    expect(tasks.map((t) => [t.kind, t.status, `DR-${t.id}`])).toEqual([['withdrawal', 'open', number]]);

    const supervisor = await signedIn(db, wasl.url!, { role: 'supervisor' });
    const listed = (await supervisor.client.get('/api/data-requests')).body.dataRequests.find((d: { number: string }) => d.number === number);
    expect(listed).toMatchObject({ beneficiaryId, kind: 'withdrawal', status: 'open' });
    // Staff complete it like a copy: a note, no erasure; the person is told.
    const completed = await supervisor.client.post(`/api/data-requests/${listed.id}/complete`, { note: 'application REQ-1 stopped' });
    expect(completed.body).toMatchObject({ status: 'done', outcome: { note: 'application REQ-1 stopped' } });
    expect((await db.select().from(beneficiaries).where(eq(beneficiaries.id, beneficiaryId)))[0]!.erasedAt).toBeNull();
    const [notice] = await db.select().from(messages).where(and(sql`${messages.payload}->>'template' = 'data-request.withdrawal-done'`, inArray(messages.conversationId, await conversationsOf(wasl, beneficiaryId))));
    expect(notice!.text).toContain(number!);

    // «لا» at the confirmation changes nothing.
    const keeps = wasl.chat();
    await keeps.say('السلام عليكم');
    await keeps.say('ابغى اسحب موافقتي');
    await keeps.say('1');
    expect((await keeps.say('سحب موافقتي')).join('\n')).toContain('هل تؤكد سحب موافقتك؟');
    expect((await keeps.say('لا')).join('\n')).toContain('لم نغيّر شيئًا');
    const kept = await beneficiaryOf(wasl, keeps);
    expect(await db.select().from(consents).where(eq(consents.beneficiaryId, kept))).toEqual([]);
    expect(await db.select().from(dataRequests).where(eq(dataRequests.beneficiaryId, kept))).toEqual([]);
  });
});

describe('retention on a fake clock', () => {
  let wasl: TestWasl;
  let now = new Date();
  let queue: Queue;
  beforeAll(async () => {
    wasl = await startTestWasl({ db: 'postgres', options: { clock: () => now } });
    queue = new Queue(MAINTENANCE_QUEUE, { connection: REDIS, prefix: wasl.prefix });
  });
  afterAll(async () => {
    await queue?.close();
    await wasl?.stop();
  });

  const runRetention = () => runRetentionJob(queue);

  it('is scheduled nightly in the organisation time zone', async () => {
    const scheduler = await queue.getJobScheduler(RETENTION_SCHEDULER_ID);
    expect(scheduler).toMatchObject({ pattern: '30 2 * * *', tz: 'Asia/Riyadh' });
  });

  it('removes each kind of data once its own period has passed, and nothing before', async () => {
    const db = wasl.database.db;
    const chat = wasl.chat();
    const reference = await submitRequest(chat, '1101234563');
    const [request] = await db.select().from(requests).where(eq(requests.referenceNumber, reference));
    const documents = createDocumentStore(wasl.dataDir);
    const key = await documents.save(randomBytes(64));
    await db.insert(requestDocuments).values({ requestId: request!.id, mimeType: 'application/pdf', sizeBytes: 64, storageKey: key, fileName: 'lease.pdf' });
    await db.update(requests).set({ status: 'served', updatedAt: now }).where(eq(requests.id, request!.id));
    await db.insert(surveys).values({ subjectKind: 'request', subjectId: String(request!.id), beneficiaryId: request!.beneficiaryId, status: 'answered', score: 2, comment: 'الموظف تأخر علي', answeredAt: now });
    const beneficiaryId = request!.beneficiaryId;
    const convIds = (await db.select({ id: conversations.id }).from(conversations).where(eq(conversations.beneficiaryId, beneficiaryId))).map((c) => c.id);
    const textCount = async () => (await db.select({ text: messages.text }).from(messages).where(inArray(messages.conversationId, convIds))).filter((m) => m.text !== null).length;
    const start = now;

    // Day 100: everything is within its period.
    now = new Date(start.getTime() + 100 * DAY);
    expect(await runRetention()).toMatchObject({ messagesAnonymised: 0, documentsDeleted: 0, surveyCommentsRemoved: 0, requestsAnonymised: 0 });
    expect(await textCount()).toBeGreaterThan(10);

    // Day 400: documents (365 after the decision) and survey comments (365) go; messages (730) and answers stay.
    now = new Date(start.getTime() + 400 * DAY);
    expect(await runRetention()).toMatchObject({ messagesAnonymised: 0, documentsDeleted: 1, filesRemoved: 1, surveyCommentsRemoved: 1, requestsAnonymised: 0 });
    await expect(documents.read(key)).rejects.toThrow();
    expect((await db.select().from(surveys).where(eq(surveys.beneficiaryId, beneficiaryId)))[0]).toMatchObject({ comment: null, score: 2 });
    expect(await textCount()).toBeGreaterThan(10);

    // Day 800: messages go. Day 2000: the decided request's answers and sealed ID go; its reference and type stay.
    now = new Date(start.getTime() + 800 * DAY);
    const messagesRun = await runRetention();
    expect(messagesRun.messagesAnonymised).toBeGreaterThan(10);
    expect(messagesRun.requestsAnonymised).toBe(0);
    expect(await textCount()).toBe(0);
    now = new Date(start.getTime() + 2000 * DAY);
    expect(await runRetention()).toMatchObject({ requestsAnonymised: 1, messagesAnonymised: 0 });
    const [after] = await db.select().from(requests).where(eq(requests.id, request!.id));
    expect(after).toMatchObject({ referenceNumber: reference, type: request!.type, status: 'served', nationalIdSealed: '', nationalIdHash: '' });
    expect(Object.keys(after!.answers as object)).toEqual(['anonymisedAt']);
    expect(await db.select().from(auditLog).where(eq(auditLog.action, 'retention.apply'))).toHaveLength(3);
  });

  it("takes the words of an erased person's messages that the pipeline finished after the erasure", async () => {
    now = new Date();
    const db = wasl.database.db;
    const bystander = wasl.chat();
    await bystander.say('السلام عليكم');
    const chat = wasl.chat();
    await chat.say('السلام عليكم');
    const beneficiaryId = await beneficiaryOf(wasl, chat);
    const conversationId = (await chat.conversationId())!;
    // The erasure leaves a queued reply to the pipeline, which sends it afterwards with its words.
    const [late] = await db
      .insert(messages)
      .values({ conversationId, direction: 'out', channel: 'cli', author: 'bot', text: 'تم حذف بياناتك يا نورة', payload: { choices: [], language: 'ar' }, status: 'queued' })
      .returning();
    await db.transaction((tx) => eraseBeneficiaryRecords(tx, beneficiaryId, now));
    expect((await db.select().from(messages).where(eq(messages.id, late!.id)))[0]!.text).toBe('تم حذف بياناتك يا نورة');
    await db.update(messages).set({ status: 'sent', sentAt: now }).where(eq(messages.id, late!.id));

    // The next run takes them, though no retention period has passed; nobody else's messages are touched.
    const report = await runRetention();
    expect(report.messagesAnonymised).toBeGreaterThanOrEqual(1);
    expect((await db.select().from(messages).where(eq(messages.id, late!.id)))[0]).toMatchObject({ text: null, payload: {}, status: 'sent' });
    const kept = await db.select({ text: messages.text }).from(messages).where(eq(messages.conversationId, (await bystander.conversationId())!));
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.every((m) => m.text !== null)).toBe(true);
  });

  it('anonymises a request the erasure held once it is decided, at the next run, whatever its age', async () => {
    now = new Date();
    const db = wasl.database.db;
    const bystander = wasl.chat();
    const bystanderReference = await submitRequest(bystander, '1055501231');
    const chat = wasl.chat();
    const reference = await submitRequest(chat, '1107654327');
    const [request] = await db.select().from(requests).where(eq(requests.referenceNumber, reference));
    const documents = createDocumentStore(wasl.dataDir);
    const key = await documents.save(randomBytes(64));
    await db.insert(requestDocuments).values({ requestId: request!.id, mimeType: 'application/pdf', sizeBytes: 64, storageKey: key, fileName: 'id-copy.pdf' });
    const { outcome } = await db.transaction((tx) => eraseBeneficiaryRecords(tx, request!.beneficiaryId, now));
    expect(outcome.requestsHeld).toEqual([reference]);
    const read = async (ref: string) => (await db.select().from(requests).where(eq(requests.referenceNumber, ref)))[0]!;

    // Under study, the hold keeps it whole.
    expect(await runRetention()).toMatchObject({ heldRequestsAnonymised: 0 });
    expect((await read(reference)).answers).toMatchObject({ name: 'نورة سعد عبدالله الشهري' });

    // Decided: the next run does what the erasure does to a decided request; someone not erased keeps theirs for
    // the closed-requests period.
    await db.update(requests).set({ status: 'rejected', updatedAt: now }).where(inArray(requests.referenceNumber, [reference, bystanderReference]));
    expect(await runRetention()).toMatchObject({ heldRequestsAnonymised: 1, requestsAnonymised: 0, documentsDeleted: 1, filesRemoved: 1 });
    const after = await read(reference);
    expect(after).toMatchObject({ id: request!.id, type: request!.type, status: 'rejected', submittedAt: request!.submittedAt, nationalIdSealed: '', nationalIdHash: '' });
    expect(Object.keys(after.answers as object)).toEqual(['erasedAt']);
    expect(await db.select().from(requestDocuments).where(eq(requestDocuments.requestId, request!.id))).toEqual([]);
    await expect(documents.read(key)).rejects.toThrow();
    const other = await read(bystanderReference);
    expect(other.answers).toMatchObject({ name: 'نورة سعد عبدالله الشهري' });
    expect(other.nationalIdSealed).not.toBe('');
    expect(await runRetention()).toMatchObject({ heldRequestsAnonymised: 0 });
  });
});

describe("retention with the organisation's own periods", () => {
  let wasl: TestWasl;
  let content: ContentCopy;
  let now = new Date();
  let queue: Queue;
  beforeAll(async () => {
    content = copyContent();
    const profile = path.join(content.flowsDir, 'organisation.yaml');
    const yaml = readFileSync(profile, 'utf8');
    if (!yaml.includes('messagesDays: 730')) throw new Error('organisation.yaml no longer sets messagesDays: 730; update this test');
    writeFileSync(profile, yaml.replace('messagesDays: 730', 'messagesDays: 30'));
    wasl = await startTestWasl({ db: 'postgres', flowsDir: content.flowsDir, templatesDir: content.templatesDir, options: { clock: () => now } });
    queue = new Queue(MAINTENANCE_QUEUE, { connection: REDIS, prefix: wasl.prefix });
  });
  afterAll(async () => {
    await queue?.close();
    await wasl?.stop();
    content?.cleanup();
  });
  const runRetention = () => runRetentionJob(queue);

  it('takes the messages at day 31 of a 30-day period, and not at day 29', async () => {
    now = new Date();
    const start = now;
    const db = wasl.database.db;
    const chat = wasl.chat();
    await chat.say('السلام عليكم');
    await chat.say('كم تاخذ دراسة الطلب؟');
    const conversationId = (await chat.conversationId())!;
    const texts = async () => (await db.select({ text: messages.text }).from(messages).where(eq(messages.conversationId, conversationId))).filter((m) => m.text !== null).length;

    now = new Date(start.getTime() + 29 * DAY);
    expect(await runRetention()).toMatchObject({ messagesAnonymised: 0 });
    expect(await texts()).toBeGreaterThan(2);
    now = new Date(start.getTime() + 31 * DAY);
    expect((await runRetention()).messagesAnonymised).toBeGreaterThan(2);
    expect(await texts()).toBe(0);
  });

  it('clears an intake abandoned in a bot conversation once idle for the message period, and not one with a message waiting', async () => {
    now = new Date();
    const start = now;
    const db = wasl.database.db;
    const stateOf = async (id: number) => (await db.select({ state: conversations.state }).from(conversations).where(eq(conversations.id, id)))[0]!.state;
    const abandoned = wasl.chat();
    for (const line of ['السلام عليكم', '1', 'نورة سعد عبدالله الشهري', '1101234563', '0551234567', 'جدة', 'الصفا', '4', '1800', '2', '3', 'زوجي متوفى والإيجار متأخر ثلاثة أشهر']) {
      await abandoned.say(line);
    }
    const abandonedId = (await abandoned.conversationId())!;
    const held = parseConversationState(await stateOf(abandonedId));
    expect(held.frame?.data).toMatchObject({ name: 'نورة سعد عبدالله الشهري', mobile: expect.stringContaining('551234567') });
    expect(held.frame?.sealed.nationalId).toBeTruthy();
    // The pipeline has yet to process this one's latest message: it is not idle, whatever the age of the rest.
    const waiting = wasl.chat();
    for (const line of ['السلام عليكم', '1', 'سارة محمد علي القحطاني']) await waiting.say(line);
    const waitingId = (await waiting.conversationId())!;
    await db.insert(messages).values({ conversationId: waitingId, direction: 'in', channel: 'cli', author: 'beneficiary', text: '2000000006', status: 'received' });

    now = new Date(start.getTime() + 29 * DAY);
    await runRetention();
    expect(parseConversationState(await stateOf(abandonedId)).frame?.data.name).toBe('نورة سعد عبدالله الشهري');

    now = new Date(start.getTime() + 31 * DAY);
    expect((await runRetention()).idleConversationStatesCleared).toBeGreaterThanOrEqual(1);
    const cleared = await stateOf(abandonedId);
    expect(parseConversationState(cleared).frame).toBeNull();
    expect(Object.keys(cleared as object).filter((k) => k !== 'language')).toEqual([]);
    expect(parseConversationState(await stateOf(waitingId)).frame?.data.name).toBe('سارة محمد علي القحطاني');
    expect((await db.select({ status: conversations.status }).from(conversations).where(eq(conversations.id, abandonedId)))[0]!.status).toBe('bot');

    // Back after months, the beneficiary starts at the menu.
    expect((await abandoned.say('السلام عليكم')).join('\n')).toContain('كيف نقدر نخدمك اليوم');
  });
});
