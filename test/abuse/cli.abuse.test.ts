/**
 * The terminal channel's routes under bad input: `POST /api/cli/messages` with arbitrary, malformed, huge, deeply
 * nested and hostile bodies, forged ids, hostile files and concurrent replays; forged or missing tokens on both
 * routes (401, nothing stored, another user's replies never streamed); hostile stream queries. Every answer a 2xx
 * or a 4xx, every stored message sound, and the token never written to the log.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import fc from 'fast-check';
import { cliChannelToken } from '../../src/channels/cli/cli-token';
import { messages } from '../../src/store/schema';
import type { TestWasl } from '../support/harness';
import { AbuseReport } from './support/abuse-report';
import { useAbuseWasl } from './support/abuse-wasl';
import { announceSeed, fuzzParams, hostileText, nested, NESTINGS, uriEncode } from './support/hostile-strings';
import { inboundCount, isSoundText, storedRecordProblems } from './support/wasl-watch';

const report = new AbuseReport('Terminal channel (/api/cli/*)');
const abuse = useAbuseWasl({ report, start: () => ({ db: 'pglite' }) });
const { logs } = abuse;
let wasl: TestWasl;
let auth: string;
beforeAll(() => {
  announceSeed('cli.abuse');
  wasl = abuse.wasl();
  auth = `Bearer ${wasl.cliToken}`;
});

const newUserId = () => `abuse-${randomBytes(6).toString('hex')}`;

/** Over real HTTP, as `npm run chat` talks to it; `authorization: null` sends none. */
async function request(opts: { method?: 'GET' | 'POST'; url: string; body?: string | Buffer; headers?: Record<string, string>; authorization?: string | null }): Promise<{ status: number; body: string }> {
  const authorization = opts.authorization === undefined ? auth : opts.authorization;
  try {
    const res = await fetch(`${wasl.url}${opts.url}`, {
      method: opts.method ?? 'POST',
      headers: { 'content-type': 'application/json', ...(authorization !== null ? { authorization } : {}), ...opts.headers },
      ...(opts.body !== undefined ? { body: opts.body } : {}),
    });
    return { status: res.status, body: await res.text() };
  } catch {
    // A reset connection is the server giving up on a request: a crash for the report.
    return { status: 599, body: '' };
  }
}
const postMessage = (body: string | Buffer, authorization?: string | null, headers?: Record<string, string>) =>
  request({ url: '/api/cli/messages', body, ...(authorization !== undefined ? { authorization } : {}), ...(headers ? { headers } : {}) });

const stored = (messageId: string) =>
  wasl.database.db
    .select({ text: messages.text })
    .from(messages)
    .where(and(eq(messages.channel, 'cli'), eq(messages.direction, 'in'), eq(messages.providerMessageId, messageId)));

/**
 * `authorization` values that must not pass: none, junk, a well-formed token of another key, and the real token
 * with the wrong scheme or one character off. Header-safe, as a client could send them.
 */
const forgedAuthorization = (): fc.Arbitrary<string | null> =>
  fc.oneof(
    fc.constant(null),
    fc.string({ unit: 'grapheme-ascii', maxLength: 80 }).map((s) => s.replace(/[\r\n\0]/g, '')),
    fc.string({ unit: 'grapheme-ascii', maxLength: 80 }).map((s) => `Bearer ${s.replace(/[\r\n\0]/g, '')}`),
    hostileText(2).map((t) => `Bearer ${uriEncode(t)}`),
    fc.uint8Array({ minLength: 32, maxLength: 32 }).map((k) => `Bearer ${cliChannelToken(Buffer.from(k).toString('hex'))}`),
    fc.constantFrom(
      () => wasl.cliToken,
      () => `Basic ${wasl.cliToken}`,
      () => `Token ${wasl.cliToken}`,
      () => `Bearer ${wasl.cliToken.slice(1)}`,
      () => `Bearer ${wasl.cliToken}0`,
      () => `Bearer ${wasl.cliToken.slice(0, 32)}`,
      () => `Bearer ${wasl.cliToken.toUpperCase()}`,
      () => `Bearer ${wasl.cliToken.slice(0, -1)}${wasl.cliToken.endsWith('0') ? '1' : '0'}`,
      () => `Bearer ${wasl.cliToken}, Bearer ${wasl.cliToken}`,
      () => `Bearer ${cliChannelToken(wasl.env.SECRET_KEY!.toUpperCase())}`,
      () => 'Bearer ',
    ).map((make) => make()),
  );

describe('terminal channel under bad input', () => {
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
        const messageId = randomUUID();
        const { status, body } = await postMessage(JSON.stringify({ userId: newUserId(), messageId, text }));
        expect(report.http('POST messages: hostile text', status, JSON.stringify(text))).not.toBe('crash');
        if (status === 202) {
          const [row] = await stored(messageId);
          expect(row).toBeDefined();
          expect(isSoundText(row!.text)).toBe(true);
        } else {
          // The only thing a 400 may refuse in the text: more than the 4,000 characters a line may have.
          expect(status).toBe(400);
          expect(body).toMatch(/text/);
          expect(text.length).toBeGreaterThan(4000);
        }
      }),
      fuzzParams(150),
    );
  });

  it('refuses forged user and message ids with a 400 naming the field', async () => {
    const badId = fc.oneof(hostileText(2), fc.string({ unit: 'grapheme-ascii', maxLength: 70 }), fc.constantFrom('', 'a'.repeat(65), '../../etc/passwd', `${newUserId()}\u0000`, 'user id', 'x:y'));
    await fc.assert(
      fc.asyncProperty(badId, fc.boolean(), async (id, asUser) => {
        const userOk = /^[A-Za-z0-9_.-]{1,64}$/.test(id);
        const messageOk = /^[A-Za-z0-9-]{8,64}$/.test(id);
        fc.pre(asUser ? !userOk : !messageOk);
        const body = asUser ? { userId: id, messageId: randomUUID(), text: 'مرحبا' } : { userId: newUserId(), messageId: id, text: 'مرحبا' };
        const { status, body: answer } = await postMessage(JSON.stringify(body));
        report.http('POST messages: forged ids', status);
        expect(status).toBe(400);
        expect(answer).toMatch(asUser ? /userId/ : /messageId/);
      }),
      fuzzParams(60),
    );
  });

  it('stores a hostile file soundly or refuses it with 4xx', async () => {
    const file = fc.record({
      name: fc.oneof(hostileText(2), fc.constantFrom('../../../etc/passwd', 'a'.repeat(201), 'CON', '.pdf', 'report.pdf\u0000.exe')),
      mimeType: fc.constantFrom('application/pdf', 'image/png', 'image/jpeg', 'text/html', 'application/x-msdownload', ''),
      base64: fc.oneof(fc.uint8Array({ maxLength: 256 }).map((b) => Buffer.from(b).toString('base64')), fc.string({ unit: 'grapheme-ascii', maxLength: 64 })),
    });
    await fc.assert(
      fc.asyncProperty(file, hostileText(1), async (f, text) => {
        const { status } = await postMessage(JSON.stringify({ userId: newUserId(), messageId: randomUUID(), text, file: f }));
        expect(report.http('POST messages: hostile file', status, JSON.stringify(f).slice(0, 200))).not.toBe('crash');
      }),
      fuzzParams(60),
    );
  });

  it('refuses malformed JSON, other content types and oversized bodies with 4xx', async () => {
    const userId = newUserId();
    const cases: [string, string | Buffer, Record<string, string>?][] = [
      ['malformed JSON', '{"userId": '],
      ['malformed JSON', '{"text":"a",}'],
      ['malformed JSON', Buffer.from([0x7b, 0xff, 0xfe, 0x7d])],
      ['malformed JSON', ''],
      ['other content type', 'text=hi', { 'content-type': 'application/x-www-form-urlencoded' }],
      ['other content type', 'hi', { 'content-type': 'text/plain' }],
      ['oversized body', JSON.stringify({ userId, messageId: randomUUID(), text: 'ا'.repeat(4001) })],
      ['oversized body', JSON.stringify({ userId, messageId: randomUUID(), text: 'a'.repeat(10 * 1024 * 1024) })],
      ['oversized body', JSON.stringify({ userId, messageId: randomUUID(), file: { name: 'big.pdf', mimeType: 'application/pdf', base64: 'A'.repeat(14 * 1024 * 1024) } })],
      ['oversized body', Buffer.alloc(10 * 1024 * 1024, 0x61)],
      ['oversized body', Buffer.alloc(17 * 1024 * 1024, 0x20)],
    ];
    const before = await inboundCount(wasl.database.db, 'cli');
    for (const [what, body, headers] of cases) {
      const { status } = await postMessage(body, undefined, headers);
      report.http(`POST messages: ${what}`, status);
      expect(status).toBeGreaterThanOrEqual(400);
      expect(status).toBeLessThan(500);
    }
    expect(await inboundCount(wasl.database.db, 'cli')).toBe(before);
  });

  it('answers deeply nested JSON with 2xx or 4xx', async () => {
    for (const depth of [1_000, 10_000, 100_000]) {
      for (const nesting of NESTINGS) {
        const [open] = nesting;
        const deep = nested(depth, nesting);
        for (const body of [deep, `{"userId":"${newUserId()}","messageId":"${randomUUID()}","text":${deep}}`, `{"userId":"${newUserId()}","messageId":"${randomUUID()}","file":${deep}}`]) {
          const { status } = await postMessage(body);
          expect(report.http('POST messages: deep nesting', status, `${depth} × ${open}`)).not.toBe('crash');
        }
      }
    }
  });

  it('refuses a forged or missing token with 401 and stores nothing', async () => {
    const before = await inboundCount(wasl.database.db, 'cli');
    await fc.assert(
      fc.asyncProperty(forgedAuthorization(), hostileText(2), async (authorization, text) => {
        const messageId = randomUUID();
        const { status, body } = await postMessage(JSON.stringify({ userId: newUserId(), messageId, text }), authorization);
        report.http('POST messages: forged token', status, String(authorization));
        expect(status).toBe(401);
        expect(JSON.parse(body)).toMatchObject({ error: expect.stringMatching(/token/) });
      }),
      fuzzParams(80),
    );
    // Nor does the token count anywhere but in the header.
    for (const [what, url, headers] of [
      ['token in the query', `/api/cli/messages?token=${wasl.cliToken}&access_token=${wasl.cliToken}`, {}],
      ['token in another header', '/api/cli/messages', { 'x-cli-token': wasl.cliToken, cookie: `token=${wasl.cliToken}` }],
    ] as const) {
      const { status } = await request({ url, body: JSON.stringify({ userId: newUserId(), messageId: randomUUID(), text: 'مرحبا' }), authorization: null, headers });
      report.http(`POST messages: ${what}`, status);
      expect(status).toBe(401);
    }
    // A 10 MB body without the token is refused before it is read, not parsed first.
    const big = await postMessage(Buffer.alloc(10 * 1024 * 1024, 0x61), null);
    report.http('POST messages: 10 MB without token', big.status);
    expect([401, 413]).toContain(big.status);
    expect(await inboundCount(wasl.database.db, 'cli')).toBe(before);
  });

  it('stores a replayed message once, even when the copies arrive together', async () => {
    await fc.assert(
      fc.asyncProperty(hostileText(3), fc.integer({ min: 2, max: 6 }), async (text, copies) => {
        const messageId = randomUUID();
        const body = JSON.stringify({ userId: newUserId(), messageId, text });
        const answers = await Promise.all(Array.from({ length: copies }, () => postMessage(body)));
        for (const a of answers) report.http('POST messages: replayed', a.status);
        expect(answers.every((a) => a.status === 202)).toBe(true);
        expect(await stored(messageId)).toHaveLength(1);
      }),
      fuzzParams(30),
    );
  });

  it("never streams another user's replies without the token", async () => {
    const victim = newUserId();
    const [welcome] = await wasl.chat(victim).say('السلام عليكم');
    expect(welcome).toBeTruthy();
    const marker = welcome!.split('\n')[0]!;
    await fc.assert(
      fc.asyncProperty(forgedAuthorization(), fc.constantFrom('', '&after=0'), async (authorization, after) => {
        const { status, body } = await request({ method: 'GET', url: `/api/cli/stream?userId=${victim}${after}`, headers: { accept: 'text/event-stream', 'last-event-id': '0' }, authorization });
        report.http("GET stream: another user's, forged token", status, String(authorization));
        expect(status).toBe(401);
        expect(body).not.toContain(marker);
        expect(body).not.toMatch(/^data:/m);
      }),
      fuzzParams(50),
    );
    // With the token the same request streams the replies: the 401s above were the token, not the request.
    const abort = new AbortController();
    const res = await fetch(`${wasl.url}/api/cli/stream?userId=${victim}`, { headers: { accept: 'text/event-stream', 'last-event-id': '0', authorization: auth }, signal: abort.signal });
    report.http('GET stream: with the token', res.status);
    expect(res.status).toBe(200);
    let seen = '';
    const decoder = new TextDecoder();
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      seen += decoder.decode(chunk, { stream: true });
      if (/^data:.*\n\n/m.test(seen)) break;
    }
    abort.abort();
    expect(seen).toContain(JSON.stringify(marker).slice(1, -1));
  });

  it('answers the stream with hostile user ids, queries and Last-Event-ID with 400 (and 401 without the token)', async () => {
    const query = fc.oneof(
      hostileText(2).map((t) => `userId=${uriEncode(t)}`),
      fc.constantFrom('', 'userId=', 'userId[]=x', `userId=${'a'.repeat(65)}`, 'userId=%ff%fe', 'userId=%00', 'userId=a&after=-1', 'userId=a&after=1e309', 'userId=a&after=x'),
    );
    await fc.assert(
      fc.asyncProperty(query, fc.boolean(), async (q, withToken) => {
        const { status } = await request({ method: 'GET', url: `/api/cli/stream?${q}`, authorization: withToken ? auth : null });
        report.http(`GET stream: hostile query${withToken ? '' : ', no token'}`, status, q);
        expect(status).toBe(withToken ? 400 : 401);
      }),
      fuzzParams(60),
    );
    for (const id of ['-1', 'NaN', '1; drop table messages', '\u202E1', ' 5 ']) {
      const { status } = await request({ method: 'GET', url: `/api/cli/stream?userId=${newUserId()}`, headers: { 'last-event-id': uriEncode(id) } });
      report.http('GET stream: hostile Last-Event-ID', status, id);
      expect(status).toBe(400);
    }
  });

  it('afterwards: no 5xx, no error logged, no token in the log, sound records, and a normal message is still answered', async () => {
    expect(report.crashes()).toBe(0);
    expect(await storedRecordProblems(wasl.database.db, 'cli')).toEqual([]);
    const replies = await wasl.chat(newUserId()).say('السلام عليكم');
    expect(replies.join('\n')).toContain('جمعية بر الخوار');
    const refusals = logs.lines.filter((l) => l.includes('cli channel refused'));
    expect(refusals.length).toBeGreaterThan(0);
    expect(logs.lines.filter((l) => l.includes(wasl.cliToken) || l.includes(wasl.cliToken.slice(0, 16)))).toEqual([]);
    expect(logs.errors()).toEqual([]);
    expect(logs.broken).toEqual([]);
  });
});
