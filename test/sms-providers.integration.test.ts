/**
 * Each SMS driver against a fake of its provider's HTTP API: the exact send request the API documents, the
 * webhook's authentication (401 and nothing stored), malformed calls (400), delivery reports, and how provider
 * errors reach the outbound queue (429/5xx retried, other 4xx a permanent failure).
 */
import { and, eq } from 'drizzle-orm';
import { contacts, conversations, messages } from '../src/store/schema';
import { FakeSmsProviders, type FakeSmsProvider } from './fakes/fake-sms-providers';
import { startTestWasl, waitFor, type TestWasl } from './support/harness';

const providers: FakeSmsProvider[] = ['unifonic', 'taqnyat', 'twilio', 'generic'];
let phoneSeq = 0;
/** A fresh valid Saudi mobile for each test, so tests do not see each other's conversations. */
const nextPhone = () => `+9665012345${String(10 + phoneSeq++).padStart(2, '0')}`;

describe.each(providers)('SMS through %s', (provider) => {
  let fake: FakeSmsProviders;
  let wasl: TestWasl;
  beforeAll(async () => {
    fake = await FakeSmsProviders.start();
    wasl = await startTestWasl({ db: 'pglite', extraEnv: { ...fake.env(provider), CLI_CHANNEL_ENABLED: 'false', WEB_CHAT_ENABLED: 'false' } });
  });
  afterAll(async () => {
    await wasl?.stop();
    await fake?.close();
  });

  const outbound = (phone: string) =>
    wasl.database.db
      .select({ id: messages.id, status: messages.status, error: messages.error, providerMessageId: messages.providerMessageId })
      .from(messages)
      .innerJoin(conversations, eq(conversations.id, messages.conversationId))
      .innerJoin(contacts, eq(contacts.id, conversations.contactId))
      .where(and(eq(messages.direction, 'out'), eq(contacts.channelUserId, phone)));

  it('answers an inbound SMS with a send in the documented format, numbered choices included', async () => {
    const phone = nextPhone();
    const res = await fake.deliverInbound(wasl.url!, provider, { from: phone, text: 'السلام عليكم' });
    expect(res.status).toBe(200);
    await wasl.chat(phone).replies();
    const sends = fake.requests.filter((r) => r.to === phone || JSON.stringify(r.body).includes(phone.slice(1)));
    expect(sends.map((s) => s.problem)).toEqual(sends.map(() => undefined));
    expect(sends.length).toBeGreaterThan(0);
    expect(sends[0]!.method).toBe('POST');
    expect(sends[0]!.text).toContain('جمعية بر الخوار');
    expect(sends.map((s) => s.text).join('\n')).toMatch(/^1\. /m);
    // The operator proved the number: it is the contact's verified mobile.
    const [contact] = await wasl.database.db.select().from(contacts).where(and(eq(contacts.channel, 'sms'), eq(contacts.channelUserId, phone)));
    expect(contact!.verifiedMobile).toBe(phone);
  });

  it('refuses a webhook with a bad or missing signature/secret: 401, nothing stored', async () => {
    const phone = nextPhone();
    for (const auth of ['bad', 'none'] as const) {
      const res = await fake.deliverInbound(wasl.url!, provider, { from: phone, text: 'مرحبا', id: `forged-${auth}` }, { auth });
      expect(res.status).toBe(401);
    }
    const stored = await wasl.database.db.select({ id: contacts.id }).from(contacts).where(eq(contacts.channelUserId, phone));
    expect(stored).toHaveLength(0);
  });

  it('refuses a malformed webhook with 400', async () => {
    const res =
      provider === 'twilio'
        ? await fake.postTwilio(wasl.url!, { AccountSid: 'AC1', To: '+15005550006' })
        : await fake.postJson(wasl.url!, provider, { something: 'else' });
    expect(res.status).toBe(400);
    if (provider !== 'twilio') expect((await fake.postJson(wasl.url!, provider, '{not json')).status).toBe(400);
  });

  it('stores a redelivered inbound SMS once', async () => {
    const phone = nextPhone();
    const id = provider === 'twilio' ? 'SM0123456789abcdef0123456789abcdef' : 'dup-1';
    await fake.deliverInbound(wasl.url!, provider, { from: phone, text: 'مرحبا', id });
    await fake.deliverInbound(wasl.url!, provider, { from: phone, text: 'مرحبا', id });
    await wasl.chat(phone).replies();
    const inbound = await wasl.database.db
      .select({ id: messages.id })
      .from(messages)
      .where(and(eq(messages.channel, 'sms'), eq(messages.direction, 'in'), eq(messages.providerMessageId, id)));
    expect(inbound).toHaveLength(1);
  });

  it('applies delivery reports to the message by provider id', async () => {
    const phone = nextPhone();
    await fake.deliverInbound(wasl.url!, provider, { from: phone, text: 'السلام عليكم' });
    await wasl.chat(phone).replies();
    const [sent] = fake.sent(phone);
    expect((await fake.deliverStatus(wasl.url!, provider, sent!.id!, 'delivered')).status).toBe(200);
    const row = await waitFor('the delivered status', async () => (await outbound(phone)).find((m) => m.providerMessageId === sent!.id && m.status === 'delivered'));
    expect(row.error).toBeNull();

    const failedPhone = nextPhone();
    await fake.deliverInbound(wasl.url!, provider, { from: failedPhone, text: 'مرحبا' });
    await wasl.chat(failedPhone).replies();
    const [other] = fake.sent(failedPhone);
    await fake.deliverStatus(wasl.url!, provider, other!.id!, 'failed');
    const failed = await waitFor('the failed status', async () => (await outbound(failedPhone)).find((m) => m.status === 'failed'));
    expect(failed.error).toMatch(/not delivered/);
  });

  it('retries 5xx and 429 (after Retry-After), and fails a 4xx at once', async () => {
    const retried = nextPhone();
    fake.failNext(provider, 503);
    fake.failNext(provider, 429, { headers: { 'retry-after': '1' } });
    await fake.deliverInbound(wasl.url!, provider, { from: retried, text: 'السلام عليكم' });
    await wasl.chat(retried).replies(30_000);
    expect(fake.sent(retried).length).toBeGreaterThan(0);
    expect((await outbound(retried)).every((m) => m.status === 'sent')).toBe(true);

    const refused = nextPhone();
    fake.failNext(provider, 400, { body: { errorCode: 'ER-09', message: 'invalid sender' }, times: 10 });
    await fake.deliverInbound(wasl.url!, provider, { from: refused, text: 'السلام عليكم' });
    await wasl.chat(refused).replies();
    const rows = await outbound(refused);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((m) => m.status === 'failed' && /HTTP 400/.test(m.error ?? ''))).toBe(true);
    // Exactly one attempt per message: a permanent failure is not retried.
    expect(fake.requests.filter((r) => r.status === 400 && !r.problem).length).toBe(rows.length);
    fake.clearFailures();
  });
});
