/**
 * A whole support request by SMS, end to end: the operator's webhook → ingest → the real flows on PGlite →
 * the SMS outbound queue → the provider's API (a fake Taqnyat checking each request). The beneficiary gets the
 * short `@sms` variants with numbered choices, and answers with digits or words. Then opting out and back in.
 */
import { and, eq } from 'drizzle-orm';
import { contacts, conversations, messages, requests } from '../src/store/schema';
import { FakeSmsProviders, type FakeSmsProvider } from './fakes/fake-sms-providers';
import { startTestWasl, waitFor, type TestWasl } from './support/harness';

const provider: FakeSmsProvider = 'taqnyat';

/** A beneficiary's phone: sends through the operator's webhook, reads what the provider was asked to deliver. */
class SmsPhone {
  private seen = 0;
  constructor(
    private readonly fake: FakeSmsProviders,
    private readonly wasl: TestWasl,
    readonly number: string,
  ) {}

  async say(text: string): Promise<string[]> {
    const res = await this.fake.deliverInbound(this.wasl.url!, provider, { from: this.number, text });
    if (res.status !== 200) throw new Error(`webhook answered ${res.status}: ${await res.text()}`);
    await this.wasl.chat(this.number).replies(); // waits until every message is processed and sent
    const sent = this.fake.sent(this.number);
    const fresh = sent.slice(this.seen).map((r) => r.text!);
    this.seen = sent.length;
    return fresh;
  }
}

describe('SMS end to end', () => {
  let fake: FakeSmsProviders;
  let wasl: TestWasl;
  beforeAll(async () => {
    fake = await FakeSmsProviders.start();
    wasl = await startTestWasl({ db: 'pglite', extraEnv: { ...fake.env(provider), WEB_CHAT_ENABLED: 'false' } });
  });
  afterAll(async () => {
    await wasl?.stop();
    await fake?.close();
  });

  const sms = (key: string, lang: 'ar' | 'en' = 'ar') => wasl.content.templates.render(key, lang, {}, 'sms');

  it('takes a beneficiary through the whole intake with short SMS texts and numbered choices', async () => {
    const phone = new SmsPhone(fake, wasl, '+966551230001');
    const welcome = (await phone.say('السلام عليكم')).join('\n');
    expect(welcome).toContain('جمعية بر الخوار');
    expect(welcome).toMatch(/^1\. تقديم طلب/m);

    const intro = (await phone.say('1')).join('\n');
    expect(intro).toContain(sms('intake.intro'));
    expect(intro).toContain(sms('intake.ask-name'));
    expect(intro).not.toContain(wasl.content.templates.render('intake.ask-name', 'ar', {}));

    expect(await phone.say('نورة سعد عبدالله الشهري')).toEqual([sms('intake.ask-national-id')]);
    expect(await phone.say('1101234563')).toEqual([sms('intake.ask-mobile')]);
    expect(await phone.say('0551230001')).toEqual([sms('intake.ask-city')]);
    await phone.say('جدة');
    expect((await phone.say('الصفا')).join()).toContain(sms('intake.ask-family-size'));
    await phone.say('4');
    const housing = (await phone.say('1800')).join('\n');
    expect(housing).toContain(sms('intake.ask-housing'));
    expect(housing).toMatch(/^2\. /m);
    // A word works as well as a digit.
    expect((await phone.say('ايجار')).join('\n')).toContain(sms('intake.ask-support-type'));
    await phone.say('3');
    const review = (await phone.say('زوجي متوفى والإيجار متأخر ثلاثة أشهر')).join('\n');
    expect(review).toContain('******4563');
    expect(review).not.toContain('1101234563');
    await phone.say('نعم');
    const submitted = (await phone.say('1')).join('\n');
    const reference = /REQ-\d+/.exec(submitted)?.[0];
    expect(reference).toBeDefined();
    expect(submitted).toContain(`استلمنا طلبك رقم ${reference}`);

    const [request] = await wasl.database.db.select().from(requests).where(eq(requests.referenceNumber, reference!));
    expect((request!.attestation as { channel: string }).channel).toBe('sms');
    // Every request the fake received matched Taqnyat's documented API.
    expect(fake.requests.filter((r) => r.problem)).toEqual([]);
    expect(fake.sent('+966551230001').every((r) => (r.body.recipients as string[])[0] === '966551230001')).toBe(true);
  });

  it('honours إيقاف/STOP once, sends nothing afterwards, and resumes on اشتراك', async () => {
    const phone = new SmsPhone(fake, wasl, '+966551230002');
    expect((await phone.say('السلام عليكم')).length).toBeGreaterThan(0);

    expect(await phone.say('إيقاف')).toEqual([sms('sms.opted-out')]);
    const contact = async () =>
      (await wasl.database.db.select().from(contacts).where(and(eq(contacts.channel, 'sms'), eq(contacts.channelUserId, phone.number))))[0]!;
    expect((await contact()).optedOut).toBe(true);

    expect(await phone.say('مرحبا')).toEqual([]);
    expect(await phone.say('STOP')).toEqual([]); // confirmed once only
    expect(await phone.say('1')).toEqual([]);

    // The send path itself refuses the number: a reply queued by anyone (a researcher, a survey) is skipped, and says why.
    const c = await contact();
    const [conv] = await wasl.database.db.select().from(conversations).where(eq(conversations.contactId, c.id));
    const [queued] = await wasl.database.db
      .insert(messages)
      .values({ conversationId: conv!.id, direction: 'out', channel: 'sms', author: 'staff', text: 'تذكير', payload: { choices: [], language: 'ar' }, status: 'queued' })
      .returning({ id: messages.id });
    await wasl.queues.enqueueSend({ channel: 'sms', id: queued!.id, conversationId: conv!.id });
    const failed = await waitFor('the refused send', async () => {
      const [m] = await wasl.database.db.select().from(messages).where(eq(messages.id, queued!.id));
      return m!.status === 'skipped' ? m : null;
    });
    expect(failed.error).toMatch(/opted out/);
    expect(fake.sent(phone.number).map((r) => r.text)).not.toContain('تذكير');

    // Kept for staff, never shown to the engine.
    const kept = await wasl.database.db
      .select({ text: messages.text, status: messages.status })
      .from(messages)
      .where(and(eq(messages.conversationId, conv!.id), eq(messages.direction, 'in')));
    expect(kept.filter((m) => ['مرحبا', 'STOP', '1'].includes(m.text ?? '')).every((m) => m.status === 'processed')).toBe(true);

    expect(await phone.say('اشتراك')).toEqual([sms('sms.opted-in')]);
    expect((await contact()).optedOut).toBe(false);
    expect((await phone.say('السلام عليكم')).join('\n')).toMatch(/^1\. /m);
  });

  it('records a first-ever STOP from an unknown number and confirms in its language', async () => {
    const phone = new SmsPhone(fake, wasl, '+966551230003');
    expect(await phone.say('STOP')).toEqual([sms('sms.opted-out', 'en')]);
    const [c] = await wasl.database.db.select().from(contacts).where(eq(contacts.channelUserId, phone.number));
    expect(c).toMatchObject({ channel: 'sms', optedOut: true, verifiedMobile: phone.number });
    expect(await phone.say('Hello?')).toEqual([]);
  });
});
