/**
 * `POST /webhooks/sms/:provider` for each SMS driver under bad input: arbitrary bodies, hostile inbound
 * messages and delivery reports, forged secrets and Twilio signatures, replays, oversized and malformed bodies.
 * Every answer a 2xx or a 4xx; a 401 stores nothing; afterwards the records are sound and an SMS is answered.
 */
import { randomBytes } from 'node:crypto';
import { isUtf8 } from 'node:buffer';
import { and, eq } from 'drizzle-orm';
import fc from 'fast-check';
import { twilioSignature } from '../../src/channels/sms/twilio-signature';
import { contacts, messages } from '../../src/store/schema';
import { cutText, toStorableText } from '../../src/text/storable-text';
import { FAKE_SMS, FakeSmsProviders, type FakeSmsProvider } from '../fakes/fake-sms-providers';
import type { TestWasl } from '../support/harness';
import { AbuseReport } from './support/abuse-report';
import { announceSeed, EMOJI, fuzzParams, hostileText, nested, NESTINGS, uriEncode } from './support/hostile-strings';
import { useAbuseWasl } from './support/abuse-wasl';
import { inboundCount, isSoundText, storedRecordProblems } from './support/wasl-watch';

const providers: FakeSmsProvider[] = ['unifonic', 'taqnyat', 'twilio', 'generic'];
const report = new AbuseReport('SMS webhooks (POST /webhooks/sms/:provider)');
beforeAll(() => announceSeed('sms-webhooks.abuse'));
afterAll(() => report.print());

let phoneSeq = 0;
const nextPhone = () => `+9665${String(10_000_000 + phoneSeq++).padStart(8, '0')}`;

describe.each(providers)('SMS webhook of %s under bad input', (provider) => {
  let fake: FakeSmsProviders;
  const abuse = useAbuseWasl({
    start: async () => {
      fake = await FakeSmsProviders.start();
      // PostgreSQL here (PGlite in the other abuse files): the server is the stricter about bytes it stores.
      return { db: 'postgres', extraEnv: { ...fake.env(provider), CLI_CHANNEL_ENABLED: 'false', WEB_CHAT_ENABLED: 'false' } };
    },
    after: () => fake?.close(),
  });
  const { logs } = abuse;
  let wasl: TestWasl;
  beforeAll(() => {
    wasl = abuse.wasl();
  });

  const boundary = (what: string) => `${provider}: ${what}`;
  const status = async (call: Promise<Response>) => {
    try {
      const res = await call;
      await res.arrayBuffer();
      return res.status;
    } catch {
      return 599;
    }
  };
  /** Twilio posts signed forms; the others JSON with the shared secret. */
  const postFields = (fields: Record<string, string>, auth: 'good' | 'bad' | 'none' = 'good') =>
    status(provider === 'twilio' ? fake.postTwilio(wasl.url!, fields, auth) : fake.postJson(wasl.url!, provider, fields, auth));
  const inbound = (sms: { from: string; text: string; id: string }) => status(fake.deliverInbound(wasl.url!, provider, sms));
  const stored = (id: string) =>
    wasl.database.db.select({ text: messages.text }).from(messages).where(and(eq(messages.channel, 'sms'), eq(messages.direction, 'in'), eq(messages.providerMessageId, id)));

  const hostileFields = fc.dictionary(
    fc.oneof(fc.constantFrom('MessageSid', 'From', 'Body', 'MessageStatus', 'ErrorCode', 'messageId', 'from', 'body', 'status', 'id', 'text', 'type', 'error', 'data'), hostileText(1)),
    fc.oneof(hostileText(3), fc.constantFrom('received', 'delivered', 'failed', 'inbound', 'status', '+966501234567', '966501234567')),
    { maxKeys: 6 },
  );

  it('answers arbitrary fields and JSON with 2xx or 4xx', async () => {
    await fc.assert(
      fc.asyncProperty(hostileFields, async (fields) => {
        expect(report.http(boundary('arbitrary fields'), await postFields(fields), JSON.stringify(fields))).not.toBe('crash');
      }),
      fuzzParams(60),
    );
    if (provider !== 'twilio') {
      await fc.assert(
        fc.asyncProperty(fc.jsonValue({ maxDepth: 3 }), async (value) => {
          expect(report.http(boundary('arbitrary JSON'), await status(fake.postJson(wasl.url!, provider, value)), JSON.stringify(value))).not.toBe('crash');
        }),
        fuzzParams(40),
      );
    }
  });

  it('stores hostile inbound text soundly under a hostile id, or refuses it with 4xx', async () => {
    await fc.assert(
      fc.asyncProperty(hostileText(), fc.oneof(hostileText(2), fc.constant(`in-${randomBytes(6).toString('hex')}`)), async (text, rawId) => {
        const id = provider === 'twilio' ? `SM${randomBytes(8).toString('hex')}${rawId}` : `${rawId}-${phoneSeq}`;
        const code = await inbound({ from: nextPhone(), text, id });
        expect(report.http(boundary('hostile inbound'), code, JSON.stringify({ id, text }))).not.toBe('crash');
        if (code === 200) {
          const rows = await stored(id.replace(/\u0000/g, ''));
          // A keyword such as STOP is handled without a message; anything else is stored once.
          for (const r of rows) expect(isSoundText(r.text)).toBe(true);
        }
      }),
      fuzzParams(40),
    );
  });

  it('answers hostile delivery reports with 2xx or 4xx', async () => {
    const report$ = fc.record({ id: hostileText(2), state: fc.oneof(hostileText(1), fc.constantFrom('delivered', 'failed', 'DELIVRD', 'UNDELIV', 'undelivered')), error: hostileText(2) });
    await fc.assert(
      fc.asyncProperty(report$, async ({ id, state, error }) => {
        const fields: Record<string, string> =
          provider === 'twilio'
            ? { MessageSid: id, MessageStatus: state, ErrorCode: error }
            : provider === 'generic'
              ? { type: 'status', id, status: state, error }
              : { messageId: id, status: state, errorCode: error };
        expect(report.http(boundary('hostile delivery report'), await postFields(fields), JSON.stringify(fields))).not.toBe('crash');
      }),
      fuzzParams(50),
    );
  });

  it('refuses a forged signature or secret with 401 and stores nothing', async () => {
    const before = await inboundCount(wasl.database.db, 'sms');
    const forged = fc.record({ text: hostileText(2), secret: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 40 }), how: fc.constantFrom('bad', 'none', 'random') });
    await fc.assert(
      fc.asyncProperty(forged, async ({ text, secret, how }) => {
        fc.pre(secret !== FAKE_SMS.webhookSecret && secret !== FAKE_SMS.twilioAuthToken);
        const from = nextPhone();
        let code: number;
        if (how !== 'random') {
          code = await status(fake.deliverInbound(wasl.url!, provider, { from, text, id: `forged-${phoneSeq}` }, { auth: how }));
        } else if (provider === 'twilio') {
          // Signed with another token, or the right token over another URL.
          const url = `${wasl.url}/webhooks/sms/twilio`;
          const params = { MessageSid: `SM${randomBytes(16).toString('hex')}`, From: from, Body: text };
          const signature = secret.length % 2 ? twilioSignature(secret, url, params) : twilioSignature(FAKE_SMS.twilioAuthToken, `${url}?x=1`, params);
          code = await status(fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature }, body: new URLSearchParams(params).toString() }));
        } else {
          code = await status(fetch(`${wasl.url}/webhooks/sms/${provider}?secret=${encodeURIComponent(secret)}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-webhook-secret': secret }, body: JSON.stringify({ id: 'x', from, text }) }));
        }
        report.http(boundary('forged signature/secret'), code);
        expect(code).toBe(401);
      }),
      fuzzParams(40),
    );
    expect(await inboundCount(wasl.database.db, 'sms')).toBe(before);
  });

  it('stores a redelivered SMS once, even when the copies arrive together', async () => {
    await fc.assert(
      fc.asyncProperty(hostileText(2), fc.integer({ min: 2, max: 5 }), async (text, copies) => {
        const from = nextPhone();
        const id = provider === 'twilio' ? `SM${randomBytes(16).toString('hex')}` : `dup-${randomBytes(6).toString('hex')}`;
        const codes = await Promise.all(Array.from({ length: copies }, () => inbound({ from, text: `طلب ${text}`, id })));
        for (const c of codes) report.http(boundary('replayed inbound'), c);
        expect(codes.every((c) => c === 200)).toBe(true);
        expect(await stored(id)).toHaveLength(1);
      }),
      fuzzParams(15),
    );
  });

  it('refuses malformed and oversized bodies with 4xx', async () => {
    const url = `${wasl.url}/webhooks/sms/${provider}?secret=${FAKE_SMS.webhookSecret}`;
    const bodies: [string, string | Buffer, string][] = [
      ['malformed JSON', '{"id": ', 'application/json'],
      ['malformed JSON', Buffer.from([0x7b, 0xff, 0x7d]), 'application/json'],
      ['other content type', 'hello', 'text/plain'],
      ['oversized body', 'a'.repeat(100_000), 'application/json'],
      ['oversized body', Buffer.alloc(10 * 1024 * 1024, 0x61), 'application/x-www-form-urlencoded'],
    ];
    for (const [what, body, type] of bodies) {
      const code = await status(fetch(url, { method: 'POST', headers: { 'content-type': type }, body }));
      report.http(boundary(what), code);
      expect(code).toBeGreaterThanOrEqual(400);
      expect(code).toBeLessThan(500);
    }
  });

  /** An inbound SMS as each JSON provider posts it (fake-sms-providers.ts `deliverInbound`), for bodies built by hand. */
  const jsonInbound = (sms: { from: string; text: string; id: string }): Record<string, string> =>
    provider === 'generic'
      ? { type: 'inbound', id: sms.id, from: sms.from, text: sms.text }
      : provider === 'unifonic'
        ? { messageId: sms.id, from: sms.from.replace(/^\+/, ''), body: sms.text, to: FAKE_SMS.sender }
        : { id: sms.id, from: sms.from.replace(/^\+/, ''), message: sms.text };
  const postRaw = (body: string | Buffer, type = 'application/json') =>
    status(fetch(`${wasl.url}/webhooks/sms/${provider}?secret=${FAKE_SMS.webhookSecret}`, { method: 'POST', headers: { 'content-type': type }, body }));

  it('answers deeply nested JSON with 2xx or 4xx, storing sound text', async () => {
    // Up to the 64 KB body limit: past it a 413 comes before any parser sees the nesting.
    for (const depth of [100, 1_000, 5_000, 10_000]) {
      // `{"data":…}` is the wrapper the Unifonic/Taqnyat parser unwraps (loose-webhook.ts), one level per call.
      for (const nesting of [...NESTINGS, ['{"data":', '}'] as const]) {
        const [open] = nesting;
        const id = `deep-${randomBytes(6).toString('hex')}`;
        const text = `طلب ${depth}`;
        const fields = jsonInbound({ from: nextPhone(), text, id });
        const textKey = Object.keys(fields).find((k) => fields[k] === text)!;
        const bodies = [
          nested(depth, nesting),
          nested(depth, nesting, JSON.stringify(fields)),
          JSON.stringify({ ...fields, [textKey]: '@@' }).replace('"@@"', nested(depth, nesting, '"x"')),
          JSON.stringify({ ...fields, extra: '@@' }).replace('"@@"', nested(depth, nesting)),
        ];
        for (const body of bodies) {
          const code = await postRaw(body);
          expect(report.http(boundary('deep nesting'), code, `${depth} × ${open}`)).not.toBe('crash');
          // Twilio signs JSON bodies by a bodySHA256 these lack: never accepted, whatever the nesting.
          if (provider === 'twilio') expect([401, 413]).toContain(code);
        }
        // Stored at most once, and only ever with the text it was sent with.
        const rows = await stored(id);
        expect(rows.map((r) => r.text)).toEqual(rows.length ? [text] : []);
      }
    }
  });

  it('answers invalid UTF-8 in the message text with 2xx or 4xx, storing sound text', async () => {
    // Raw bytes in a JSON body; for Twilio's form, percent-escapes that decode to no UTF-8 at all.
    const badBytes = fc.constantFrom([0xff], [0xfe, 0xff], [0xc3, 0x28], [0xc0, 0xaf], [0xe0, 0x80, 0xaf], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xc3], [0x80]);
    await fc.assert(
      fc.asyncProperty(fc.array(badBytes, { minLength: 1, maxLength: 4 }), hostileText(2), fc.boolean(), async (bytes, text, truncatedEscape) => {
        const from = nextPhone();
        let code: number;
        let id: string;
        let sent: string;
        if (provider === 'twilio') {
          id = `SM${randomBytes(16).toString('hex')}`;
          const escapes = bytes.flat().map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('') + (truncatedEscape ? '%E0%A4%A' : '');
          const raw = `${new URLSearchParams({ MessageSid: id, AccountSid: FAKE_SMS.twilioAccountSid, From: from, To: '+15005550006' }).toString()}&Body=${uriEncode(`طلب ${text}`)}${escapes}&NumMedia=0`;
          // Signed over the values as any form decoder reads them, as Twilio signs what it sent.
          const url = `${wasl.url}/webhooks/sms/twilio`;
          const signature = twilioSignature(FAKE_SMS.twilioAuthToken, url, Object.fromEntries(new URLSearchParams(raw)));
          sent = raw;
          code = await status(fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature }, body: raw }));
        } else {
          id = `utf8-${randomBytes(6).toString('hex')}`;
          const [head, tail] = JSON.stringify(jsonInbound({ from, text: `طلب ${text}@@`, id })).split('@@') as [string, string];
          const body = Buffer.concat([Buffer.from(head), Buffer.from(bytes.flat()), Buffer.from(tail)]);
          sent = body.toString('latin1');
          code = await postRaw(body);
        }
        expect(report.http(boundary('invalid UTF-8 in text'), code, sent)).not.toBe('crash');
        const rows = await stored(id);
        if (code === 200) {
          expect(rows).toHaveLength(1);
          expect(isSoundText(rows[0]!.text)).toBe(true);
          // Two of the bad sequences can meet as a good one (0xC3 then 0x80 is "À"); only a bad whole shows as U+FFFD.
          if (!isUtf8(Buffer.from(bytes.flat())) || (provider === 'twilio' && truncatedEscape)) expect(rows[0]!.text).toContain('\uFFFD');
        } else {
          expect(rows).toHaveLength(0);
        }
      }),
      fuzzParams(40),
    );
  });

  describe('delivery reports for a message Wasl really sent', () => {
    let sentId: string;
    beforeAll(async () => {
      const from = nextPhone();
      expect(await inbound({ from, text: 'السلام عليكم', id: provider === 'twilio' ? `SM${randomBytes(16).toString('hex')}` : `dr-${randomBytes(6).toString('hex')}` })).toBe(200);
      await wasl.chat(from).replies(30_000);
      sentId = fake.sent(from)[0]!.id!;
    }, 60_000);

    const outbound = async () => {
      const rows = await wasl.database.db
        .select({ status: messages.status, error: messages.error, deliveredAt: messages.deliveredAt })
        .from(messages)
        .where(and(eq(messages.channel, 'sms'), eq(messages.direction, 'out'), eq(messages.providerMessageId, sentId)));
      expect(rows).toHaveLength(1);
      return rows[0]!;
    };
    /** Back to `sent`, as when the provider took it: reports only move a message forward, so each run needs one that can move. */
    const backToSent = () =>
      wasl.database.db.update(messages).set({ status: 'sent', error: null, deliveredAt: null }).where(and(eq(messages.channel, 'sms'), eq(messages.direction, 'out'), eq(messages.providerMessageId, sentId)));
    /** A report as each provider words it (fake-sms-providers.ts `deliverStatus`), with the operator's error text. */
    const reportFields = (state: 'delivered' | 'failed', error = ''): Record<string, string> => {
      const failed = state === 'failed';
      const withError = (key: string) => (failed && error !== '' ? { [key]: error } : {});
      switch (provider) {
        case 'twilio':
          return { MessageSid: sentId, MessageStatus: failed ? 'undelivered' : 'delivered', ...withError('ErrorCode') };
        case 'generic':
          return { type: 'status', id: sentId, status: state, ...withError('error') };
        case 'unifonic':
          return { MessageID: sentId, Status: failed ? 'Undeliverable' : 'Delivered', ...withError('errorCode') };
        case 'taqnyat':
          return { messageId: sentId, status: failed ? 'UNDELIV' : 'DELIVRD', ...withError('reason') };
      }
    };
    /** What delivery-reports.ts stores for a failure with `error`; null when the report is refused as too long. */
    const storedError = (error: string): string | null => {
      if (error === '') return 'not delivered: the operator reported a failure';
      const said = toStorableText(provider === 'twilio' ? `Twilio error ${error}` : error);
      // At most 300 characters (zod counts code points): as sent for the generic driver, once storable for the rest.
      if ([...(provider === 'generic' ? error : said)].length > 300) return null;
      return cutText(`not delivered: ${said}`, 500);
    };
    const operatorError = fc.oneof(
      { weight: 6, arbitrary: hostileText(4) },
      { weight: 1, arbitrary: fc.constant('') },
      // Near the 300-character limit, mostly emoji: up to 600 UTF-16 units, past the 500 the error column keeps.
      {
        weight: 3,
        arbitrary: fc
          .tuple(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 240, max: 305 }), fc.constantFrom(...EMOJI))
          .map(([arabic, total, emoji]) => 'خ'.repeat(arabic) + emoji.repeat(Math.ceil((total - arabic) / [...emoji].length))),
      },
    );

    it('stores hostile error text of a failure report soundly, or refuses it whole', async () => {
      await fc.assert(
        fc.asyncProperty(operatorError, async (error) => {
          await backToSent();
          const code = await postFields(reportFields('failed', error));
          expect(report.http(boundary('failure report for a sent SMS'), code, JSON.stringify(error))).not.toBe('crash');
          const expected = storedError(error);
          const row = await outbound();
          if (expected === null) {
            expect(code).toBe(400);
            expect(row).toEqual({ status: 'sent', error: null, deliveredAt: null });
          } else {
            expect(code).toBe(200);
            expect(row).toEqual({ status: 'failed', error: expected, deliveredAt: null });
            expect(isSoundText(row.error)).toBe(true);
          }
        }),
        fuzzParams(40),
      );
    }, 120_000);

    it('keeps the first outcome: a late failure never undoes a delivery, nor a late delivery a failure', async () => {
      await backToSent();
      expect(await postFields(reportFields('delivered'))).toBe(200);
      expect(await postFields(reportFields('failed', 'انتهت الصلاحية <script>'))).toBe(200);
      expect(await outbound()).toEqual({ status: 'delivered', error: null, deliveredAt: expect.any(Date) });

      const states = fc.array(fc.constantFrom<'delivered' | 'failed'>('delivered', 'failed'), { minLength: 2, maxLength: 5 });
      await fc.assert(
        fc.asyncProperty(states, hostileText(2), fc.boolean(), async (sequence, error, together) => {
          fc.pre(storedError(error) !== null);
          await backToSent();
          const post = (state: 'delivered' | 'failed') => postFields(reportFields(state, error));
          const codes = together ? await Promise.all(sequence.map(post)) : await sequence.reduce(async (done, state) => [...(await done), await post(state)], Promise.resolve([] as number[]));
          for (const c of codes) report.http(boundary('late and racing delivery reports'), c);
          expect(codes.every((c) => c === 200)).toBe(true);
          const row = await outbound();
          // In order, the first report decides; arriving together, one of them does, and the row is never a mix.
          if (!together) expect(row.status).toBe(sequence[0]);
          expect(row).toEqual(
            row.status === 'delivered' ? { status: 'delivered', error: null, deliveredAt: expect.any(Date) } : { status: 'failed', error: storedError(error), deliveredAt: null },
          );
        }),
        fuzzParams(25),
      );
    }, 120_000);

    it('refuses a forged or tampered report with 401 and leaves the message as it was', async () => {
      await backToSent();
      const forged = fc.record({ how: fc.constantFrom('bad', 'none', 'near miss', 'tampered'), state: fc.constantFrom<'delivered' | 'failed'>('delivered', 'failed'), error: hostileText(2) });
      await fc.assert(
        fc.asyncProperty(forged, async ({ how, state, error }) => {
          const fields = reportFields(state, error);
          let code: number;
          if (how === 'bad' || how === 'none') {
            code = await postFields(fields, how);
          } else if (provider === 'twilio') {
            const url = `${wasl.url}/webhooks/sms/twilio`;
            // Signed over what Twilio said (still sending), sent saying something else; or signed with a token one character off.
            const signature = how === 'tampered' ? twilioSignature(FAKE_SMS.twilioAuthToken, url, { ...fields, MessageStatus: 'sending' }) : twilioSignature(`${FAKE_SMS.twilioAuthToken.slice(0, -1)}X`, url, fields);
            code = await status(fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature }, body: new URLSearchParams(fields).toString() }));
          } else {
            // One character short, or one letter in another case (a header's surrounding spaces are not its value).
            const secret = how === 'tampered' ? FAKE_SMS.webhookSecret.replace(/^./, (c) => c.toUpperCase()) : FAKE_SMS.webhookSecret.slice(0, -1);
            code = await status(fetch(`${wasl.url}/webhooks/sms/${provider}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-webhook-secret': secret }, body: JSON.stringify(fields) }));
          }
          report.http(boundary('forged delivery report'), code);
          expect(code).toBe(401);
          expect(await outbound()).toEqual({ status: 'sent', error: null, deliveredAt: null });
        }),
        fuzzParams(30),
      );
      // The same report, signed as the provider signs it, is applied: the 401s above were for the forgery alone.
      expect(await postFields(reportFields('delivered'))).toBe(200);
      expect((await outbound()).status).toBe('delivered');
    }, 120_000);
  });

  it('afterwards: no 5xx, no error logged, sound records, and an SMS is still answered', async () => {
    expect(report.crashes()).toBe(0);
    expect(await storedRecordProblems(wasl.database.db, 'sms')).toEqual([]);
    const phone = nextPhone();
    expect(await inbound({ from: phone, text: 'السلام عليكم', id: provider === 'twilio' ? `SM${randomBytes(16).toString('hex')}` : `ok-${phoneSeq}` })).toBe(200);
    await wasl.chat(phone).replies(30_000);
    expect(fake.sent(phone).length).toBeGreaterThan(0);
    const [contact] = await wasl.database.db.select().from(contacts).where(eq(contacts.channelUserId, phone));
    expect(contact?.channel).toBe('sms');
    expect(logs.errors()).toEqual([]);
    expect(logs.broken).toEqual([]);
  });
});
