/**
 * Status on demand, without leaking anyone's request: the applicant sees their own requests at once; anyone
 * else must give the last four digits of the applicant's national ID, and is refused — and eventually locked
 * out — when they cannot.
 */
import { eq } from 'drizzle-orm';
import { auditLog, requests } from '../src/store/schema';
import { submitRequest } from './support/intake-script';
import { dbKinds, startTestWasl, type TestWasl } from './support/harness';

const APPLICANT_ID = '1101234563'; // last four: 4563

describe.each(dbKinds)('status lookup on %s', (db) => {
  let wasl: TestWasl;
  let reference: string;

  beforeAll(async () => {
    wasl = await startTestWasl({ db });
    reference = await submitRequest(wasl.chat('applicant'), APPLICANT_ID);
  });
  afterAll(() => wasl?.stop());

  it('shows the applicant their own request, by reference and as "my requests"', async () => {
    const chat = wasl.chat('applicant');
    const byReference = (await chat.say(`وش صار على طلبي ${reference}`)).join('\n');
    expect(byReference).toContain(reference);
    expect(byReference).toContain('تم استلام الطلب');
    await chat.say('القائمة');
    await chat.say('2');
    const mine = (await chat.say('طلباتي')).join('\n');
    expect(mine).toContain(reference);
    expect(mine).toContain('لديك طلب واحد');
  });

  it('refuses a stranger who fails the identity check, then locks the lookup', async () => {
    const stranger = wasl.chat('stranger');
    await stranger.say('السلام عليكم');
    await stranger.say('2');
    const challenge = (await stranger.say(reference)).join('\n');
    expect(challenge).toContain('آخر 4 أرقام');
    expect(challenge).not.toContain('تم استلام الطلب');

    const wrong = (await stranger.say('1111')).join('\n');
    expect(wrong).toContain('غير مطابقة');
    expect(wrong).not.toContain('تم استلام الطلب');
    await stranger.say('٢٢٢٢');
    const locked = (await stranger.say('3333')).join('\n');
    expect(locked).toContain('خصوصية');
    expect(locked).not.toContain('تم استلام الطلب');

    // Even the right digits are refused now in this conversation.
    await stranger.say('القائمة');
    await stranger.say('2');
    await stranger.say(reference);
    const afterLock = (await stranger.say('4563')).join('\n');
    expect(afterLock).not.toContain('تم استلام الطلب');

    const [row] = await wasl.database.db.select().from(requests).where(eq(requests.referenceNumber, reference));
    expect(row!.identityFailures).toBeGreaterThanOrEqual(3);
    const audits = await wasl.database.db.select().from(auditLog).where(eq(auditLog.subjectId, String(row!.id)));
    expect(audits.filter((a) => a.action === 'request.identity-failed').length).toBeGreaterThanOrEqual(3);
  });

  it('shows the request to a relative who knows the last four digits', async () => {
    const relative = wasl.chat('relative');
    await relative.say('مرحبا');
    await relative.say('2');
    await relative.say(reference);
    const shown = (await relative.say('٤٥٦٣')).join('\n');
    expect(shown).toContain(reference);
    expect(shown).toContain('تم استلام الطلب');
  });
});
