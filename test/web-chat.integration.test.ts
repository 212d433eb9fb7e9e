/**
 * The website chat API over real HTTP and server-sent events, through the real pipeline: messages in, replies
 * (with choices as buttons) out, the conversation replayed after a reload, CORS, input limits and rate limits.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { like } from 'drizzle-orm';
import { contacts, messages } from '../src/store/schema';
import { startTestWasl, waitFor, type TestWasl } from './support/harness';

interface StreamEvent {
  id: number;
  direction: 'in' | 'out';
  text: string;
  choices: { number: number; label: string }[];
}

/** A minimal EventSource over fetch, so the test can read events, reconnect with Last-Event-ID and close. */
function openStream(url: string, headers: Record<string, string> = {}) {
  const events: StreamEvent[] = [];
  const abort = new AbortController();
  const ready = fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: abort.signal }).then(async (res) => {
    if (res.status !== 200) return res;
    void (async () => {
      const decoder = new TextDecoder();
      let buffer = '';
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          buffer += decoder.decode(chunk, { stream: true });
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const id = /^id: (\d+)$/m.exec(block)?.[1];
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (id && data) events.push({ id: Number(id), ...(JSON.parse(data) as Omit<StreamEvent, 'id'>) });
          }
        }
      } catch {
        // aborted
      }
    })();
    return res;
  });
  return { events, ready, close: () => abort.abort() };
}

const newDeviceId = () => randomBytes(16).toString('base64url');

describe('website chat API', () => {
  let wasl: TestWasl;
  const post = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${wasl.url}/api/web/messages`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const say = (deviceId: string, text: string) => post({ deviceId, clientMessageId: randomUUID(), text });

  beforeAll(async () => {
    wasl = await startTestWasl({
      db: 'pglite',
      extraEnv: {
        WEB_CHAT_ALLOWED_ORIGINS: 'https://charity.example, https://www.charity.example',
        WEB_CHAT_WHATSAPP_NUMBER: '+966501234567',
        WEB_CHAT_MESSAGES_PER_MINUTE: '8',
      },
    });
  });
  afterAll(() => wasl?.stop());

  it('carries a conversation: replies arrive over SSE with choices as buttons, and a reload replays it all', async () => {
    const deviceId = newDeviceId();
    const stream = openStream(`${wasl.url}/api/web/stream?deviceId=${deviceId}`);
    expect((await stream.ready).status).toBe(200);
    const res = await say(deviceId, 'السلام عليكم');
    expect(res.status).toBe(202);
    const { messageId } = (await res.json()) as { messageId: number };
    const welcome = await waitFor('the welcome', async () => stream.events.find((e) => e.direction === 'out'));
    expect(welcome.text).toContain('جمعية بر الخوار');
    // Buttons, not a numbered list in the text.
    expect(welcome.text).not.toMatch(/^1\. /m);
    expect(welcome.choices.map((c) => c.label)).toContain('تقديم طلب مساعدة');
    expect(welcome.id).toBeGreaterThan(messageId);

    // Tapping a button sends its label.
    await say(deviceId, 'تقديم طلب مساعدة');
    await waitFor('the first question', async () => stream.events.some((e) => e.text.includes('اسمك الرباعي')));
    stream.close();

    // A new page (no Last-Event-ID): the whole conversation, both sides, in order.
    const reload = openStream(`${wasl.url}/api/web/stream?deviceId=${deviceId}`);
    await waitFor('the replayed conversation', async () => reload.events.some((e) => e.text.includes('اسمك الرباعي')));
    expect(reload.events[0]).toMatchObject({ id: messageId, direction: 'in', text: 'السلام عليكم' });
    expect(reload.events.map((e) => e.id)).toEqual([...reload.events.map((e) => e.id)].sort((a, b) => a - b));
    const lastId = reload.events.at(-1)!.id;
    reload.close();

    // A reconnect (Last-Event-ID) gets only what is newer.
    const resumed = openStream(`${wasl.url}/api/web/stream?deviceId=${deviceId}`, { 'last-event-id': String(lastId) });
    await resumed.ready;
    await say(deviceId, 'محمد عبدالله سعد الحربي');
    await waitFor('the next question', async () => resumed.events.some((e) => e.direction === 'out'));
    expect(resumed.events.every((e) => e.id > lastId)).toBe(true);
    resumed.close();
  });

  it('keeps HTML and script in a message as text, and never stores the device id', async () => {
    const deviceId = newDeviceId();
    const payload = '<img src=x onerror="alert(1)"><script>alert(2)</script>';
    expect((await say(deviceId, payload)).status).toBe(202);
    const stream = openStream(`${wasl.url}/api/web/stream?deviceId=${deviceId}`);
    const echoed = await waitFor('the echoed message', async () => stream.events.find((e) => e.direction === 'in'));
    expect(echoed.text).toBe(payload);
    stream.close();
    const leaked = await wasl.database.db.select({ id: contacts.id }).from(contacts).where(like(contacts.channelUserId, `%${deviceId}%`));
    expect(leaked).toHaveLength(0);
    const leakedInMessages = await wasl.database.db.select({ id: messages.id }).from(messages).where(like(messages.providerMessageId, `%${deviceId}%`));
    expect(leakedInMessages).toHaveLength(0);
  });

  it('refuses malformed input with 400', async () => {
    const deviceId = newDeviceId();
    expect((await post({ deviceId: 'guessable', clientMessageId: randomUUID(), text: 'hi' })).status).toBe(400);
    expect((await post({ deviceId, clientMessageId: randomUUID(), text: '   ' })).status).toBe(400);
    expect((await post({ deviceId, clientMessageId: randomUUID(), text: 'x'.repeat(2001) })).status).toBe(400);
    expect((await fetch(`${wasl.url}/api/web/stream?deviceId=short`)).status).toBe(400);
  });

  it('stores a retried POST once', async () => {
    const deviceId = newDeviceId();
    const clientMessageId = randomUUID();
    const first = (await (await post({ deviceId, clientMessageId, text: 'مرحبا' })).json()) as { messageId: number };
    const again = (await (await post({ deviceId, clientMessageId, text: 'مرحبا' })).json()) as { messageId: number; duplicate: boolean };
    expect(again).toEqual({ messageId: first.messageId, duplicate: true });
  });

  it('limits messages per device', async () => {
    const deviceId = newDeviceId();
    // 20 at once against 8 a minute: even if they straddle two minute windows, at most 16 get through.
    const responses = await Promise.all(Array.from({ length: 20 }, (_, i) => say(deviceId, `رسالة ${i}`)));
    const accepted = responses.filter((r) => r.status === 202).length;
    const limited = responses.filter((r) => r.status === 429);
    expect(accepted).toBeGreaterThanOrEqual(8);
    expect(accepted).toBeLessThanOrEqual(16);
    expect(limited.length).toBe(20 - accepted);
    expect(Number(limited[0]!.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another device is not affected.
    expect((await say(newDeviceId(), 'مرحبا')).status).toBe(202);
  });

  it('allows only the configured origins (and its own)', async () => {
    const deviceId = newDeviceId();
    const allowed = await post({ deviceId, clientMessageId: randomUUID(), text: 'مرحبا' }, { origin: 'https://charity.example' });
    expect(allowed.status).toBe(202);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://charity.example');
    const foreign = await post({ deviceId, clientMessageId: randomUUID(), text: 'مرحبا' }, { origin: 'https://evil.example' });
    expect(foreign.status).toBe(403);
    const own = await post({ deviceId, clientMessageId: randomUUID(), text: 'مرحبا' }, { origin: wasl.url! });
    expect(own.status).toBe(202);

    const preflight = await fetch(`${wasl.url}/api/web/messages`, {
      method: 'OPTIONS',
      headers: { origin: 'https://www.charity.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://www.charity.example');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('content-type');
    const badPreflight = await fetch(`${wasl.url}/api/web/messages`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    expect(badPreflight.status).toBe(403);

    const stream = openStream(`${wasl.url}/api/web/stream?deviceId=${deviceId}`, { origin: 'https://charity.example' });
    const res = await stream.ready;
    expect(res.headers.get('access-control-allow-origin')).toBe('https://charity.example');
    stream.close();
  });

  it('serves the widget, its settings and the demo page', async () => {
    const js = await fetch(`${wasl.url}/widget/wasl-widget.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toContain('javascript');
    expect(await js.text()).toContain('/api/web/stream');
    const config = (await (await fetch(`${wasl.url}/api/web/config`)).json()) as { whatsappUrl: string; organisation: { name: { ar: string } } };
    expect(config.whatsappUrl).toBe('https://wa.me/966501234567');
    expect(config.organisation.name.ar).toBe('جمعية بر الخوار وأحياء شرق خليص');
    const page = await (await fetch(`${wasl.url}/`)).text();
    expect(page).toContain('جمعية بر الخوار وأحياء شرق خليص');
    expect(page).toContain('<script src="/widget/wasl-widget.js"');
    expect(page).toContain('dir="rtl"');
  });
});
