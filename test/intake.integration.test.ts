/**
 * A whole support request in Arabic, from a greeting to a reference number, through the real pipeline, on the
 * embedded PGlite and on a PostgreSQL server — plus the field checks the policy's step 2 requires.
 */
import { eq, like } from 'drizzle-orm';
import { beneficiaries, conversations, messages, requests, requestStatusHistory } from '../src/store/schema';
import { createSealer } from '../src/identity/sealed-value';
import { dbKinds, startTestWasl, type TestWasl } from './support/harness';

const NATIONAL_ID = '1101234563';

describe.each(dbKinds)('intake on %s', (db) => {
  let wasl: TestWasl;
  beforeAll(async () => {
    wasl = await startTestWasl({ db });
  });
  afterAll(() => wasl?.stop());

  it('takes a beneficiary from a greeting to a reference number and an honest decision date', async () => {
    const chat = wasl.chat();
    const welcome = (await chat.say('السلام عليكم')).join('\n');
    expect(welcome).toContain('جمعية بر الخوار');
    expect(welcome).toMatch(/1\. تقديم طلب/);

    // Free text picks the option, not only the digit.
    const intro = (await chat.say('ابي اقدم طلب مساعدة')).join('\n');
    expect(intro).toContain('اسمك الرباعي');

    expect((await chat.say('محمد عبدالله سعد الحربي')).join()).toContain('الهوية');
    expect((await chat.say(NATIONAL_ID)).join()).toContain('جوال');
    expect((await chat.say('٠٥٠١٢٣٤٥٦٧')).join()).toContain('مدينة');
    await chat.say('خليص');
    expect((await chat.say('حي الشرق')).join()).toContain('أفراد');
    expect((await chat.say('٦ افراد')).join()).toContain('دخل');
    expect((await chat.say('٢٬٥٠٠ ريال')).join()).toContain('السكن');
    expect((await chat.say('ايجار')).join()).toContain('نوع الدعم');
    expect((await chat.say('1')).join()).toContain('صف');
    const review = (await chat.say('فقد الأب عمله قبل ثلاثة أشهر والأسرة تحتاج مساعدة في الغذاء')).join('\n');
    expect(review).toContain('******4563');
    expect(review).not.toContain(NATIONAL_ID);
    expect(review).toContain('+966501234567');
    expect(review).toContain('2500');

    // Correct one answer from the review, then come back to the review.
    expect((await chat.say('6')).join()).toContain('أفراد');
    const reviewAgain = (await chat.say('7')).join('\n');
    expect(reviewAgain).toMatch(/6\. .*: 7/);

    const attestation = (await chat.say('نعم')).join('\n');
    expect(attestation).toContain('أقر');
    const submitted = (await chat.say('أقر وأوافق')).join('\n');
    const reference = /REQ-\d{5,}/.exec(submitted)?.[0];
    expect(reference).toBeDefined();
    expect(submitted).toContain('لا تقل عن');
    expect(submitted).toMatch(/\d{4} هـ/); // Hijri year
    expect(submitted).toMatch(/20\d\d/); // Gregorian year

    const [request] = await wasl.database.db.select().from(requests).where(eq(requests.referenceNumber, reference!));
    expect(request).toMatchObject({ type: 'food-basket', status: 'submitted' });
    expect(request!.answers).toMatchObject({ name: 'محمد عبدالله سعد الحربي', mobile: '+966501234567', familySize: 7, monthlyIncome: 2500, housing: 'rented' });
    // The national ID is sealed: readable with the key, absent in clear from every row we wrote.
    expect(createSealer('a'.repeat(64)).open(request!.nationalIdSealed)).toBe(NATIONAL_ID);
    expect(JSON.stringify(request!.answers)).not.toContain(NATIONAL_ID);
    const leaked = await wasl.database.db.select({ id: messages.id }).from(messages).where(like(messages.text, `%${NATIONAL_ID}%`));
    expect(leaked).toHaveLength(0);
    const convs = await wasl.database.db.select({ state: conversations.state }).from(conversations);
    expect(JSON.stringify(convs)).not.toContain(NATIONAL_ID);
    const [beneficiary] = await wasl.database.db.select().from(beneficiaries).where(eq(beneficiaries.id, request!.beneficiaryId));
    expect(beneficiary!.mobile).toBe('+966501234567');

    // Policy step 4: the exact declaration, its time and channel.
    const att = request!.attestation as { text: string; channel: string; at: string; language: string };
    expect(att.text).toContain('أقر بأن جميع البيانات المقدمة صحيحة');
    expect(att.channel).toBe('cli');
    expect(att.language).toBe('ar');
    expect(Math.abs(Date.parse(att.at) - Date.now())).toBeLessThan(60_000);
    // Policy step 5: not before the committee's 14 days.
    const days = (Date.parse(request!.dueDate!) - Date.parse(request!.submittedAt.toISOString().slice(0, 10))) / 86_400_000;
    expect(days).toBeGreaterThanOrEqual(14);
    expect(days).toBeLessThanOrEqual(20);
    const history = await wasl.database.db.select().from(requestStatusHistory).where(eq(requestStatusHistory.requestId, request!.id));
    expect(history.map((h) => h.toStatus)).toEqual(['submitted']);

    // Documents later; then the status of the request, asked in dialect with the reference in the text.
    await chat.say('لاحقا');
    const status = (await chat.say(`وش صار على طلبي ${reference}`)).join('\n');
    expect(status).toContain(reference);
    expect(status).toContain('استلام'); // the "submitted" label
  });

  it('re-asks an invalid national ID and an impossible family size, and accepts Arabic-Indic digits', async () => {
    const chat = wasl.chat();
    await chat.say('السلام عليكم');
    await chat.say('1');
    await chat.say('سارة علي محمد القحطاني');
    const badId = (await chat.say('1234567890')).join('\n');
    expect(badId).toContain('غير صحيح');
    expect(badId).toContain('الهوية'); // the question again
    const badIdArabic = (await chat.say('١٢٣٤٥')).join('\n');
    expect(badIdArabic).toContain('غير صحيح');
    expect((await chat.say('٢٠٠٠٠٠٠٠٠٦')).join()).toContain('جوال');
    const badMobile = (await chat.say('0111234567')).join('\n');
    expect(badMobile).toContain('جوال');
    expect((await chat.say('٠٥٥ ١٢٣ ٤٥٦٧')).join()).toContain('مدينة');
    await chat.say('مكة');
    await chat.say('العزيزية');
    for (const impossible of ['0', '٤٥']) {
      const reply = (await chat.say(impossible)).join('\n');
      expect(reply).toContain('أفراد');
      expect(reply).not.toContain('دخل');
    }
    expect((await chat.say('٥')).join()).toContain('دخل');
  });

  it('offers a researcher after repeated answers that do not fit', async () => {
    const chat = wasl.chat();
    await chat.say('مرحبا');
    await chat.say('1');
    await chat.say('خالد فهد العتيبي');
    await chat.say('123');
    await chat.say('456');
    const offer = (await chat.say('789')).join('\n');
    expect(offer).toMatch(/باحث/);
    const handoff = (await chat.say('نعم')).join('\n');
    expect(handoff).toMatch(/باحث/);
    const [conv] = await wasl.database.db.select().from(conversations).where(eq(conversations.id, (await chat.conversationId())!));
    expect(conv!.status).toBe('waiting');
    // While waiting for a human, the bot stays silent.
    expect(await chat.say('هل من أحد؟')).toEqual([]);
  });
});
