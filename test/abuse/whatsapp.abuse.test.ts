/**
 * WhatsApp inbound under bad input, through the fake whatsapp-web.js client (test/fakes/fake-whatsapp-client.ts)
 * and the real gateway, ingest and PostgreSQL: hostile text as the body and as the sender's display name
 * (`notifyName`), bodies past the 4,000-character cap, odd fields (unknown types, `@lid` and strange senders,
 * missing `rawData`, media that expired, failed or lies about itself), and one message delivered several times
 * at once. WhatsApp has no HTTP answer to give, so the outcome of each input is what was stored: a person's
 * message stored once and soundly ("accepted"), a system, group or non-person message ignored ("rejected"), and
 * anything else — an error logged, or a person's message lost — a crash.
 */
import { randomBytes } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import fc from 'fast-check';
import { createWhatsappChannel } from '../../src/channels/whatsapp/whatsapp-channel';
import type { WhatsappMessage } from '../../src/channels/whatsapp/whatsapp-client';
import { ignoreReason, MAX_INBOUND_TEXT } from '../../src/channels/whatsapp/whatsapp-inbound';
import { contacts, conversations, messages } from '../../src/store/schema';
import { cutText, toStorableText } from '../../src/text/storable-text';
import { FakeWhatsappPhone, fakeMessage } from '../fakes/fake-whatsapp-client';
import { waitFor, type TestWasl } from '../support/harness';
import { AbuseReport } from './support/abuse-report';
import { announceSeed, EMOJI, fuzzParams, hostileText } from './support/hostile-strings';
import { useAbuseWasl } from './support/abuse-wasl';
import { storedRecordProblems } from './support/wasl-watch';

const report = new AbuseReport('WhatsApp inbound (fake whatsapp-web.js client)');
const phone = new FakeWhatsappPhone();
const abuse = useAbuseWasl({
  report,
  start: () => ({
    // PostgreSQL: the server is the stricter about the bytes it stores.
    db: 'postgres',
    roles: 'web,engine,whatsapp',
    extraEnv: { WHATSAPP_ENABLED: 'true', WHATSAPP_MIN_INTERVAL_MS: '0', WHATSAPP_PACE_JITTER_MS: '0', CLI_CHANNEL_ENABLED: 'false', WEB_CHAT_ENABLED: 'false' },
    options: {
      channelModules: [createWhatsappChannel({ clientFactory: phone.factory, gateway: { heartbeatMs: 200, backoff: { baseMs: 50, maxMs: 400 }, printQr: () => undefined } })],
    },
  }),
});
const { logs } = abuse;
let wasl: TestWasl;
beforeAll(async () => {
  announceSeed('whatsapp.abuse');
  wasl = abuse.wasl();
  await waitFor('the WhatsApp session', async () => phone.clients[0]?.state === 'ready', 60_000);
});

// A new chat for each input: one chat's 31st message in a minute is held back 2 s (whatsapp-channel.ts).
let chatSeq = 0;
const nextChat = () => `9665${String(20_000_000 + chatSeq++).padStart(8, '0')}@c.us`;
/** Every message the gateway ignored, checked again at the end: a late store would be a crash too. */
const ignoredIds: string[] = [];

const storedRows = (providerMessageId: string) =>
  wasl.database.db
    .select({ text: messages.text, contactId: conversations.contactId })
    .from(messages)
    .innerJoin(conversations, eq(conversations.id, messages.conversationId))
    .where(and(eq(messages.channel, 'whatsapp'), eq(messages.direction, 'in'), eq(messages.providerMessageId, toStorableText(providerMessageId))));

/**
 * Delivers `m` (`copies` times at once) as the client emits it; returns the outcome and the stored row. A person's
 * message must be stored (ingest retries a failure for about 7 s, so 20 s is long enough to call it lost).
 */
async function deliver(boundary: string, m: WhatsappMessage, copies = 1): Promise<{ outcome: string; rows: Awaited<ReturnType<typeof storedRows>> }> {
  const errorsBefore = logs.errors().length;
  for (let i = 0; i < copies; i++) phone.current.deliver(m);
  const forBot = ignoreReason(m) === null;
  let rows: Awaited<ReturnType<typeof storedRows>> = [];
  if (forBot) {
    rows = await waitFor(`${m.id._serialized} to be stored`, async () => {
      const r = await storedRows(m.id._serialized);
      return r.length ? r : null;
    }).catch(() => []);
  } else {
    ignoredIds.push(m.id._serialized);
    await new Promise((r) => setTimeout(r, 150));
  }
  const newErrors = logs.errors().slice(errorsBefore);
  const example = JSON.stringify({ id: m.id._serialized, from: m.from, type: m.type, body: m.body.slice(0, 100), errors: newErrors.map((e) => e.msg) });
  const outcome = newErrors.length > 0 || (forBot && rows.length === 0) ? 'crash' : forBot ? 'accepted' : 'rejected';
  report.count(boundary, outcome, example);
  return { outcome, rows };
}

describe('WhatsApp inbound under bad input', () => {
  it('stores a hostile body and display name soundly, as the sender wrote them', async () => {
    await fc.assert(
      fc.asyncProperty(hostileText(), hostileText(3), async (body, notifyName) => {
        const m = fakeMessage({ from: nextChat(), body, notifyName });
        const { outcome, rows } = await deliver('hostile body and name', m);
        expect(outcome).toBe('accepted');
        expect(rows).toHaveLength(1);
        expect(rows[0]!.text).toBe(toStorableText(body));
        const [contact] = await wasl.database.db.select({ name: contacts.displayName, userId: contacts.channelUserId }).from(contacts).where(eq(contacts.id, rows[0]!.contactId));
        expect(contact).toEqual({ name: toStorableText(cutText(notifyName, 200)), userId: m.from });
      }),
      fuzzParams(60),
    );
  }, 300_000);

  it('cuts a body over 4,000 characters at the limit, never splitting an emoji', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...EMOJI), fc.integer({ min: MAX_INBOUND_TEXT - 4, max: MAX_INBOUND_TEXT + 2 }), fc.integer({ min: 1, max: 20_000 }), async (emoji, prefix, tail) => {
        const body = 'ب'.repeat(prefix) + emoji.repeat(3) + 'x'.repeat(tail);
        const { outcome, rows } = await deliver('body over 4,000 characters', fakeMessage({ from: nextChat(), body }));
        expect(outcome).toBe('accepted');
        const text = rows[0]!.text!;
        expect(text.length).toBeLessThanOrEqual(MAX_INBOUND_TEXT);
        expect(text.length).toBeGreaterThanOrEqual(MAX_INBOUND_TEXT - 1);
        expect(body.startsWith(text)).toBe(true);
        expect(text).not.toContain('\uFFFD');
      }),
      fuzzParams(15),
    );
  }, 300_000);

  it('stores or ignores messages with odd fields, and never logs an error or loses a person\'s message', async () => {
    const odd = fc.record({
      from: fc.oneof(
        { weight: 4, arbitrary: fc.constant('person') },
        { weight: 1, arbitrary: fc.constantFrom('184467440737095@lid', '120363025246125486@g.us', 'status@broadcast', '1234@broadcast', '', '966500000001', 'x@s.whatsapp.net') },
        { weight: 1, arbitrary: hostileText(2).map((t) => `${t}@c.us`) },
      ),
      type: fc.constantFrom('chat', 'chat', 'image', 'document', 'location', 'vcard', 'poll_creation', 'list_response', 'e2e_notification', 'revoked', 'ciphertext', 'some_future_type'),
      timestamp: fc.constantFrom(undefined, 0, 1, 2 ** 31, Math.floor(Date.now() / 1000) + 86_400 * 365),
      rawData: fc.constantFrom<Record<string, unknown> | null | undefined>(undefined, null, {}, { notifyName: 42 }, { notifyName: '' }, { notifyName: { first: 'x' } }, { size: 'big' }, { size: -1 }),
      idInner: fc.oneof(fc.constant(undefined), fc.constant(''), hostileText(2)),
      body: fc.oneof(hostileText(2), fc.constant('')),
      media: fc.constantFrom('none', 'none', 'expired', 'throws', 'odd type', 'not base64', 'declared huge'),
      author: fc.option(fc.constant('966511111111@c.us'), { nil: undefined }),
    });
    await fc.assert(
      fc.asyncProperty(odd, async (o) => {
        const from = o.from === 'person' ? nextChat() : o.from;
        const m = fakeMessage({ from, body: o.body, type: o.type, ...(o.author ? { author: o.author } : {}), ...(o.idInner !== undefined ? { id: `${o.idInner}-${chatSeq++}` } : {}) });
        if (o.timestamp !== undefined) m.timestamp = o.timestamp;
        if (o.rawData !== undefined) m.rawData = o.rawData as object;
        if (o.media !== 'none') {
          m.hasMedia = true;
          const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0, 0xff, 0xd9]);
          m.downloadMedia = async () => {
            switch (o.media) {
              case 'expired':
                return undefined;
              case 'throws':
                throw new Error('Evaluation failed: TypeError: Cannot read properties of undefined (reading \'mediaKey\')');
              case 'odd type':
                return { mimetype: 'application/x-msdownload; name="<script>.exe"', data: jpeg.toString('base64'), filename: '<script>alert(1)</script>\u0000.exe', filesize: jpeg.length };
              case 'not base64':
                return { mimetype: 'image/jpeg', data: '!!! not base64 \u0000 ﻻ', filename: null, filesize: null };
              default:
                return { mimetype: 'image/jpeg', data: jpeg.toString('base64'), filename: null, filesize: jpeg.length };
            }
          };
          if (o.media === 'declared huge') m.rawData = { ...(m.rawData ?? {}), size: 3 * 1024 ** 3 };
        }
        const { outcome, rows } = await deliver('odd fields', m);
        expect(outcome).not.toBe('crash');
        // Stored with its text even when the media is refused, expired or failed to download.
        if (outcome === 'accepted') expect(rows.map((r) => r.text)).toEqual([toStorableText(o.body)]);
      }),
      fuzzParams(80),
    );
  }, 300_000);

  it('stores a message delivered several times at once only once', async () => {
    await fc.assert(
      fc.asyncProperty(hostileText(3), fc.integer({ min: 2, max: 5 }), async (body, copies) => {
        const m = fakeMessage({ from: nextChat(), body: `طلب ${body}`, id: `3EB0${randomBytes(8).toString('hex').toUpperCase()}` });
        const { outcome } = await deliver('same message delivered together', m, copies);
        expect(outcome).toBe('accepted');
        // Give the later copies time to be stored too, were they going to be.
        await new Promise((r) => setTimeout(r, 200));
        expect(await storedRows(m.id._serialized)).toHaveLength(1);
      }),
      fuzzParams(20),
    );
  }, 300_000);

  it('afterwards: no error logged, sound records, nothing ignored was stored, and a message is still answered', async () => {
    expect(report.crashes()).toBe(0);
    expect(await storedRecordProblems(wasl.database.db, 'whatsapp')).toEqual([]);
    const lateStored = [];
    for (const id of ignoredIds) lateStored.push(...(await storedRows(id)));
    expect(lateStored).toEqual([]);
    const chatId = nextChat();
    phone.receive({ from: chatId, body: 'السلام عليكم' });
    const reply = await waitFor('a reply to the normal message', async () => phone.sent.find((s) => s.chatId === chatId), 30_000);
    expect(reply.body).toContain('جمعية بر الخوار');
    expect(logs.errors()).toEqual([]);
    expect(logs.broken).toEqual([]);
  }, 60_000);
});
