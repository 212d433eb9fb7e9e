/**
 * The WhatsApp gateway surviving reality, through the fake client: a dropped connection, a Chromium crash and
 * "Execution context was destroyed" each get a NEW client (session restored from the database, no QR), and
 * the replies queued meanwhile are all sent afterwards; a logout from the phone needs a new QR, served as a PNG
 * by the console's status route to supervisors only. Also: pacing between sends, and never messaging someone who did not
 * write first.
 */
import { eq } from 'drizzle-orm';
import { contacts, conversations, beneficiaries, messages, whatsappSessions } from '../src/store/schema';
import { signedIn, type ConsoleClient } from './console-client';
import { FakeWhatsappPhone, WhatsappChat, startWhatsappWasl } from './fakes/fake-whatsapp-client';
import { waitFor, type TestWasl } from './support/harness';

const MIN_INTERVAL_MS = 120;

describe('WhatsApp gateway reliability (fake client, PGlite)', () => {
  let wasl: TestWasl;
  let phone: FakeWhatsappPhone;
  let n = 0;
  const chat = () => new WhatsappChat(wasl, phone, `9665${String(20_000_000 + ++n * 104_729).slice(-8)}@c.us`);
  let supervisor: ConsoleClient;
  let researcher: ConsoleClient;
  const status = async (as?: ConsoleClient) => {
    const res = await fetch(`${wasl.url}/api/channels/whatsapp`, as ? { headers: { cookie: as.cookieHeader() } } : {});
    return { code: res.status, body: (await res.json()) as { state: string; qr: string | null; since: string | null; lastConnectedAt: string | null } };
  };

  beforeAll(async () => {
    ({ wasl, phone } = await startWhatsappWasl({
      db: 'pglite',
      extraEnv: { WHATSAPP_MIN_INTERVAL_MS: String(MIN_INTERVAL_MS), WHATSAPP_PACE_JITTER_MS: '40' },
    }));
    supervisor = (await signedIn(wasl.database.db, wasl.url!, { role: 'supervisor' })).client;
    researcher = (await signedIn(wasl.database.db, wasl.url!, { role: 'researcher' })).client;
    await waitFor('the WhatsApp session', async () => phone.clients[0]?.state === 'ready');
    // Starting Wasl trains the NLU model: slow when test files run side by side.
  }, 180_000);
  afterAll(() => wasl?.stop());

  it('paired on first run (one QR) and saved the session in the database', async () => {
    await waitFor('the session row', async () => (await wasl.database.db.select().from(whatsappSessions)).length === 1);
    const [row] = await wasl.database.db.select().from(whatsappSessions);
    expect(row!.session).toBe('RemoteAuth-main');
    expect(row!.data.subarray(0, 2).toString()).toBe('PK'); // a zip
    const ready = (await status(supervisor)).body;
    expect(ready).toMatchObject({ state: 'ready', qr: null });
    expect(Date.parse(ready.lastConnectedAt!)).toBeGreaterThan(Date.now() - 180_000);
  });

  it('reports the session on /readyz and /metrics', async () => {
    const ready = await fetch(`${wasl.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ready: true, checks: { database: { ready: true }, redis: { ready: true }, 'channel:whatsapp': { ready: true, state: 'ready' } } });
    const metrics = await (await fetch(`${wasl.url}/metrics`)).text();
    expect(metrics).toContain('wasl_ready{check="channel:whatsapp",state="ready"} 1');
    expect(metrics).toMatch(/wasl_queue_jobs\{queue="outbound-whatsapp",state="waiting"\} \d+/);
  });

  it('queues replies while the connection is down and sends every one after reconnecting', async () => {
    const chats = [chat(), chat(), chat()];
    const clientsBefore = phone.clients.length;
    const sent = chats.map((c) => phone.receive({ from: c.chatId, body: 'السلام عليكم' }));
    // The connection drops before any reply can go out.
    await phone.current.disconnect('CONFLICT');
    for (const [i, c] of chats.entries()) await c.stored(sent[i]!);
    await waitFor('a new client', async () => phone.clients.length > clientsBefore && phone.current.state === 'ready');
    for (const c of chats) {
      const replies = await c.replies();
      expect(replies.join('\n')).toContain('جمعية بر الخوار');
    }
    const failed = await wasl.database.db.select().from(messages).where(eq(messages.status, 'failed'));
    expect(failed).toEqual([]);
    // Restored from the database: no QR on the new client.
    expect(phone.current.options.clientId).toBe('main');
  });

  it('paces sends from the number', async () => {
    const c = chat();
    await c.say('السلام عليكم');
    await c.say('1');
    const times = phone.sent.slice(-6).map((s) => s.at);
    // The lease starts a moment before sendMessage is called, so allow a few milliseconds of scheduling noise.
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(MIN_INTERVAL_MS - 20);
  });

  it('replaces the client after a Chromium crash', async () => {
    const before = phone.clients.length;
    phone.current.crashBrowser();
    await waitFor('a new client after the crash', async () => phone.clients.length > before && phone.current.state === 'ready');
    const c = chat();
    expect((await c.say('مرحبا')).length).toBeGreaterThan(0);
  });

  it('treats "Execution context was destroyed" as a dead client: a new one sends the reply', async () => {
    const before = phone.clients.length;
    phone.sendFailure = { message: 'Execution context was destroyed, most likely because of a navigation.', once: true };
    const c = chat();
    const replies = await c.say('السلام عليكم');
    expect(replies.join('\n')).toContain('جمعية بر الخوار');
    expect(phone.clients.length).toBeGreaterThan(before);
    expect(phone.sent.filter((s) => s.chatId === c.chatId).every((s) => s.clientIndex > before - 1)).toBe(true);
  });

  it('refuses to message a number that never wrote first (permanent failure, nothing sent)', async () => {
    const db = wasl.database.db;
    const chatId = '966598765432@c.us';
    const [b] = await db.insert(beneficiaries).values({}).returning();
    const [contact] = await db.insert(contacts).values({ beneficiaryId: b!.id, channel: 'whatsapp', channelUserId: chatId }).returning();
    const [conv] = await db.insert(conversations).values({ contactId: contact!.id, beneficiaryId: b!.id, channel: 'whatsapp' }).returning();
    const [out] = await db
      .insert(messages)
      .values({ conversationId: conv!.id, direction: 'out', channel: 'whatsapp', author: 'bot', text: 'عرض خاص!', payload: { choices: [], language: 'ar' }, status: 'queued' })
      .returning();
    await wasl.queues.enqueueSend({ channel: 'whatsapp', id: out!.id, conversationId: conv!.id });
    await waitFor('the refusal', async () => (await db.select().from(messages).where(eq(messages.id, out!.id)))[0]!.status === 'failed');
    const [row] = await db.select().from(messages).where(eq(messages.id, out!.id));
    expect(row!.error).toMatch(/never wrote/);
    expect(phone.sent.some((s) => s.chatId === chatId)).toBe(false);
  });

  it('after a logout from the phone shows a new QR (PNG, supervisors only), then resumes once scanned', async () => {
    expect((await status()).code).toBe(401);
    expect((await status(researcher)).code).toBe(403);

    phone.autoScan = false;
    await phone.current.disconnect('LOGOUT');
    await waitFor('the QR state', async () => (await status(supervisor)).body.state === 'qr');
    const { code, body } = await status(supervisor);
    expect(code).toBe(200);
    expect(body.qr).toMatch(/^data:image\/png;base64,/);
    expect(Date.parse(body.since!)).toBeGreaterThan(Date.now() - 60_000);
    // The stored session was for the unlinked device: gone.
    expect(await wasl.database.db.select().from(whatsappSessions)).toEqual([]);
    expect((await status()).code).toBe(401);
    expect((await status(researcher)).code).toBe(403);

    await phone.current.scan();
    await waitFor('ready again', async () => (await status(supervisor)).body.state === 'ready');
    expect(await wasl.database.db.select().from(whatsappSessions)).toHaveLength(1);
    const again = chat();
    expect((await again.say('مرحبا')).length).toBeGreaterThan(0);
  });
});
