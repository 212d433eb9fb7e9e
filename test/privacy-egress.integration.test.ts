/**
 * "Nothing leaves the deployment" (Saudi PDPL): no hosted NLU, no analytics, no error tracker. Every outbound
 * connection this process attempts is recorded — TCP through `net.Socket.prototype.connect` (http, https,
 * fetch/undici, ioredis and pg all end there), TLS through `tls.connect`, and UDP (statsd-style metrics) through
 * `dgram` — while one beneficiary greets, asks an FAQ question, applies and asks for a copy of their data over
 * Telegram (long polling, so Wasl itself calls out), and another greets over SMS. Every role runs in this
 * process (startWasl, ROLES=all) and none starts a child process or a worker thread, so nothing escapes the hook.
 * Nothing is blocked: the hook only records, so the session behaves as in production.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import tls from 'node:tls';
import { and, eq, inArray } from 'drizzle-orm';
import { dataRequests, messages, requests } from '../src/store/schema';
import { FakeSmsProviders } from './fakes/fake-sms-providers';
import { FakeTelegramApi, tg } from './fakes/fake-telegram-api';
import { startTestWasl, waitFor, type TestWasl } from './support/harness';

interface Destination {
  host: string;
  port: string;
  via: string;
  /** Where it was opened from, kept only for a destination that is not local, to say what to fix. */
  stack?: string;
}

const attempts: Destination[] = [];
const LOOPBACK_HOST = /^(localhost|127(\.\d{1,3}){3}|::1|::ffff:127(\.\d{1,3}){3}|0:0:0:0:0:0:0:1)$/i;
const isLocal = (d: Destination) => d.host.startsWith('unix:') || LOOPBACK_HOST.test(d.host.replace(/^\[|\]$/g, ''));

function record(via: string, host: unknown, port: unknown): void {
  const d: Destination = { host: String(host ?? 'localhost'), port: String(port ?? ''), via };
  if (!isLocal(d)) d.stack = new Error().stack?.split('\n').slice(3, 12).join('\n');
  attempts.push(d);
}

/** Socket#connect(options | port, host? | path) and tls.connect(options | port, host?, options?), whichever form. */
function recordConnectArgs(via: string, args: unknown[]): void {
  // net.connect hands Socket#connect its already-normalised [options, callback].
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  if (first && typeof first === 'object') {
    const o = first as { host?: string; port?: number | string; path?: string };
    if (o.path) record(via, `unix:${o.path}`, '');
    else record(via, o.host, o.port);
  } else if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    const opts = args.find((a) => a && typeof a === 'object') as { host?: string } | undefined;
    record(via, typeof args[1] === 'string' ? args[1] : opts?.host, first);
  } else if (typeof first === 'string') {
    record(via, `unix:${first}`, '');
  }
}

const originalConnect = net.Socket.prototype.connect;
const originalTlsConnect = tls.connect;
const originalUdpSend = dgram.Socket.prototype.send;
const originalUdpConnect = dgram.Socket.prototype.connect;

net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
  recordConnectArgs('tcp', args);
  return (originalConnect as (...a: unknown[]) => net.Socket).apply(this, args);
} as typeof net.Socket.prototype.connect;
tls.connect = function (...args: unknown[]) {
  recordConnectArgs('tls', args);
  return (originalTlsConnect as (...a: unknown[]) => tls.TLSSocket)(...args);
} as typeof tls.connect;
dgram.Socket.prototype.send = function (this: dgram.Socket, ...args: unknown[]) {
  // send(msg, [offset, length,] port, address, cb), or send(msg, cb) on a connected socket.
  const numbers = args.slice(1).filter((a) => typeof a === 'number') as number[];
  const address = args.slice(1).find((a) => typeof a === 'string');
  if (numbers.length) record('udp', address ?? '127.0.0.1', numbers.length >= 3 ? numbers[2] : numbers[0]);
  else {
    const remote = this.remoteAddress();
    record('udp', remote.address, remote.port);
  }
  return (originalUdpSend as (...a: unknown[]) => void).apply(this, args);
} as typeof dgram.Socket.prototype.send;
dgram.Socket.prototype.connect = function (this: dgram.Socket, ...args: unknown[]) {
  record('udp', typeof args[1] === 'string' ? args[1] : '127.0.0.1', args[0]);
  return (originalUdpConnect as (...a: unknown[]) => void).apply(this, args);
} as typeof dgram.Socket.prototype.connect;

const NATIONAL_ID = '1101234563';
const CHAT_ID = 6100;

describe('nothing leaves the deployment', () => {
  let telegram: FakeTelegramApi;
  let sms: FakeSmsProviders;
  let wasl: TestWasl;
  beforeAll(async () => {
    telegram = await FakeTelegramApi.start();
    sms = await FakeSmsProviders.start();
    wasl = await startTestWasl({
      // PostgreSQL over TCP (not PGlite in this process), so the database's traffic is among what is checked.
      db: 'postgres',
      roles: 'all',
      extraEnv: { ...sms.env('generic'), TELEGRAM_BOT_TOKEN: telegram.token, TELEGRAM_API_ROOT: telegram.url, TELEGRAM_CHAT_INTERVAL_MS: '0' },
    });
    await telegram.waitForCall('getUpdates');
  }, 180_000); // starting Wasl (migrations, NLU training) is slow on a loaded machine
  afterAll(async () => {
    await wasl?.stop();
    await telegram?.stop();
    await sms?.close();
    net.Socket.prototype.connect = originalConnect;
    tls.connect = originalTlsConnect;
    dgram.Socket.prototype.send = originalUdpSend;
    dgram.Socket.prototype.connect = originalUdpConnect;
  });

  let seen = 0;
  /** Sends a text as the beneficiary on Telegram; returns the bot's new replies once all is processed and sent. */
  async function say(text: string): Promise<string> {
    const update = telegram.pushUpdate(tg.text(CHAT_ID, text));
    const providerId = `tg-${CHAT_ID}-${(update.message as { message_id: number }).message_id}`;
    const db = wasl.database.db;
    const [stored] = await waitFor(`"${text}" to be stored`, async () => {
      const rows = await db.select({ conversationId: messages.conversationId }).from(messages).where(eq(messages.providerMessageId, providerId));
      return rows.length ? rows : null;
    }, 30_000);
    await waitFor(
      'the chat to settle',
      async () => (await db.select({ id: messages.id }).from(messages).where(and(eq(messages.conversationId, stored!.conversationId), inArray(messages.status, ['received', 'queued'])))).length === 0,
      30_000,
    );
    const sent = telegram.callsTo('sendMessage').filter((c) => c.body.chat_id === String(CHAT_ID) && c.status === 200);
    const fresh = sent.slice(seen).map((c) => String(c.body.text));
    seen = sent.length;
    return fresh.join('\n');
  }

  it('greets, answers an FAQ question, takes an application and a data request, and answers an SMS — all through local sockets only', async () => {
    expect(await say('السلام عليكم')).toContain('جمعية بر الخوار');

    const documentsEntry = wasl.content.faq.entries.find((e) => e.id === 'required-documents')!;
    expect(await say('وش الاوراق اللي لازم اجيبها للتسجيل؟')).toContain(documentsEntry.source.ar);

    let last = '';
    for (const line of ['السلام عليكم', '1', 'نورة سعد عبدالله الشهري', NATIONAL_ID, '0551234567', 'جدة', 'الصفا', '4', '1800', '2', '3', 'زوجي متوفى والإيجار متأخر ثلاثة أشهر', 'نعم']) last = await say(line);
    expect(last).toContain('أقر');
    const reference = /REQ-\d+/.exec(await say('1'))?.[0];
    expect(reference).toBeDefined();
    await say('لاحقا');

    expect(await say('ابغى نسخة من بياناتي اللي عندكم')).toContain('من حقك أن تطّلع على بياناتك');
    expect(await say('1')).toMatch(/DR-\d+/);

    const db = wasl.database.db;
    const [request] = await db.select().from(requests).where(eq(requests.referenceNumber, reference!));
    expect(request).toBeDefined();
    expect(await db.select().from(dataRequests).where(eq(dataRequests.beneficiaryId, request!.beneficiaryId))).toEqual([expect.objectContaining({ kind: 'copy', channel: 'telegram' })]);

    const phone = '+966501234599';
    expect((await sms.deliverInbound(wasl.url!, 'generic', { from: phone, text: 'السلام عليكم' })).status).toBe(200);
    await wasl.chat(phone).replies(30_000);
    expect(sms.sent(phone).length).toBeGreaterThan(0);

    const distinct = [...new Map(attempts.map((a) => [`${a.via} ${a.host}:${a.port}`, a])).values()];
    console.log(`outbound connections attempted: ${distinct.map((d) => `${d.via} ${d.host}:${d.port}`).join(', ')}`);
    // The hook saw each kind of client: pg, ioredis, telegraf's http and the SMS driver's fetch.
    const ports = new Set(distinct.map((d) => d.port));
    const port = (url: string) => new URL(url).port;
    expect([...['5432', '6379', port(telegram.url), port(sms.url)].filter((p) => !ports.has(p))]).toEqual([]);
    expect(distinct.filter((d) => !isLocal(d))).toEqual([]);
  }, 240_000);

  it('counts as local only loopback and Unix sockets', () => {
    const at = (host: string) => isLocal({ host, port: '443', via: 'tcp' });
    expect(['127.0.0.1', '127.3.2.1', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1', 'unix:/run/postgresql/.s.PGSQL.5432'].filter((h) => !at(h))).toEqual([]);
    expect(['api.openai.com', '10.0.0.5', '192.168.1.10', '0.0.0.0', '128.0.0.1', '::ffff:8.8.8.8', 'localhost.evil.example', '127.0.0.1.nip.io'].filter(at)).toEqual([]);
  });
});
