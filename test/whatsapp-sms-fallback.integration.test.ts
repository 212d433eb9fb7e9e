/**
 * Time-critical replies by SMS while the WhatsApp session is down, end to end: the fake WhatsApp client goes
 * offline (every reconnect fails), a researcher changes a request's status in the console, and once the session
 * has been down WHATSAPP_SMS_FALLBACK_AFTER_MS the notice goes to the fake Unifonic API — the exact form its API
 * documents, with the `@sms` variant — and is recorded on the message as sent by SMS. A survey queued in the same
 * outage never goes by SMS: it waits, and is delivered on WhatsApp once the session is back; the status notice is
 * not sent a second time there.
 */
import { and, eq } from 'drizzle-orm';
import { writeOutbound } from '../src/conversations/write-outbound';
import { outboundPayloadSchema } from '../src/messages/outbound-message';
import { contacts, messages, requests } from '../src/store/schema';
import { createReplyRenderer } from '../src/templating/render-reply';
import { signedIn } from './console-client';
import { FakeSmsProviders, FAKE_SMS } from './fakes/fake-sms-providers';
import { FakeWhatsappPhone, WhatsappChat, startWhatsappWasl } from './fakes/fake-whatsapp-client';
import { waitFor, type TestWasl } from './support/harness';

const FALLBACK_AFTER_MS = 1500;

describe('WhatsApp → SMS fallback for time-critical replies (fake client, fake Unifonic, PostgreSQL)', () => {
  let wasl: TestWasl;
  let phone: FakeWhatsappPhone;
  let sms: FakeSmsProviders;

  beforeAll(async () => {
    sms = await FakeSmsProviders.start();
    ({ wasl, phone } = await startWhatsappWasl({
      db: 'postgres',
      extraEnv: { ...sms.env('unifonic'), WHATSAPP_SMS_FALLBACK_AFTER_MS: String(FALLBACK_AFTER_MS) },
    }));
    await waitFor('the WhatsApp session', async () => phone.clients[0]?.state === 'ready');
  }, 180_000);
  beforeEach(async () => {
    phone.offline = false;
    await waitFor('the session ready', async () => phone.current.state === 'ready' && (await status()) === 'ready', 20_000);
  });
  afterAll(async () => {
    await wasl?.stop();
    await sms?.close();
  });

  it('sends a status change by SMS after the session has been down long enough; a survey waits for WhatsApp', async () => {
    const db = wasl.database.db;
    const chat = new WhatsappChat(wasl, phone, '966501234567@c.us');
    expect((await chat.say('السلام عليكم')).length).toBeGreaterThan(0);
    const { contact, conversation } = (await chat.conversation())!;
    expect(contact.verifiedMobile).toBe('+966501234567');
    const [request] = await db
      .insert(requests)
      .values({
        referenceNumber: 'BR-1448-00042',
        beneficiaryId: contact.beneficiaryId,
        contactId: contact.id,
        conversationId: conversation.id,
        type: 'food-basket',
        answers: {},
        nationalIdSealed: 'sealed',
        nationalIdHash: 'hash',
        attestation: {},
      })
      .returning();
    const sentBefore = phone.sent.length;

    // The session drops and cannot come back (no network).
    phone.offline = true;
    await phone.current.disconnect('NAVIGATION');
    await waitFor('the session to be down', async () => phone.current.state !== 'ready' && (await status()) !== 'ready');

    const { client } = await signedIn(db, wasl.url!, { role: 'researcher' });
    const changed = await client.post(`/api/requests/${request!.id}/status`, { status: 'approved', reason: 'استوفى الشروط' });
    expect(changed.status).toBe(200);
    const noticeId = changed.body.noticeMessageId as number;

    // A survey prompt queued during the same outage (written as the survey runner writes one).
    const renderer = createReplyRenderer(wasl.content.templates, wasl.content.organisation);
    const surveyText = renderer.text('survey.intro', 'ar', 'whatsapp');
    const survey = await writeOutbound(db, { conversationId: conversation.id, channel: 'whatsapp', author: 'system', staffId: null, text: surveyText, language: 'ar', template: 'survey.intro' });
    await wasl.queues.enqueueSend(survey);

    await waitFor('the SMS', async () => sms.requests.length > 0, 20_000);
    const smsText = renderer.text('request-status.approved', 'ar', 'sms', { referenceNumber: 'BR-1448-00042', reason: 'استوفى الشروط' });
    expect(smsText).toBe('تمت الموافقة على طلبك BR-1448-00042، وسنتصل بك لموعد الخدمة.');
    const [req] = sms.requests;
    expect(req).toMatchObject({ provider: 'unifonic', method: 'POST', path: '/rest/SMS/messages', status: 200 });
    expect(req!.problem).toBeUndefined();
    expect(req!.body).toEqual({
      AppSid: FAKE_SMS.unifonicAppSid,
      SenderID: FAKE_SMS.sender,
      Recipient: '966501234567',
      Body: smsText,
      responseType: 'JSON',
      CorrelationID: `wasl-${noticeId}`,
    });

    // Recorded on the message: it went by SMS, with the text really sent and the provider's id.
    await waitFor('the notice recorded as sent', async () => (await row(noticeId)).status === 'sent');
    const notice = await row(noticeId);
    expect(notice).toMatchObject({ channel: 'sms', text: smsText, providerMessageId: req!.id });
    expect(outboundPayloadSchema.parse(notice.payload).fallback).toEqual({ from: 'whatsapp', reason: 'WhatsApp session down' });

    // The survey is not sent by SMS, and still waits.
    await new Promise((r) => setTimeout(r, FALLBACK_AFTER_MS + 1000));
    expect(sms.requests).toHaveLength(1);
    expect(await row(survey.id)).toMatchObject({ status: 'queued', channel: 'whatsapp' });
    expect(phone.sent.length).toBe(sentBefore);

    // The network comes back: the survey goes on WhatsApp, the notice is not sent again.
    phone.offline = false;
    await waitFor('the survey sent on WhatsApp', async () => (await row(survey.id)).status === 'sent', 40_000);
    const toChat = phone.sent.slice(sentBefore).filter((s) => s.chatId === chat.chatId).map((s) => s.body);
    expect(toChat).toEqual([surveyText]);
    expect(await row(noticeId)).toMatchObject({ channel: 'sms', status: 'sent' });
    expect(sms.requests).toHaveLength(1);
  }, 120_000);

  it('never falls back for a number that opted out of SMS', async () => {
    const db = wasl.database.db;
    const chat = new WhatsappChat(wasl, phone, '966509876543@c.us');
    await chat.say('السلام عليكم');
    const { contact, conversation } = (await chat.conversation())!;
    // The same person stopped SMS earlier («إيقاف»).
    await db.insert(contacts).values({ beneficiaryId: contact.beneficiaryId, channel: 'sms', channelUserId: '+966509876543', verifiedMobile: '+966509876543', optedOut: true });
    const before = sms.requests.length;
    phone.offline = true;
    await phone.current.disconnect('NAVIGATION');
    await waitFor('the session to be down', async () => (await status()) !== 'ready');
    const renderer = createReplyRenderer(wasl.content.templates, wasl.content.organisation);
    const text = renderer.text('request-status.under-review', 'ar', 'whatsapp', { referenceNumber: 'BR-1', reason: '-' });
    const notice = await writeOutbound(db, {
      conversationId: conversation.id,
      channel: 'whatsapp',
      author: 'system',
      staffId: null,
      text,
      language: 'ar',
      template: 'request-status.under-review',
      smsText: renderer.text('request-status.under-review', 'ar', 'sms', { referenceNumber: 'BR-1', reason: '-' }),
    });
    await wasl.queues.enqueueSend(notice);
    await new Promise((r) => setTimeout(r, FALLBACK_AFTER_MS + 2500));
    expect(sms.requests.length).toBe(before);
    expect(await row(notice.id)).toMatchObject({ status: 'queued', channel: 'whatsapp' });
    phone.offline = false;
    await waitFor('sent on WhatsApp once back', async () => (await row(notice.id)).status === 'sent', 40_000);
    expect(await row(notice.id)).toMatchObject({ channel: 'whatsapp' });
    expect(phone.sent.filter((s) => s.chatId === chat.chatId).at(-1)?.body).toBe(text);
  }, 120_000);

  async function row(id: number) {
    const [r] = await wasl.database.db.select().from(messages).where(and(eq(messages.id, id), eq(messages.direction, 'out')));
    return r!;
  }
  async function status(): Promise<string> {
    const raw = await wasl.redis.get(`${wasl.prefix}:whatsapp:status:main`);
    return raw ? (JSON.parse(raw) as { state: string }).state : 'offline';
  }
});
