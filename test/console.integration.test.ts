/**
 * The staff console over real HTTP, on a real PostgreSQL and Redis, with a beneficiary on the cli channel:
 * claiming (and the claim race), replying through the channel, resolving with a survey, handing back, request
 * status changes told to the beneficiary in their language, routing (female researcher, complaints, caseload),
 * staff notifications to a fake Telegram group, the audit trail, OpenAPI, and inert rendering of hostile text.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { and, eq } from 'drizzle-orm';
import { createSealer } from '../src/identity/sealed-value';
import { auditLog, conversations, messages, requests, surveys } from '../src/store/schema';
import { startTestWasl, waitFor, type TestChat, type TestWasl } from './support/harness';
import { signedIn, type ConsoleClient } from './console-client';

const NATIONAL_ID = '1101234563';

/** A stand-in for the Telegram Bot API: records what the staff notifier posts. */
async function fakeTelegram(): Promise<{ url: string; posts: { path: string; body: any }[]; close(): Promise<void> }> {
  const posts: { path: string; body: any }[] = [];
  const server: Server = createServer((req, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      posts.push({ path: req.url ?? '', body: data ? JSON.parse(data) : null });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true, result: { message_id: posts.length } }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, posts, close: () => new Promise((r) => server.close(() => r())) };
}

/** The console's server-sent events, read as a browser's EventSource would. */
async function openEventStream(base: string, cookie: string): Promise<{ next(match: (e: any) => boolean): Promise<any>; close(): void }> {
  const abort = new AbortController();
  const res = await fetch(`${base}/api/events`, { headers: { cookie, accept: 'text/event-stream' }, signal: abort.signal });
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const seen: any[] = [];
  return {
    async next(match) {
      for (;;) {
        const hit = seen.find(match);
        if (hit) return hit;
        const { value, done } = await reader.read();
        if (done) throw new Error('the event stream ended');
        buffer += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block.split('\n').find((l) => l.startsWith('data: '));
          if (data) seen.push(JSON.parse(data.slice(6)));
        }
      }
    },
    close: () => abort.abort(),
  };
}

describe('staff console', () => {
  let wasl: TestWasl;
  let telegram: Awaited<ReturnType<typeof fakeTelegram>>;
  const db = () => wasl.database.db;

  beforeAll(async () => {
    telegram = await fakeTelegram();
    wasl = await startTestWasl({
      db: 'postgres',
      extraEnv: { STAFF_TELEGRAM_BOT_TOKEN: `123456:${'A'.repeat(35)}`, STAFF_TELEGRAM_CHAT_ID: '-100200300', STAFF_TELEGRAM_API_ROOT: telegram.url },
      // The safety-net poll never runs here: escalations, notices and live events must arrive by push.
      options: { consoleWatchEveryMs: 3_600_000 },
    });
  }, 180_000);
  afterAll(async () => {
    await wasl?.stop();
    await telegram?.close();
  });

  /** A beneficiary who asked for a person; resolves once the console sees the conversation waiting. */
  async function escalated(text = 'موظف'): Promise<{ chat: TestChat; conversationId: number }> {
    const chat = wasl.chat();
    await chat.say('السلام عليكم');
    await chat.say(text);
    const conversationId = (await chat.conversationId())!;
    await waitFor('the conversation to wait for a researcher', async () => {
      const [c] = await db().select().from(conversations).where(eq(conversations.id, conversationId));
      return c?.status === 'waiting';
    });
    return { chat, conversationId };
  }

  it('two concurrent claims: exactly one wins, the other gets a clear 409', async () => {
    const { conversationId } = await escalated();
    const a = await signedIn(db(), wasl.url!, { role: 'researcher' });
    const b = await signedIn(db(), wasl.url!, { role: 'researcher' });
    const results = await Promise.all([a.client.post(`/api/conversations/${conversationId}/claim`), b.client.post(`/api/conversations/${conversationId}/claim`)]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    const loser = results.find((r) => r.status === 409)!;
    expect(loser.body.code).toBe('CONV_ERR_ALREADY_CLAIMED');
    expect(loser.body.error).toMatch(/already claimed/);
    const [c] = await db().select().from(conversations).where(eq(conversations.id, conversationId));
    expect(c!.status).toBe('human');
    expect([a.id, b.id]).toContain(c!.assigneeStaffId);
  });

  it('a reply reaches the beneficiary through their channel; resolving schedules the survey', async () => {
    const { chat, conversationId } = await escalated();
    await chat.replies();
    const r = await signedIn(db(), wasl.url!, { role: 'researcher' });
    expect((await r.client.post(`/api/conversations/${conversationId}/claim`)).status).toBe(200);
    // While a researcher holds the chat the bot is silent.
    expect(await chat.say('متى يردون علي؟')).toEqual([]);

    const sent = await r.client.post(`/api/conversations/${conversationId}/reply`, { text: 'أهلًا، معك الباحثة أمل. كيف أساعدك؟' });
    expect(sent.status).toBe(201);
    expect(await chat.replies()).toEqual(['أهلًا، معك الباحثة أمل. كيف أساعدك؟']);
    const [row] = await db().select().from(messages).where(eq(messages.id, sent.body.messageId));
    expect(row).toMatchObject({ author: 'staff', staffId: r.id, status: 'sent', direction: 'out' });

    // The conversation view: history with delivery status, the handoff reason; the view is audited.
    const view = await r.client.get(`/api/conversations/${conversationId}`);
    expect(view.status).toBe(200);
    expect(view.body.conversation.handoffReason).toBe('requested');
    expect(view.body.history.some((m: any) => m.author === 'staff' && m.status === 'sent')).toBe(true);
    const viewed = await db().select().from(auditLog).where(and(eq(auditLog.action, 'conversation.view'), eq(auditLog.staffId, r.id)));
    expect(viewed[0]?.beneficiaryId).toBe(view.body.conversation.beneficiary.id);

    // Resolving without a survey needs a reason.
    expect((await r.client.post(`/api/conversations/${conversationId}/resolve`, { survey: false })).status).toBe(400);
    const resolved = await r.client.post(`/api/conversations/${conversationId}/resolve`, { survey: true });
    expect(resolved.status).toBe(200);
    expect(resolved.body).toMatchObject({ status: 'resolved', surveyScheduled: true });
    const [c] = await db().select().from(conversations).where(eq(conversations.id, conversationId));
    expect(c!.resolvedAt).toBeInstanceOf(Date);
    const [survey] = await db().select().from(surveys).where(and(eq(surveys.subjectKind, 'conversation'), eq(surveys.subjectId, String(conversationId))));
    expect(survey).toMatchObject({ status: 'scheduled', staffId: r.id });
  });

  it('hands a chat back to the bot, which tells the beneficiary and answers again', async () => {
    const { chat, conversationId } = await escalated();
    await chat.replies();
    const r = await signedIn(db(), wasl.url!, { role: 'researcher' });
    await r.client.post(`/api/conversations/${conversationId}/claim`);
    expect((await r.client.post(`/api/conversations/${conversationId}/hand-back`, { flow: 'nope' })).body.code).toBe('CONSOLE_ERR_INVALID');
    const back = await r.client.post(`/api/conversations/${conversationId}/hand-back`, {});
    expect(back.body).toMatchObject({ status: 'bot', assigneeStaffId: null });
    expect((await chat.replies()).join()).toContain('الخدمة الآلية');
    expect((await chat.say('السلام عليكم')).join()).toContain('أهلًا وسهلًا');
  });

  it('handing back into a flow sends its first question at once; the next answer continues that flow', async () => {
    const { chat, conversationId } = await escalated();
    await chat.replies();
    const r = await signedIn(db(), wasl.url!, { role: 'researcher' });
    await r.client.post(`/api/conversations/${conversationId}/claim`);
    const back = await r.client.post(`/api/conversations/${conversationId}/hand-back`, { flow: 'update-data' });
    expect(back.body).toMatchObject({ status: 'bot', assigneeStaffId: null });
    // Without the beneficiary writing anything: the notice, then the flow's first question with its choices.
    const sent = await chat.replies();
    expect(sent).toHaveLength(2);
    expect(sent[0]).toContain('الخدمة الآلية');
    expect(sent[1]).toContain('ما الذي تغيّر؟');
    expect(sent[1]).toContain('رقم الجوال');
    const [c] = await db().select().from(conversations).where(eq(conversations.id, conversationId));
    expect(c!.state).toMatchObject({ frame: { flow: 'update-data', step: 'ask-what-changed' } });
    // The next message answers that question (by its number), not the main menu.
    await chat.say('1');
    const [after] = await db().select().from(conversations).where(eq(conversations.id, conversationId));
    expect((after!.state as any).frame).toMatchObject({ flow: 'update-data', data: { changed: 'phone' } });
  });

  it('internal notes are kept on the record and never sent', async () => {
    const { chat, conversationId } = await escalated();
    await chat.replies();
    const r = await signedIn(db(), wasl.url!, { role: 'researcher' });
    const note = await r.client.post(`/api/conversations/${conversationId}/notes`, { text: 'الأسرة تحتاج زيارة ميدانية' });
    expect(note.status).toBe(201);
    const view = await r.client.get(`/api/conversations/${conversationId}`);
    expect(view.body.notes.map((n: any) => n.text)).toEqual(['الأسرة تحتاج زيارة ميدانية']);
    expect(await chat.replies()).toEqual([]);
  });

  it('routing: a female researcher was asked for, complaints go to the team, caseload limits hold', async () => {
    const { conversationId } = await escalated('ابي باحثة');
    const male = await signedIn(db(), wasl.url!, { role: 'researcher', gender: 'male' });
    const female = await signedIn(db(), wasl.url!, { role: 'researcher', gender: 'female', caseloadLimit: 1 });
    // "ابي باحثة" says it already: saved with the handoff, not asked again.
    const [asked] = await db().select().from(conversations).where(eq(conversations.id, conversationId));
    expect(asked!.researcherGender).toBe('female');
    const refused = await male.client.post(`/api/conversations/${conversationId}/claim`);
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('ROUTING_ERR_FEMALE_REQUESTED');
    expect((await female.client.post(`/api/conversations/${conversationId}/claim`)).status).toBe(200);

    // Her caseload limit is one chat.
    const other = await escalated();
    const full = await female.client.post(`/api/conversations/${other.conversationId}/claim`);
    expect(full.status).toBe(409);
    expect(full.body.code).toBe('CONV_ERR_CASELOAD_FULL');
    // Transfer honours the preference too.
    const transfer = await female.client.post(`/api/conversations/${conversationId}/transfer`, { toStaffId: male.id });
    expect(transfer.status).toBe(409);
    expect(transfer.body.code).toBe('ROUTING_ERR_FEMALE_REQUESTED');

    // A complaint is for the complaints team or a supervisor.
    const complaint = await escalated('موظف');
    await db().update(conversations).set({ handoffReason: 'complaint', handoffPriority: 'high' }).where(eq(conversations.id, complaint.conversationId));
    expect((await male.client.post(`/api/conversations/${complaint.conversationId}/claim`)).body.code).toBe('ROUTING_ERR_COMPLAINTS_TEAM');
    const team = await signedIn(db(), wasl.url!, { role: 'researcher', team: 'complaints' });
    expect((await team.client.post(`/api/conversations/${complaint.conversationId}/claim`)).status).toBe(200);
  });

  it('the beneficiary chooses a female researcher in the chat: a male researcher’s claim is refused, a female’s succeeds', async () => {
    const chat = wasl.chat();
    await chat.say('السلام عليكم');
    const offered = (await chat.say('موظف')).join('\n');
    expect(offered).toContain('باحثة أم باحث');
    const conversationId = (await chat.conversationId())!;
    expect(await chat.say('1')).toEqual([expect.stringContaining('سجّلنا اختيارك')]);
    const [c] = await db().select().from(conversations).where(eq(conversations.id, conversationId));
    expect(c).toMatchObject({ status: 'waiting', researcherGender: 'female' });

    const male = await signedIn(db(), wasl.url!, { role: 'researcher', gender: 'male' });
    const female = await signedIn(db(), wasl.url!, { role: 'researcher', gender: 'female' });
    const refused = await male.client.post(`/api/conversations/${conversationId}/claim`);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'ROUTING_ERR_FEMALE_REQUESTED', error: 'the beneficiary asked for a female researcher' });
    // The console shows the preference.
    const page = await female.client.get(`/console/conversations/${conversationId}`);
    expect(page.text).toMatch(/id="conv-preference" data-gender="female"/);
    expect((await female.client.post(`/api/conversations/${conversationId}/claim`)).status).toBe(200);

    // A male-researcher preference is honoured the same way.
    const second = await escalated('موظف');
    await second.chat.replies();
    await second.chat.say('باحث');
    const femaleRefused = await female.client.post(`/api/conversations/${second.conversationId}/claim`);
    expect(femaleRefused.body.code).toBe('ROUTING_ERR_MALE_REQUESTED');
    expect((await male.client.post(`/api/conversations/${second.conversationId}/claim`)).status).toBe(200);
  });

  it('an escalation is pushed to the console live stream (no polling) and a held chat’s new message too', async () => {
    const r = await signedIn(db(), wasl.url!, { role: 'researcher' });
    const stream = await openEventStream(wasl.url!, r.client.cookieHeader());
    try {
      const { chat, conversationId } = await escalated('موظف');
      const event = await stream.next((e) => e.type === 'conversation.escalated' && e.conversationId === conversationId);
      expect(event).toMatchObject({ queue: 'shared', priority: 'normal' });
      await chat.replies();
      await r.client.post(`/api/conversations/${conversationId}/claim`);
      await chat.post('هل من جديد؟');
      await stream.next((e) => e.type === 'message.received' && e.conversationId === conversationId);
    } finally {
      stream.close();
    }
  });

  it('an escalation is announced to the staff Telegram group without the beneficiary’s words', async () => {
    const { conversationId } = await escalated('ابغى اكلم موظف');
    const post = await waitFor('the staff group notice', async () => telegram.posts.find((p) => String(p.body?.text).includes(`#${conversationId}`)));
    expect(post.path).toMatch(/\/bot123456:A+\/sendMessage$/);
    expect(post.body.chat_id).toBe('-100200300');
    expect(post.body.text).toContain(`/console/conversations/${conversationId}`);
    expect(post.body.text).not.toContain('ابغى اكلم موظف');
  });

  describe('requests', () => {
    async function requestFor(chat: TestChat): Promise<number> {
      const conversationId = (await chat.conversationId())!;
      const [c] = await db().select().from(conversations).where(eq(conversations.id, conversationId));
      const sealer = createSealer('a'.repeat(64));
      const [r] = await db()
        .insert(requests)
        .values({
          referenceNumber: `REQ-${Math.floor(Math.random() * 1e8)}`,
          beneficiaryId: c!.beneficiaryId,
          contactId: c!.contactId,
          conversationId,
          type: 'food-basket',
          answers: { name: 'محمد عبدالله', nationalIdMasked: '******4563' },
          nationalIdSealed: sealer.seal(NATIONAL_ID),
          nationalIdHash: sealer.hash(NATIONAL_ID),
          attestation: { text: 'أقر', language: 'ar', channel: 'cli', at: new Date().toISOString() },
          dueDate: '2020-01-01',
        })
        .returning({ id: requests.id });
      return r!.id;
    }

    it('a status change reaches the beneficiary in Arabic, with the history and an overdue flag', async () => {
      const chat = wasl.chat();
      await chat.say('السلام عليكم');
      const requestId = await requestFor(chat);
      const r = await signedIn(db(), wasl.url!, { role: 'researcher' });
      const list = await r.client.get('/api/requests?overdue=true');
      expect(list.body.requests.find((x: any) => x.id === requestId)).toMatchObject({ overdue: true });

      const changed = await r.client.post(`/api/requests/${requestId}/status`, { status: 'needs-info', reason: 'صورة عقد الإيجار' });
      expect(changed.status).toBe(200);
      const told = (await chat.replies()).join('\n');
      expect(told).toContain('نحتاج منك');
      expect(told).toContain('صورة عقد الإيجار');
      const detail = await r.client.get(`/api/requests/${requestId}`);
      expect(detail.body.history).toEqual([expect.objectContaining({ from: 'submitted', to: 'needs-info', reason: 'صورة عقد الإيجار' })]);
      expect(detail.body.nationalIdMasked).toBe('******4563');
      expect(JSON.stringify(detail.body)).not.toContain(NATIONAL_ID);
    });

    it('tells an English-speaking beneficiary in English, in a new conversation if theirs was closed', async () => {
      const chat = wasl.chat();
      await chat.say('English');
      await chat.replies();
      const requestId = await requestFor(chat);
      const conversationId = (await chat.conversationId())!;
      await db().update(conversations).set({ status: 'resolved', resolvedAt: new Date() }).where(eq(conversations.id, conversationId));
      const s = await signedIn(db(), wasl.url!, { role: 'supervisor' });
      expect((await s.client.post(`/api/requests/${requestId}/status`, { status: 'approved', reason: 'committee decision 12' })).status).toBe(200);
      expect((await chat.replies()).join()).toMatch(/has been approved/);
      expect(await chat.conversationId()).not.toBe(conversationId);
      // "served" schedules the satisfaction survey of the request.
      await s.client.post(`/api/requests/${requestId}/status`, { status: 'served', reason: 'basket delivered' });
      const [survey] = await db().select().from(surveys).where(and(eq(surveys.subjectKind, 'request'), eq(surveys.subjectId, String(requestId))));
      expect(survey?.status).toBe('scheduled');
    });

    it('national IDs: researchers cannot reveal them; a supervisor can, and it is audited', async () => {
      const chat = wasl.chat();
      await chat.say('السلام عليكم');
      const requestId = await requestFor(chat);
      const [req] = await db().select().from(requests).where(eq(requests.id, requestId));
      const researcher = await signedIn(db(), wasl.url!, { role: 'researcher' });
      const supervisor = await signedIn(db(), wasl.url!, { role: 'supervisor' });
      const record = await researcher.client.get(`/api/beneficiaries/${req!.beneficiaryId}`);
      expect(record.body.nationalIdMasked).toBe('******4563');
      expect((await researcher.client.post(`/api/beneficiaries/${req!.beneficiaryId}/national-id/reveal`, {})).status).toBe(403);
      const revealed = await supervisor.client.post(`/api/beneficiaries/${req!.beneficiaryId}/national-id/reveal`, { reason: 'committee check' });
      expect(revealed.body.nationalId).toBe(NATIONAL_ID);
      const audit = await db().select().from(auditLog).where(and(eq(auditLog.action, 'national-id.reveal'), eq(auditLog.staffId, supervisor.id)));
      expect(audit[0]).toMatchObject({ beneficiaryId: req!.beneficiaryId, subjectKind: 'beneficiary' });
      // Search by reference number finds the record.
      const found = await researcher.client.get(`/api/beneficiaries?q=${encodeURIComponent(req!.referenceNumber)}`);
      expect(found.body.beneficiaries.map((b: any) => b.id)).toContain(req!.beneficiaryId);
      // An off-line contact joins the same record.
      expect((await researcher.client.post(`/api/beneficiaries/${req!.beneficiaryId}/offline-contacts`, { kind: 'phone-call', summary: 'اتصل يسأل عن موعد اللجنة' })).status).toBe(201);
      expect((await researcher.client.get(`/api/beneficiaries/${req!.beneficiaryId}`)).body.offlineContacts[0]).toMatchObject({ kind: 'phone-call' });
    });
  });

  it('roles: per-staff ratings and other people’s audit trail are for supervisors', async () => {
    const researcher = await signedIn(db(), wasl.url!, { role: 'researcher' });
    const supervisor = await signedIn(db(), wasl.url!, { role: 'supervisor' });
    expect((await researcher.client.get('/api/staff/ratings')).status).toBe(403);
    expect((await researcher.client.get(`/api/audit?staffId=${supervisor.id}`)).status).toBe(403);
    const own = await researcher.client.get('/api/audit');
    expect(own.status).toBe(200);
    expect(own.body.entries.every((e: any) => e.staffId === researcher.id)).toBe(true);
    expect((await supervisor.client.get('/api/staff/ratings')).status).toBe(200);
    expect((await supervisor.client.get(`/api/audit?staffId=${researcher.id}`)).status).toBe(200);
  });

  it('hostile beneficiary text is stored as sent and rendered inert', async () => {
    const { chat, conversationId } = await escalated();
    const payloads = ['<script>alert("x")</script>', '<img src=x onerror=alert(1)>', 'abc\u202Egnp.exe'];
    for (const p of payloads) await chat.post(p);
    await chat.replies();
    const r = await signedIn(db(), wasl.url!, { role: 'researcher' });
    const api = await r.client.get(`/api/conversations/${conversationId}`);
    expect(api.body.history.map((m: any) => m.text)).toEqual(expect.arrayContaining(payloads));
    const page = await r.client.get(`/console/conversations/${conversationId}`);
    expect(page.status).toBe(200);
    expect(page.text).not.toContain('<script>alert');
    expect(page.text).not.toContain('<img src=x');
    expect(page.text).toContain('&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;');
    expect(page.text).toContain('&#60;img src=x onerror=alert(1)&#62;');
    expect(page.text).not.toContain('\u202E');
    expect(page.text).toContain('abcgnp.exe');
    const inbox = await r.client.get('/console?view=open');
    expect(inbox.text).not.toContain('\u202E');
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
  });

  it('documents the API as OpenAPI generated from the zod schemas', async () => {
    const r = await signedIn(db(), wasl.url!, { role: 'researcher' });
    const doc = await r.client.get('/api/openapi.json');
    expect(doc.body.openapi).toBe('3.1.0');
    expect(doc.body.paths['/api/conversations/{id}/claim'].post.summary).toMatch(/409/);
    expect(doc.body.paths['/api/requests/{id}/status'].post.requestBody.content['application/json'].schema.properties.status.enum).toContain('approved');
  });

  it('API tokens act for their owner without cookies or CSRF', async () => {
    const r = await signedIn(db(), wasl.url!, { role: 'researcher' });
    const created = await r.client.post('/api/me/api-tokens', { name: 'crm' });
    expect(created.body.token).toMatch(/^wasl_/);
    const res = await fetch(`${wasl.url}/api/conversations?view=open`, { headers: { authorization: `Bearer ${created.body.token}` } });
    expect(res.status).toBe(200);
    const bad = await fetch(`${wasl.url}/api/conversations`, { headers: { authorization: 'Bearer wasl_nope' } });
    expect(bad.status).toBe(401);
  });
});
