/**
 * The website chat's public routes under bad input: `POST /api/web/messages` with arbitrary, malformed, huge and
 * hostile bodies, forged ids and replays; `GET /api/web/stream` with hostile device ids, queries and
 * Last-Event-ID; foreign origins; odd paths. Every answer a 2xx or a 4xx, every 2xx message stored soundly.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import fc from 'fast-check';
import { webUserIdOf } from '../../src/channels/web/device-id';
import { WEB_MAX_TEXT } from '../../src/channels/web/web-routes';
import { messages } from '../../src/store/schema';
import type { TestWasl } from '../support/harness';
import { AbuseReport } from './support/abuse-report';
import { announceSeed, fuzzParams, hostileText, nested, NESTINGS, uriEncode } from './support/hostile-strings';
import { useAbuseWasl } from './support/abuse-wasl';
import { isSoundText, storedRecordProblems } from './support/wasl-watch';

const report = new AbuseReport('Website chat (/api/web/*)');
const abuse = useAbuseWasl({
  report,
  // The per-IP limit would turn most of this run into 429s; the per-device limit stays as shipped.
  start: () => ({ db: 'pglite', extraEnv: { WEB_CHAT_ALLOWED_ORIGINS: 'https://charity.example', WEB_CHAT_IP_REQUESTS_PER_MINUTE: '100000' } }),
});
const { logs } = abuse;
let wasl: TestWasl;
beforeAll(() => {
  announceSeed('web-chat.abuse');
  wasl = abuse.wasl();
});

const newDeviceId = () => randomBytes(16).toString('base64url');

/** Over real HTTP (fastify's inject() cannot load in this jest setup: light-my-request needs ESM `cookie`). */
async function inject(opts: { method?: 'GET' | 'POST'; url: string; body?: string | Buffer; headers?: Record<string, string> }): Promise<{ status: number; body: string }> {
  try {
    const res = await fetch(`${wasl.url}${opts.url}`, {
      method: opts.method ?? 'POST',
      headers: { 'content-type': 'application/json', ...opts.headers },
      ...(opts.body !== undefined ? { body: opts.body } : {}),
    });
    return { status: res.status, body: await res.text() };
  } catch {
    // A reset connection is the server giving up on a request: a crash for the report.
    return { status: 599, body: '' };
  }
}
const postMessage = (body: string | Buffer, headers?: Record<string, string>) => inject({ url: '/api/web/messages', body, ...(headers ? { headers } : {}) });

const storedText = async (deviceId: string, clientMessageId: string) =>
  wasl.database.db
    .select({ text: messages.text })
    .from(messages)
    .where(and(eq(messages.direction, 'in'), eq(messages.providerMessageId, `${webUserIdOf(deviceId)}:${clientMessageId}`)));

describe('website chat under bad input', () => {
  it('answers any JSON value with 2xx or 4xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 4 }), async (value) => {
        const { status } = await postMessage(JSON.stringify(value));
        expect(report.http('POST messages: arbitrary JSON', status, JSON.stringify(value))).not.toBe('crash');
      }),
      fuzzParams(120),
    );
  });

  it('stores hostile text soundly, or refuses it with a 400 that says which field', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(hostileText(), hostileText(1).map((t) => t.repeat(300))), async (text) => {
        const deviceId = newDeviceId();
        const clientMessageId = randomUUID();
        const { status, body } = await postMessage(JSON.stringify({ deviceId, clientMessageId, text }));
        expect(report.http('POST messages: hostile text', status, JSON.stringify(text))).not.toBe('crash');
        if (status === 202) {
          const [row] = await storedText(deviceId, clientMessageId);
          expect(row).toBeDefined();
          expect(isSoundText(row!.text)).toBe(true);
        } else {
          expect(status).toBe(400);
          expect(body).toMatch(/text/);
        }
        // What a 400 may refuse: nothing but spaces, or more than the widget allows.
        if (status === 400) expect(text.trim() === '' || text.length > WEB_MAX_TEXT).toBe(true);
      }),
      fuzzParams(150),
    );
  });

  it('refuses forged device and message ids with 400', async () => {
    const badId = fc.oneof(hostileText(2), fc.string({ unit: 'grapheme-ascii', maxLength: 30 }), fc.constant(newDeviceId() + '\u0000'), fc.constant(`${'A'.repeat(21)}=`));
    await fc.assert(
      fc.asyncProperty(badId, fc.boolean(), async (id, asDevice) => {
        const deviceOk = /^[A-Za-z0-9_-]{22}$/.test(id);
        const messageOk = /^[A-Za-z0-9-]{8,64}$/.test(id);
        fc.pre(asDevice ? !deviceOk : !messageOk);
        const body = asDevice ? { deviceId: id, clientMessageId: randomUUID(), text: 'مرحبا' } : { deviceId: newDeviceId(), clientMessageId: id, text: 'مرحبا' };
        const { status, body: answer } = await postMessage(JSON.stringify(body));
        report.http('POST messages: forged ids', status);
        expect(status).toBe(400);
        expect(answer).toMatch(asDevice ? /deviceId/ : /clientMessageId/);
      }),
      fuzzParams(60),
    );
  });

  it('refuses malformed JSON, other content types and oversized bodies with 4xx', async () => {
    const cases: [string, string | Buffer, Record<string, string>?][] = [
      ['malformed JSON', '{"deviceId": '],
      ['malformed JSON', '{"text":"a",}'],
      ['malformed JSON', Buffer.from([0x7b, 0xff, 0xfe, 0x7d])],
      ['other content type', 'text=hi', { 'content-type': 'application/x-www-form-urlencoded' }],
      ['other content type', 'hi', { 'content-type': 'text/plain' }],
      ['oversized body', JSON.stringify({ deviceId: newDeviceId(), clientMessageId: randomUUID(), text: 'ا'.repeat(20_000) })],
      ['oversized body', Buffer.alloc(10 * 1024 * 1024, 0x61)],
    ];
    for (const [what, body, headers] of cases) {
      const { status } = await postMessage(body, headers);
      report.http(`POST messages: ${what}`, status);
      expect(status).toBeGreaterThanOrEqual(400);
      expect(status).toBeLessThan(500);
    }
  });

  it('answers deeply nested JSON with 2xx or 4xx, storing sound text', async () => {
    // Past ~5,000 levels the 16 KB body limit answers 413 before any parser sees the nesting.
    for (const depth of [100, 1_000, 2_500, 5_000]) {
      for (const nesting of NESTINGS) {
        const [open] = nesting;
        const deep = nested(depth, nesting);
        const deviceId = newDeviceId();
        const clientMessageId = randomUUID();
        const bodies = [
          deep,
          JSON.stringify({ deviceId, clientMessageId, text: 'مرحبا' }).replace('"مرحبا"', deep),
          JSON.stringify({ deviceId: '@@', clientMessageId: randomUUID(), text: 'مرحبا' }).replace('"@@"', deep),
          JSON.stringify({ deviceId, clientMessageId, text: 'مرحبا', extra: '@@' }).replace('"@@"', deep),
        ];
        for (const body of bodies) {
          const { status } = await postMessage(body);
          expect(report.http('POST messages: deep nesting', status, `${depth} × ${open}`)).not.toBe('crash');
        }
        // Only the body whose nesting sits in an unknown field may be stored, and then as the text it carried.
        const stored = await storedText(deviceId, clientMessageId);
        expect(stored.map((r) => r.text)).toEqual(stored.length ? ['مرحبا'] : []);
      }
    }
  });

  it('answers invalid UTF-8 bytes in the text with 2xx or 4xx, storing sound text', async () => {
    const badBytes = fc.constantFrom([0xff], [0xfe, 0xff], [0xc0, 0xaf], [0xe0, 0x80, 0xaf], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xc3], [0x80], [0xc3, 0x28]);
    await fc.assert(
      fc.asyncProperty(fc.array(badBytes, { minLength: 1, maxLength: 4 }), hostileText(2), async (bytes, text) => {
        const deviceId = newDeviceId();
        const clientMessageId = randomUUID();
        const [head, tail] = JSON.stringify({ deviceId, clientMessageId, text: `${text}@@` }).split('@@') as [string, string];
        const body = Buffer.concat([Buffer.from(head), Buffer.from(bytes.flat()), Buffer.from(tail)]);
        const { status } = await postMessage(body);
        expect(report.http('POST messages: invalid UTF-8 in text', status, body.toString('latin1'))).not.toBe('crash');
        const stored = await storedText(deviceId, clientMessageId);
        if (status === 202) {
          expect(stored).toHaveLength(1);
          expect(isSoundText(stored[0]!.text)).toBe(true);
        } else {
          expect(stored).toHaveLength(0);
        }
      }),
      fuzzParams(60),
    );
  });

  it('stores a retried message once, even when the copies arrive together', async () => {
    await fc.assert(
      fc.asyncProperty(hostileText(3).filter((t) => t.trim().length > 0), fc.integer({ min: 2, max: 6 }), async (text, copies) => {
        const deviceId = newDeviceId();
        const clientMessageId = randomUUID();
        const body = JSON.stringify({ deviceId, clientMessageId, text });
        const answers = await Promise.all(Array.from({ length: copies }, () => postMessage(body)));
        for (const a of answers) report.http('POST messages: replayed', a.status);
        expect(answers.every((a) => a.status === 202)).toBe(true);
        expect(await storedText(deviceId, clientMessageId)).toHaveLength(1);
      }),
      fuzzParams(25),
    );
  });

  it('refuses a foreign origin with 403 and stores nothing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.webUrl({ withQueryParameters: false, withFragments: false }), async (origin) => {
        const deviceId = newDeviceId();
        const clientMessageId = randomUUID();
        const { status } = await postMessage(JSON.stringify({ deviceId, clientMessageId, text: 'مرحبا' }), { origin });
        report.http('POST messages: foreign origin', status);
        expect(status).toBe(403);
        expect(await storedText(deviceId, clientMessageId)).toHaveLength(0);
      }),
      fuzzParams(30),
    );
  });

  it('answers the stream with hostile device ids and queries with 400', async () => {
    const query = fc.oneof(
      hostileText(2).map((t) => `deviceId=${uriEncode(t)}`),
      fc.constantFrom('', 'deviceId=', 'deviceId[]=x', `deviceId=${newDeviceId()}&deviceId=${newDeviceId()}`, 'deviceId=%ff%fe', 'deviceId=%00', `deviceId[a]=${newDeviceId()}`),
    );
    await fc.assert(
      fc.asyncProperty(query, async (q) => {
        const { status } = await inject({ method: 'GET', url: `/api/web/stream?${q}` });
        report.http('GET stream: hostile query', status, q);
        expect(status).toBe(400);
      }),
      fuzzParams(60),
    );
  });

  it('resumes the stream from a valid Last-Event-ID and refuses any other with 400', async () => {
    const deviceId = newDeviceId();
    await postMessage(JSON.stringify({ deviceId, clientMessageId: randomUUID(), text: 'السلام عليكم' }));
    const lastEventId = fc.oneof(
      fc.constantFrom('-1', '1e309', 'NaN', '99999999999999999999', '1; drop table messages', '\u202E1', '0x10', ' 5 ', ''),
      hostileText(2),
      fc.nat().map(String),
    );
    await fc.assert(
      fc.asyncProperty(lastEventId, async (id) => {
        const abort = new AbortController();
        const res = await fetch(`${wasl.url}/api/web/stream?deviceId=${deviceId}`, {
          headers: { accept: 'text/event-stream', 'last-event-id': uriEncode(id) },
          signal: abort.signal,
        });
        report.http('GET stream: hostile Last-Event-ID', res.status, id);
        expect(res.status).toBe(/^\d{1,15}$/.test(uriEncode(id)) ? 200 : 400);
        if (res.status === 400) expect(await res.text()).toMatch(/last-event-id/i);
        abort.abort();
      }),
      fuzzParams(40),
    );
  });

  it('answers odd paths and methods on the chat API with 4xx', async () => {
    const path = fc.oneof(
      hostileText(2).map((t) => `/api/web/${uriEncode(t)}`),
      fc.constantFrom('/api/web/%00', '/api/web/..%2f..%2fetc%2fpasswd', '/api/web/messages/%ff', '/widget/..%2f..%2fpackage.json', '/api/web/config?x=%E0%A4%A'),
    );
    await fc.assert(
      fc.asyncProperty(path, fc.constantFrom('GET' as const, 'POST' as const), async (url, method) => {
        const { status } = await inject({ method, url, body: method === 'POST' ? '{}' : undefined });
        expect(report.http('odd paths', status, `${method} ${url}`)).not.toBe('crash');
      }),
      fuzzParams(60),
    );
  });

  it('afterwards: no 5xx, no error logged, sound records, and a normal message is still answered', async () => {
    expect(report.crashes()).toBe(0);
    expect(await storedRecordProblems(wasl.database.db, 'web')).toEqual([]);
    const deviceId = newDeviceId();
    const { status } = await postMessage(JSON.stringify({ deviceId, clientMessageId: randomUUID(), text: 'السلام عليكم' }));
    expect(status).toBe(202);
    const replies = await wasl.chat(webUserIdOf(deviceId)).replies(30_000);
    expect(replies.join('\n')).toContain('جمعية بر الخوار');
    expect(logs.errors()).toEqual([]);
    expect(logs.broken).toEqual([]);
  });
});
