/**
 * Opt-out is enforced in the shared send path for every channel (pipeline/opt-out-policy.ts), shown here on
 * email (a real SMTP sink) and the website chat (real HTTP), with Wasl on PGlite and real Redis: a message
 * queued for a contact who opted out is not sent and is recorded as `skipped` with the reason; writing again
 * lifts the opt-out on these channels and the answer goes out. (SMS, where only "اشتراك"/START lifts it, is
 * covered in sms-intake.integration.test.ts.)
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import pino from 'pino';
import { webUserIdOf } from '../src/channels/web/device-id';
import { writeOutbound } from '../src/conversations/write-outbound';
import type { ChannelName } from '../src/messages/channel-name';
import { ingest } from '../src/pipeline/ingest';
import { OPTED_OUT_REASON } from '../src/pipeline/opt-out-policy';
import { contacts, conversations, messages } from '../src/store/schema';
import { startSmtpSink, type SmtpSink } from './fakes/smtp-sink';
import { startTestWasl, waitFor, type TestWasl } from './support/harness';

describe('opt-out in the shared send path', () => {
  let sink: SmtpSink;
  let wasl: TestWasl;
  beforeAll(async () => {
    sink = await startSmtpSink();
    wasl = await startTestWasl({ db: 'pglite', extraEnv: sink.env });
  });
  afterAll(async () => {
    await wasl?.stop();
    await sink?.stop();
  });

  const db = () => wasl.database.db;
  const contactOf = async (channel: ChannelName, channelUserId: string) =>
    (await db().select().from(contacts).where(and(eq(contacts.channel, channel), eq(contacts.channelUserId, channelUserId))))[0]!;
  const openConversation = async (contactId: number) =>
    (await db().select().from(conversations).where(eq(conversations.contactId, contactId)))[0]!;
  const statusOf = async (id: number) => (await db().select().from(messages).where(eq(messages.id, id)))[0]!;
  /** Every outbound message of the conversation is sent or skipped. */
  const settled = (conversationId: number) =>
    waitFor('the outbox to empty', async () => {
      const rows = await db().select({ status: messages.status }).from(messages).where(eq(messages.conversationId, conversationId));
      return rows.length > 0 && rows.every((r) => !['received', 'queued'].includes(r.status));
    });
  /** A researcher's message, written to the outbox and queued as the console does. */
  async function researcherWrites(conversationId: number, channel: ChannelName, text: string): Promise<number> {
    const queued = await writeOutbound(db(), { conversationId, channel, author: 'staff', staffId: null, text, language: 'ar' });
    await wasl.queues.enqueueSend(queued);
    return queued.id;
  }
  const markOptedOut = (contactId: number) => db().update(contacts).set({ optedOut: true }).where(eq(contacts.id, contactId));

  it('email: nothing reaches an opted-out address, the row says why, and a new mail from them is answered', async () => {
    const address = 'maha.d@example.sa';
    const deps = { db: db(), queues: wasl.queues, log: pino({ level: 'silent' }) };
    const mailIn = (text: string) => ingest(deps, { channel: 'email', channelUserId: address, providerMessageId: `<${randomUUID()}@example.sa>`, text });
    const first = await mailIn('السلام عليكم');
    await settled(first.conversationId);
    expect(sink.mails.filter((m) => m.envelope.to[0] === address).length).toBeGreaterThan(0);

    const contact = await contactOf('email', address);
    await markOptedOut(contact.id);
    const before = sink.mails.length;
    const id = await researcherWrites(first.conversationId, 'email', 'تذكير بموعد المقابلة');
    const skipped = await waitFor('the skipped send', async () => {
      const m = await statusOf(id);
      return m.status === 'skipped' ? m : null;
    });
    expect(skipped.error).toBe(OPTED_OUT_REASON);
    expect(skipped.sentAt).toBeNull();
    expect(sink.mails.slice(before).some((m) => (m.parsed.text ?? '').includes('تذكير بموعد المقابلة'))).toBe(false);

    // Mailing the charity again is asking to be answered.
    const again = await mailIn('مرحبا');
    await settled(again.conversationId);
    expect((await contactOf('email', address)).optedOut).toBe(false);
    const answers = sink.mails.slice(before).filter((m) => m.envelope.to[0] === address);
    expect(answers.length).toBeGreaterThan(0);
  });

  it('website chat: a reply queued after the opt-out is skipped, not streamed; writing again lifts it', async () => {
    const deviceId = randomBytes(16).toString('base64url');
    const say = async (text: string) => {
      const res = await fetch(`${wasl.url}/api/web/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ deviceId, clientMessageId: randomUUID(), text }),
      });
      expect(res.status).toBe(202);
    };
    await say('السلام عليكم');
    const contact = await waitFor('the web contact', async () => (await db().select().from(contacts).where(eq(contacts.channelUserId, webUserIdOf(deviceId))))[0]);
    const conversation = await openConversation(contact.id);
    await settled(conversation.id);

    await markOptedOut(contact.id);
    const id = await researcherWrites(conversation.id, 'web', 'رسالة من الباحثة');
    await waitFor('the skipped send', async () => (await statusOf(id)).status === 'skipped');
    expect((await statusOf(id)).error).toBe(OPTED_OUT_REASON);

    // A reload of the page does not show it as if it had been sent.
    const abort = new AbortController();
    const res = await fetch(`${wasl.url}/api/web/stream?deviceId=${deviceId}`, { signal: abort.signal });
    const reader = res.body!.getReader();
    let replay = '';
    const deadline = Date.now() + 3000;
    while (Date.now() < deadline && !replay.includes('"direction":"in"')) {
      const { value } = await Promise.race([reader.read(), new Promise<{ value: undefined }>((r) => setTimeout(() => r({ value: undefined }), 500))]);
      if (value) replay += new TextDecoder().decode(value);
    }
    abort.abort();
    expect(replay).toContain('السلام عليكم');
    expect(replay).not.toContain('رسالة من الباحثة');

    await say('مرحبا مرة أخرى');
    await settled(conversation.id);
    expect((await contactOf('web', webUserIdOf(deviceId))).optedOut).toBe(false);
    const after = await db()
      .select({ status: messages.status })
      .from(messages)
      .where(and(eq(messages.conversationId, conversation.id), eq(messages.direction, 'out')));
    expect(after.filter((m) => m.status === 'sent').length).toBeGreaterThanOrEqual(2);
  });
});
