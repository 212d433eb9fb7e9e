/**
 * The console's data-request pages over real HTTP, as a browser posts them (form-encoded, the session's CSRF
 * token in `_csrf`), on PostgreSQL and Redis: who may open them, the list (overdue first), hostile text escaped,
 * each action's effect in the database, the audit log and the beneficiary's chat, the erasure's second step,
 * and a 409 page when a request was closed meanwhile (here: through the JSON API).
 */
import { and, eq, sql } from 'drizzle-orm';
import { auditLog, beneficiaries, contacts, dataRequests, messages, requests } from '../src/store/schema';
import { ConsoleClient, signedIn, type ConsoleResponse } from './console-client';
import { ATTESTATION_TEXT, seedDataRequests, type DataRequestFixture } from './support/data-request-fixture';
import { startTestWasl, waitFor, type TestWasl } from './support/harness';

/** Posts an HTML form the way the console's pages do. */
async function postForm(client: ConsoleClient, path: string, fields: Record<string, string>, opts: { csrf?: string | null; origin?: string } = {}): Promise<ConsoleResponse> {
  const csrf = opts.csrf === undefined ? client.csrfToken : opts.csrf;
  const body = new URLSearchParams({ ...fields, ...(csrf ? { _csrf: csrf } : {}) }).toString();
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', cookie: client.cookieHeader() };
  if (opts.origin) headers.origin = opts.origin;
  const res = await fetch(`${client.base}${path}`, { method: 'POST', headers, body, redirect: 'manual' });
  return { status: res.status, body: null, headers: res.headers, text: await res.text() };
}

describe('data-request pages on PostgreSQL', () => {
  let wasl: TestWasl;
  let f: DataRequestFixture;
  let supervisor: Awaited<ReturnType<typeof signedIn>>;
  const db = () => wasl.database.db;
  const page = (id: number) => `/console/privacy/requests/${id}`;
  const statusOf = async (id: number) => (await db().select({ s: dataRequests.status }).from(dataRequests).where(eq(dataRequests.id, id)))[0]!.s;
  const audits = (action: string, subjectId: number) =>
    db().select().from(auditLog).where(and(eq(auditLog.action, action), eq(auditLog.subjectId, String(subjectId))));
  const noticeFor = (template: string) =>
    waitFor(template, async () => (await db().select().from(messages).where(and(eq(messages.conversationId, f.conversationId), sql`${messages.payload}->>'template' = ${template}`)))[0]);

  beforeAll(async () => {
    wasl = await startTestWasl({ db: 'postgres' });
    f = await seedDataRequests(db());
    supervisor = await signedIn(db(), wasl.url!, { role: 'supervisor' });
  }, 120_000);
  afterAll(() => wasl?.stop());

  it('is for supervisors and admins: a researcher gets a 403 page and no link, a visitor the sign-in page', async () => {
    const researcher = await signedIn(db(), wasl.url!, { role: 'researcher' });
    const refused = await researcher.client.get('/console/privacy/requests');
    expect(refused.status).toBe(403);
    expect(refused.text).not.toContain('DR-');
    expect((await researcher.client.get(page(f.copyId))).status).toBe(403);
    expect((await researcher.client.get(`${page(f.copyId)}/export`)).status).toBe(403);
    expect((await postForm(researcher.client, `${page(f.copyId)}/reject`, { reason: 'not allowed to' })).status).toBe(403);
    expect((await researcher.client.get('/console')).text).not.toContain('/console/privacy/requests');
    expect((await new ConsoleClient(wasl.url!).get('/console/privacy/requests')).headers.get('location')).toBe('/console/login');

    const admin = await signedIn(db(), wasl.url!, { role: 'admin' });
    expect((await admin.client.get('/console/privacy/requests')).status).toBe(200);
    expect((await supervisor.client.get('/console')).text).toContain('href="/console/privacy/requests"');
    expect(await statusOf(f.copyId)).toBe('open');
  });

  it('lists open requests overdue first and marked, with channel, age and due date, and escapes hostile text', async () => {
    const list = await supervisor.client.get('/console/privacy/requests');
    expect(list.status).toBe(200);
    const rows = [...list.text.matchAll(/<tr data-request-id="(\d+)" data-kind="(\w+)" class="(\w*)">/g)].map((m) => [Number(m[1]), m[2], m[3]]);
    const mine = rows.filter(([id]) => [f.copyId, f.correctionId, f.deletionId].includes(id as number));
    // The copy is 40 days old (past 30): first and marked, then the others oldest first.
    expect(mine).toEqual([[f.copyId, 'copy', 'overdue'], [f.correctionId, 'correction', ''], [f.deletionId, 'deletion', '']]);
    expect(list.text).toContain('تجاوز المهلة النظامية');
    expect(list.text).toContain('<td>40 يومًا</td>');
    expect(list.text).toContain('<td>3 أيام</td>');
    expect(list.text).toContain('<td>يوم واحد</td>');
    expect(list.text).toContain('&#60;img src=x onerror=alert(1)&#62;');
    expect(list.text).not.toContain('<img src=x');
    expect(list.text).not.toContain('\u202E');
    const closed = await supervisor.client.get('/console/privacy/requests?status=closed');
    expect(closed.text).not.toContain(`data-request-id="${f.copyId}"`);
  });

  it('shows what was asked and the consents, escaped, and audits the view', async () => {
    const before = (await audits('data-request.view', f.copyId)).length;
    const res = await supervisor.client.get(page(f.copyId));
    expect(res.status).toBe(200);
    expect(res.text).toContain('ابي نسخة من بياناتي &#60;script&#62;alert(2)&#60;/script&#62;');
    expect(res.text).not.toContain('<script>alert');
    expect(res.text).not.toContain('\u202E');
    expect(res.text).toContain(ATTESTATION_TEXT);
    const standing = /<table class="table" id="consents-standing">([\s\S]*?)<\/table>/.exec(res.text)![1]!;
    expect([...standing.matchAll(/data-purpose="([a-z-]+)" data-answer="(\w+)"/g)].map((m) => `${m[1]}:${m[2]}`)).toEqual([
      'application-processing:granted',
      'committee-review:granted',
      'surveys:withdrawn',
    ]);
    const views = await audits('data-request.view', f.copyId);
    expect(views).toHaveLength(before + 1);
    expect(views.at(-1)).toMatchObject({ staffId: supervisor.id, beneficiaryId: f.beneficiaryId });
  });

  it('refuses a form without the CSRF token or from another origin, and changes nothing', async () => {
    expect((await postForm(supervisor.client, `${page(f.copyId)}/reject`, { reason: 'identity not checked' }, { csrf: null })).status).toBe(403);
    expect((await postForm(supervisor.client, `${page(f.copyId)}/reject`, { reason: 'identity not checked' }, { csrf: 'forged' })).status).toBe(403);
    expect((await postForm(supervisor.client, `${page(f.copyId)}/reject`, { reason: 'identity not checked' }, { origin: 'https://evil.example' })).status).toBe(403);
    expect(await statusOf(f.copyId)).toBe('open');
    expect(await audits('data-request.reject', f.copyId)).toHaveLength(0);
  });

  it('copy: the export downloads (audited), then "sent" closes it and tells the beneficiary', async () => {
    const exported = await supervisor.client.get(`${page(f.copyId)}/export`);
    expect(exported.status).toBe(200);
    expect(exported.headers.get('content-disposition')).toBe(`attachment; filename="DR-${f.copyId}-export.json"`);
    expect(exported.headers.get('content-type')).toContain('application/json');
    expect(exported.body.beneficiary.fullName).toContain('onerror');
    expect(exported.body.consents).toHaveLength(3);
    expect(await audits('data-request.export', f.copyId)).toHaveLength(1);

    const done = await postForm(supervisor.client, `${page(f.copyId)}/complete`, { note: 'sent by e-mail after a call to the mobile on file' });
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe(`${page(f.copyId)}?done=done`);
    expect(await statusOf(f.copyId)).toBe('done');
    expect(await audits('data-request.complete', f.copyId)).toHaveLength(1);
    expect((await noticeFor('data-request.copy-done')).text).toContain(`DR-${f.copyId}`);
    const after = await supervisor.client.get(`${page(f.copyId)}?done=done`);
    expect(after.text).toContain('تم تنفيذ الطلب.');
    expect(after.text).toContain('sent by e-mail after a call to the mobile on file');
    expect(after.text).not.toContain('id="mark-copy-sent"');
  });

  it('correction: a rejected field is shown beside it in the page language; a valid one completes it', async () => {
    const bad = await postForm(supervisor.client, `${page(f.correctionId)}/correction`, { corrected: 'x', verifiedBy: '' });
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/<textarea id="correction-corrected"[^>]*aria-invalid="true"[^>]*>x<\/textarea>\s*<span class="field-error" id="correction-corrected-error">قصير جدًا/);
    expect(bad.text).toContain('id="correction-verifiedBy-error">اختر إحدى القيم المعروضة.');
    await supervisor.client.get('/console/privacy/requests?lang=en');
    const badEn = await postForm(supervisor.client, `${page(f.correctionId)}/correction`, { corrected: 'x', verifiedBy: 'phone-call' });
    expect(badEn.text).toContain('id="correction-corrected-error">Too short: at least 3 characters.');
    await supervisor.client.get('/console/privacy/requests?lang=ar');
    expect(await statusOf(f.correctionId)).toBe('open');

    // The copy's own action does not fit a correction: 409, nothing done.
    expect((await postForm(supervisor.client, `${page(f.correctionId)}/complete`, {})).status).toBe(409);
    const ok = await postForm(supervisor.client, `${page(f.correctionId)}/correction`, { corrected: 'رقم الجوال الجديد <b>0551112223</b>', verifiedBy: 'phone-call', note: '' });
    expect(ok.status).toBe(303);
    const [row] = await db().select().from(dataRequests).where(eq(dataRequests.id, f.correctionId));
    expect(row).toMatchObject({ status: 'done', completedByStaffId: supervisor.id, outcome: { corrected: 'رقم الجوال الجديد <b>0551112223</b>', verifiedBy: 'phone-call' } });
    const [audit] = await audits('data-request.complete', f.correctionId);
    expect(audit!.details).toMatchObject({ kind: 'correction', verifiedBy: 'phone-call' });
    expect(JSON.stringify(audit!.details)).not.toContain('0551112223');
    await noticeFor('data-request.correction-done');
    expect((await supervisor.client.get(page(f.correctionId))).text).toContain('رقم الجوال الجديد &#60;b&#62;0551112223&#60;/b&#62;');
  });

  it('erasure: the hold is shown, a second step must be completed, then the data goes and the hold stays', async () => {
    const shown = await supervisor.client.get(page(f.deletionId));
    expect(shown.text).toContain('id="legal-hold"');
    expect(/<ul id="held-requests">([\s\S]*?)<\/ul>/.exec(shown.text)![1]).toContain(f.heldReference);
    expect(shown.text).toContain(f.decidedReference);
    expect(shown.text).toContain('سجل التدقيق');
    expect(shown.text).toContain(`href="${page(f.deletionId)}/erase"`);

    // "complete" is not how a deletion is carried out from the console: only the confirmed second step erases.
    expect((await postForm(supervisor.client, `${page(f.deletionId)}/complete`, {})).status).toBe(409);
    const confirm = await supervisor.client.get(`${page(f.deletionId)}/erase`);
    expect(confirm.status).toBe(200);
    expect(confirm.text).toContain(f.heldReference);
    const wrong = await postForm(supervisor.client, `${page(f.deletionId)}/erase`, { confirmNumber: 'DR-0' });
    expect(wrong.status).toBe(400);
    expect(wrong.text).toContain('id="erase-confirmNumber-error">الرقم لا يطابق رقم هذا الطلب.');
    expect(wrong.text).toContain('id="erase-identityChecked-error">لا يُحذف شيء قبل التحقق من الهوية.');
    const [still] = await db().select().from(beneficiaries).where(eq(beneficiaries.id, f.beneficiaryId));
    expect(still!.erasedAt).toBeNull();

    // Typed on an Arabic keyboard: Arabic-Indic digits, lower case.
    const digits = String(f.deletionId).replace(/\d/g, (d) => String.fromCharCode(0x0660 + Number(d)));
    const erased = await postForm(supervisor.client, `${page(f.deletionId)}/erase`, { identityChecked: 'on', confirmNumber: ` dr-${digits} ` });
    expect(erased.status).toBe(303);
    const [person] = await db().select().from(beneficiaries).where(eq(beneficiaries.id, f.beneficiaryId));
    expect(person).toMatchObject({ fullName: null, mobile: null });
    expect(person!.erasedAt).not.toBeNull();
    const [held] = await db().select().from(requests).where(eq(requests.referenceNumber, f.heldReference));
    expect((held!.answers as { name?: string }).name).toBe('نورة');
    const [decided] = await db().select().from(requests).where(eq(requests.referenceNumber, f.decidedReference));
    expect((decided!.answers as { name?: string }).name).toBeUndefined();
    expect((await db().select().from(contacts).where(eq(contacts.beneficiaryId, f.beneficiaryId)))[0]!.channelUserId).toMatch(/^erased-/);
    // What staff wrote about the correction is erased with the person; the facts of it stay.
    const [correction] = await db().select().from(dataRequests).where(eq(dataRequests.id, f.correctionId));
    expect(correction!.outcome).toEqual({ verifiedBy: 'phone-call' });
    const [audit] = await audits('data-request.erase', f.deletionId);
    expect(audit).toMatchObject({ staffId: supervisor.id, beneficiaryId: f.beneficiaryId });
    expect(audit!.details).toMatchObject({ held: [f.heldReference] });

    const done = await supervisor.client.get(page(f.deletionId));
    expect(/<dd id="held-after">([\s\S]*?)<\/dd>/.exec(done.text)![1]).toContain(f.heldReference);
    // Confirming again: the request is closed, nothing happens twice.
    const twice = await postForm(supervisor.client, `${page(f.deletionId)}/erase`, { identityChecked: 'on', confirmNumber: `DR-${f.deletionId}` });
    expect(twice.status).toBe(409);
    expect(twice.text).toContain('أُغلق هذا الطلب في أثناء ذلك');
    expect(await audits('data-request.erase', f.deletionId)).toHaveLength(1);
  });

  it('reject: a reason is required, the beneficiary is told it, and a request closed meanwhile answers 409', async () => {
    const g = await seedDataRequests(db());
    const reasonless = await postForm(supervisor.client, `${page(g.copyId)}/reject`, { reason: ' ' });
    expect(reasonless.status).toBe(400);
    expect(reasonless.text).toContain('id="reject-reason-error"');
    const rejected = await postForm(supervisor.client, `${page(g.copyId)}/reject`, { reason: 'لم نتمكن من التحقق من الهوية' });
    expect(rejected.status).toBe(303);
    expect(await statusOf(g.copyId)).toBe('rejected');
    expect((await audits('data-request.reject', g.copyId))[0]!.staffId).toBe(supervisor.id);
    const notice = await waitFor('rejection notice', async () =>
      (await db().select().from(messages).where(and(eq(messages.conversationId, g.conversationId), sql`${messages.payload}->>'template' = 'data-request.rejected'`)))[0],
    );
    expect(notice.text).toContain('لم نتمكن من التحقق من الهوية');

    // Another supervisor closes the correction through the API while this page is open.
    const other = await signedIn(db(), wasl.url!, { role: 'supervisor' });
    expect((await other.client.post(`/api/data-requests/${g.correctionId}/reject`, { reason: 'asked twice' })).status).toBe(200);
    const late = await postForm(supervisor.client, `${page(g.correctionId)}/correction`, { corrected: 'the address', verifiedBy: 'document' });
    expect(late.status).toBe(409);
    expect(late.text).toContain('أُغلق هذا الطلب في أثناء ذلك، ولم يتغيّر شيء.');
    const [row] = await db().select().from(dataRequests).where(eq(dataRequests.id, g.correctionId));
    expect(row).toMatchObject({ status: 'rejected', completedByStaffId: other.id });
  });

  it("shows the standing consent per purpose and its history on the beneficiary's page", async () => {
    const g = await seedDataRequests(db());
    const res = await supervisor.client.get(`/console/beneficiaries/${g.beneficiaryId}`);
    expect(res.status).toBe(200);
    const history = /<table class="table" id="consents-history">([\s\S]*?)<\/table>/.exec(res.text)![1]!;
    expect([...history.matchAll(/data-answer="(\w+)"/g)].map((m) => m[1])).toEqual(['withdrawn', 'granted', 'granted']);
    expect(res.text).toContain('سحب موافقته');
    expect(res.text).toContain('استبيانات الرضا');
  });
});
