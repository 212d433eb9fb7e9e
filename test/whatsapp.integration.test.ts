/**
 * WhatsApp end to end through the fake whatsapp-web.js client: real gateway, real flows, real pipeline,
 * PGlite and Redis. Covers an Arabic application answered by digit and by word, idempotent redelivery,
 * ignored groups and status broadcasts, an image becoming a request document, delivery acks, and a staff
 * member answering from the phone pausing the bot.
 */
import { and, eq } from 'drizzle-orm';
import { auditLog, contacts, messages, requestDocuments, requests } from '../src/store/schema';
import { MessageAck } from '../src/channels/whatsapp/delivery-acks';
import { loadEnv } from '../src/config/load-config';
import { FakeWhatsappPhone, WhatsappChat, startWhatsappWasl, type FakeMediaSpec } from './fakes/fake-whatsapp-client';
import { signedIn } from './console-client';
import { waitFor, type TestWasl } from './support/harness';

// A 1×1 JPEG is enough: the document store keeps bytes, it does not decode them.
const JPEG = Buffer.from('/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/wAALCAABAAEBAREA/8QAFAABAAAAAAAAAAAAAAAAAAAACf/EABQQAQAAAAAAAAAAAAAAAAAAAAD/2gAIAQEAAD8AKp//2Q==', 'base64');
const NATIONAL_ID = '1101234563';

describe('WhatsApp channel (fake client, PGlite)', () => {
  let wasl: TestWasl;
  let phone: FakeWhatsappPhone;
  let n = 0;
  const chat = () => new WhatsappChat(wasl, phone, `9665${String(10_000_000 + ++n * 7919).slice(-8)}@c.us`);

  beforeAll(async () => {
    ({ wasl, phone } = await startWhatsappWasl({ db: 'pglite' }));
    await waitFor('the WhatsApp session', async () => phone.clients[0]?.state === 'ready');
    // Starting Wasl trains the NLU model: slow when test files run side by side.
  }, 180_000);
  afterAll(() => wasl?.stop());

  it('takes a beneficiary from a greeting to a reference number, with numbered choices answered by digit and by word', async () => {
    const c = chat();
    const welcome = (await c.say('السلام عليكم')).join('\n');
    expect(welcome).toContain('جمعية بر الخوار');
    expect(welcome).toMatch(/^1\. تقديم طلب/m);

    // By word, not digit.
    expect((await c.say('تقديم طلب')).join()).toContain('اسمك الرباعي');
    expect((await c.say('محمد عبدالله سعد الحربي')).join()).toContain('الهوية');
    expect((await c.say(NATIONAL_ID)).join()).toContain('جوال');
    expect((await c.say('٠٥٠١٢٣٤٥٦٧')).join()).toContain('مدينة');
    await c.say('خليص');
    expect((await c.say('حي الشرق')).join()).toContain('أفراد');
    expect((await c.say('٦')).join()).toContain('دخل');
    const housing = (await c.say('2500')).join('\n');
    expect(housing).toContain('السكن');
    expect(housing).toMatch(/^\d\. /m);
    // By word again (the housing choice), then by digit.
    expect((await c.say('ايجار')).join()).toContain('نوع الدعم');
    expect((await c.say('1')).join()).toContain('صف');
    const review = (await c.say('فقد الأب عمله والأسرة تحتاج مساعدة في الغذاء')).join('\n');
    expect(review).toContain('******4563');
    expect(review).not.toContain(NATIONAL_ID);
    expect((await c.say('نعم')).join()).toContain('أقر');
    const submitted = (await c.say('1')).join('\n');
    const reference = /REQ-\d{5,}/.exec(submitted)?.[0];
    expect(reference).toBeDefined();

    const { contact } = (await c.conversation())!;
    // The WhatsApp number is proved by WhatsApp itself.
    expect(contact.verifiedMobile).toBe(`+${c.chatId.replace('@c.us', '')}`);
    const [request] = await wasl.database.db.select().from(requests).where(eq(requests.referenceNumber, reference!));
    expect(request).toMatchObject({ status: 'submitted', contactId: contact.id });
    expect((request!.attestation as { channel: string }).channel).toBe('whatsapp');

    // Policy step 6 on WhatsApp: a photo of a document becomes a request document.
    expect(submitted).toMatch(/1\. أرسلها الآن/);
    expect((await c.say('1')).join()).toContain('تفضل بإرسال المستند');
    const photo: FakeMediaSpec = { type: 'image', mimetype: 'image/jpeg', bytes: JPEG };
    expect((await c.say('', photo)).join()).toContain('وصلنا المستند');
    const docs = await wasl.database.db.select().from(requestDocuments).where(eq(requestDocuments.requestId, request!.id));
    expect(docs).toHaveLength(1);
    expect(docs[0]).toMatchObject({ mimeType: 'image/jpeg', sizeBytes: JPEG.length });
    expect(await wasl.database.db.select().from(requestDocuments)).toHaveLength(1);
  });

  it('answers a redelivered message once', async () => {
    const c = chat();
    const m = phone.receive({ from: c.chatId, body: 'السلام عليكم' });
    await c.stored(m);
    const first = await c.replies();
    expect(first.length).toBeGreaterThan(0);
    phone.current.deliver(m);
    phone.current.deliver(m);
    await new Promise((r) => setTimeout(r, 300));
    expect(await c.replies()).toEqual([]);
    const inbound = await wasl.database.db.select().from(messages).where(eq(messages.providerMessageId, m.id._serialized));
    expect(inbound).toHaveLength(1);
  });

  it('ignores group chats, status broadcasts, and messages we sent', async () => {
    const before = phone.sent.length;
    const group = phone.receive({ from: '120363025246125486@g.us', author: '966511111111@c.us', body: 'السلام عليكم' });
    const status = phone.receive({ from: 'status@broadcast', author: '966522222222@c.us', body: 'صباح الخير' });
    await new Promise((r) => setTimeout(r, 500));
    for (const m of [group, status]) {
      expect(await wasl.database.db.select().from(messages).where(eq(messages.providerMessageId, m.id._serialized))).toHaveLength(0);
    }
    const contactRows = await wasl.database.db.select().from(contacts).where(eq(contacts.channelUserId, '120363025246125486@g.us'));
    expect(contactRows).toHaveLength(0);
    expect(phone.sent.length).toBe(before);
  });

  it('keeps a voice note as media and refuses a file type it cannot take', async () => {
    const c = chat();
    await c.say('السلام عليكم');
    const voice = phone.receive({ from: c.chatId, media: { type: 'ptt', mimetype: 'audio/ogg; codecs=opus', bytes: Buffer.from('OggS-voice') } });
    const video = phone.receive({ from: c.chatId, body: 'شوف', media: { type: 'video', mimetype: 'video/mp4', bytes: Buffer.from('video') } });
    await c.stored(voice);
    await c.stored(video);
    await c.replies();
    const [v] = await wasl.database.db.select().from(messages).where(eq(messages.providerMessageId, voice.id._serialized));
    expect((v!.payload as { media: { mimeType: string }[] }).media).toEqual([expect.objectContaining({ mimeType: 'audio/ogg', sizeBytes: 10 })]);
    const [vid] = await wasl.database.db.select().from(messages).where(eq(messages.providerMessageId, video.id._serialized));
    expect(vid!.text).toBe('شوف');
    expect((vid!.payload as { media: unknown[] }).media).toEqual([]);
  });

  it('records delivery acks on the outbound message, never moving backwards', async () => {
    const c = chat();
    await c.say('مرحبا');
    const last = phone.sent.filter((s) => s.chatId === c.chatId).at(-1)!;
    const row = async () =>
      (await wasl.database.db.select().from(messages).where(and(eq(messages.providerMessageId, last.id), eq(messages.direction, 'out'))))[0]!;
    expect((await row()).status).toBe('sent');
    phone.current.ack(last.id, MessageAck.SERVER);
    phone.current.ack(last.id, MessageAck.DEVICE);
    await waitFor('delivered', async () => (await row()).status === 'delivered');
    expect((await row()).deliveredAt).toBeInstanceOf(Date);
    phone.current.ack(last.id, MessageAck.READ);
    await waitFor('read', async () => (await row()).status === 'read');
    phone.current.ack(last.id, MessageAck.DEVICE);
    await new Promise((r) => setTimeout(r, 200));
    expect((await row()).status).toBe('read');
  });

  it('pauses the bot when a staff member answers from the phone, and never mistakes our own sends for staff', async () => {
    const c = chat();
    expect((await c.say('السلام عليكم')).length).toBeGreaterThan(0);
    // Every bot reply came back as `message_create` from our number, and none of them paused the bot.
    expect((await c.conversation())!.conversation.status).toBe('bot');

    const staffMessage = phone.typeOnPhone(c.chatId, 'أهلًا أخي، معك أحمد من الجمعية، كيف أخدمك؟');
    await waitFor('the takeover', async () => (await c.conversation())!.conversation.status === 'human');
    const [recorded] = await wasl.database.db.select().from(messages).where(eq(messages.providerMessageId, staffMessage.id._serialized));
    expect(recorded).toMatchObject({ direction: 'out', author: 'staff', status: 'sent', text: 'أهلًا أخي، معك أحمد من الجمعية، كيف أخدمك؟' });
    const conversationId = (await c.conversation())!.conversation.id;
    const audit = await wasl.database.db.select().from(auditLog).where(eq(auditLog.subjectId, String(conversationId)));
    expect(audit.map((a) => a.action)).toContain('conversation.takeover');

    // The beneficiary answers the human: stored, and the bot stays silent.
    expect(await c.say('أبغى أسأل عن المساعدات')).toEqual([]);
    expect(await c.say('1')).toEqual([]);
  });

  it('a file a researcher attaches in the console goes as WhatsApp media with its caption', async () => {
    const c = chat();
    await c.say('السلام عليكم');
    await c.say('موظف');
    const conversationId = (await c.conversation())!.conversation.id;
    await waitFor('the chat to wait', async () => (await c.conversation())!.conversation.status === 'waiting');
    const r = await signedIn(wasl.database.db, wasl.url!, { role: 'researcher' });
    expect((await r.client.post(`/api/conversations/${conversationId}/claim`)).status).toBe(200);
    const sent = await r.client.post(`/api/conversations/${conversationId}/attachments`, { fileName: 'الإيصال.jpg', base64: JPEG.toString('base64'), caption: 'صورة الإيصال' });
    expect(sent.status).toBe(201);
    const media = await waitFor('the media send', async () => phone.sent.find((m) => m.chatId === c.chatId && m.media));
    expect(media.body).toBe('صورة الإيصال');
    expect(media.media).toMatchObject({ mimetype: 'image/jpeg', filename: 'الإيصال.jpg' });
    expect(Buffer.compare(media.media!.bytes, JPEG)).toBe(0);
    const [row] = await wasl.database.db.select().from(messages).where(eq(messages.id, sent.body.messageId));
    expect(row).toMatchObject({ status: 'sent', providerMessageId: media.id });
  });

  it('serves the status route to signed-in staff only: a bearer that is not a staff API token is refused', async () => {
    const res = await fetch(`${wasl.url}/api/channels/whatsapp`, { headers: { authorization: 'Bearer anything-at-all-here' } });
    expect(res.status).toBe(401);
    expect(await res.text()).not.toContain('data:image');
  });
});

describe('WHATSAPP_ENABLED and the whatsapp role', () => {
  it('adds the gateway to ROLES=all, and leaves an explicit list alone', () => {
    expect(loadEnv({ WHATSAPP_ENABLED: 'true' }).ROLES).toContain('whatsapp');
    expect(loadEnv({ WHATSAPP_ENABLED: 'true', ROLES: 'all' }).ROLES).toEqual(['web', 'engine', 'outbound', 'surveys', 'whatsapp']);
    expect(loadEnv({}).ROLES).not.toContain('whatsapp');
    expect(loadEnv({ WHATSAPP_ENABLED: 'true', ROLES: 'web,engine' }).ROLES).toEqual(['web', 'engine']);
    expect(loadEnv({ ROLES: 'whatsapp' }).ROLES).toEqual(['whatsapp']);
  });
});
