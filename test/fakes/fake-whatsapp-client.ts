/**
 * A fake of whatsapp-web.js at its protocol boundary: `FakeWhatsappClient` emits the events `Client` emits
 * (`qr`, `authenticated`, `ready`, `message`, `message_create`, `message_ack`, `disconnected`,
 * `remote_session_saved`) with message objects shaped as in its `index.d.ts` (`id._serialized`, `from`, `to`,
 * `body`, `timestamp`, `hasMedia`, `downloadMedia()`, `fromMe`, `type`, `rawData`). `FakeWhatsappPhone` plays
 * the phone and WhatsApp's servers, which outlive any one client: it remembers whether the number is paired,
 * every message sent, and — like RemoteAuth — keeps the session through the store the gateway passes in, as a
 * real zip file in `dataPath`.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import { and, eq, inArray } from 'drizzle-orm';
import { createWhatsappChannel } from '../../src/channels/whatsapp/whatsapp-channel';
import type WAWebJS from 'whatsapp-web.js';
import type { WhatsappClient, WhatsappClientOptions, WhatsappMessage } from '../../src/channels/whatsapp/whatsapp-client';
import { contacts, conversations, messages } from '../../src/store/schema';
import { startTestWasl, waitFor, type DbKind, type TestWasl } from '../support/harness';

// The library's own class, as the real client checks media by `instanceof` (see toMessageMedia).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const MessageMedia = require('whatsapp-web.js/src/structures/MessageMedia') as typeof WAWebJS.MessageMedia;

/** The charity's number. */
export const OUR_NUMBER = '966500000001@c.us';

export interface SentMessage {
  chatId: string;
  body: string;
  id: string;
  clientIndex: number;
  /** When the send reached WhatsApp (ms since epoch). */
  at: number;
  /** A file sent as media (its caption is `body`). */
  media?: { mimetype: string; filename: string | null | undefined; bytes: Buffer };
}

export interface FakeMediaSpec {
  mimetype: string;
  bytes: Buffer;
  filename?: string;
  /** whatsapp-web.js type: image, document, ptt, audio, video, sticker. */
  type: string;
}

/** Builds a message object as whatsapp-web.js delivers it. */
export function fakeMessage(o: {
  from: string;
  to?: string;
  body?: string;
  fromMe?: boolean;
  type?: string;
  media?: FakeMediaSpec;
  notifyName?: string;
  id?: string;
  author?: string;
}): WhatsappMessage {
  const fromMe = o.fromMe ?? false;
  const to = o.to ?? OUR_NUMBER;
  const remote = fromMe ? to : o.from;
  const inner = o.id ?? `3EB0${randomBytes(8).toString('hex').toUpperCase()}`;
  const media = o.media;
  return {
    id: { fromMe, remote, id: inner, _serialized: `${fromMe}_${remote}_${inner}` },
    from: o.from,
    to,
    body: o.body ?? '',
    timestamp: Math.floor(Date.now() / 1000),
    hasMedia: Boolean(media),
    fromMe,
    type: (media?.type ?? o.type ?? 'chat') as WhatsappMessage['type'],
    isStatus: o.from === 'status@broadcast',
    broadcast: o.from.endsWith('@broadcast'),
    author: o.author,
    rawData: { notifyName: o.notifyName ?? 'مستفيد', ...(media ? { size: media.bytes.length, mimetype: media.mimetype } : {}) },
    downloadMedia: async () =>
      media ? { mimetype: media.mimetype, data: media.bytes.toString('base64'), filename: media.filename ?? null, filesize: media.bytes.length } : undefined!,
  };
}

export class FakeWhatsappPhone {
  readonly clients: FakeWhatsappClient[] = [];
  readonly sent: SentMessage[] = [];
  /** Scan the QR code as soon as it is shown (a person standing by with the phone). */
  autoScan = true;
  /** Sends fail with this error while set (a WhatsApp Web hiccup); `once` clears it after one failure. */
  sendFailure: { message: string; once: boolean } | undefined;
  /** While set, new clients cannot reach web.whatsapp.com and fail to initialise, as puppeteer does offline. */
  offline = false;

  /** The factory the gateway uses: a NEW client each time, as a destroyed whatsapp-web.js client is dead. */
  readonly factory = (options: WhatsappClientOptions): WhatsappClient => {
    const c = new FakeWhatsappClient(this, options, this.clients.length);
    this.clients.push(c);
    return c;
  };

  get current(): FakeWhatsappClient {
    const c = this.clients.at(-1);
    if (!c) throw new Error('the gateway has not created a WhatsApp client yet');
    return c;
  }

  /** A beneficiary writes to the charity; returns the message as delivered. */
  receive(spec: Parameters<typeof fakeMessage>[0]): WhatsappMessage {
    const m = fakeMessage(spec);
    this.current.deliver(m);
    return m;
  }

  /** Someone at the charity types a message to `chatId` in WhatsApp on the phone itself. */
  typeOnPhone(chatId: string, body: string): WhatsappMessage {
    const m = fakeMessage({ from: OUR_NUMBER, to: chatId, body, fromMe: true });
    this.current.emit('message_create', m);
    return m;
  }
}

export class FakeWhatsappClient extends EventEmitter implements WhatsappClient {
  state: 'new' | 'qr' | 'ready' | 'destroyed' = 'new';
  /** Stands in for puppeteer's Browser: its `disconnected` is how a Chromium crash shows. */
  readonly pupBrowser = new EventEmitter();
  private qrCount = 0;

  constructor(
    private readonly phone: FakeWhatsappPhone,
    readonly options: WhatsappClientOptions,
    readonly index: number,
  ) {
    super();
  }

  private get sessionName(): string {
    return `RemoteAuth-${this.options.clientId}`;
  }

  async initialize(): Promise<void> {
    if (this.state !== 'new') throw new Error('a whatsapp-web.js client cannot be initialised twice');
    if (this.phone.offline) throw new Error('net::ERR_INTERNET_DISCONNECTED at https://web.whatsapp.com/');
    // RemoteAuth restores the profile from the store before the browser starts.
    const { store } = this.options;
    if (await store.sessionExists({ session: this.sessionName })) {
      mkdirSync(this.options.dataPath, { recursive: true });
      await store.extract({ session: this.sessionName, path: path.join(this.options.dataPath, `${this.sessionName}.zip`) });
      setImmediate(() => this.becomeReady());
      return;
    }
    setImmediate(() => this.showQr());
  }

  private showQr(): void {
    if (this.state === 'destroyed') return;
    this.state = 'qr';
    this.qrCount++;
    this.emit('qr', `2@${randomBytes(24).toString('base64')},fake-qr-${this.index}-${this.qrCount}`);
    if (this.phone.autoScan) setImmediate(() => void this.scan());
  }

  /** The phone scans the QR code: authenticated, ready, and (RemoteAuth) the session saved to the store. */
  async scan(): Promise<void> {
    if (this.state !== 'qr') throw new Error(`nothing to scan: client is ${this.state}`);
    this.becomeReady();
    mkdirSync(this.options.dataPath, { recursive: true });
    const zip = path.join(this.options.dataPath, `${this.sessionName}.zip`);
    await writeZip(zip, { 'Default/Preferences': JSON.stringify({ paired: true, at: Date.now() }) });
    await this.options.store.save({ session: this.sessionName });
    this.emit('remote_session_saved');
  }

  private becomeReady(): void {
    if (this.state === 'destroyed') return;
    this.emit('authenticated');
    this.state = 'ready';
    this.emit('ready');
  }

  async destroy(): Promise<void> {
    this.state = 'destroyed';
  }

  async sendMessage(chatId: string, content: string | WAWebJS.MessageMedia, options: { caption?: string } = {}): Promise<WhatsappMessage> {
    // whatsapp-web.js tells media by its class; so does the fake.
    if (typeof content !== 'string' && !(content instanceof MessageMedia)) throw new Error('sendMessage: content must be text or a MessageMedia');
    const media = typeof content === 'string' ? undefined : { mimetype: content.mimetype, filename: content.filename, bytes: Buffer.from(content.data, 'base64') };
    const body = typeof content === 'string' ? content : (options.caption ?? '');
    const at = Date.now();
    if (this.state !== 'ready') throw new Error('Protocol error (Runtime.callFunctionOn): Session closed. Most likely the page has been closed.');
    const failure = this.phone.sendFailure;
    if (failure) {
      if (failure.once) this.phone.sendFailure = undefined;
      throw new Error(failure.message);
    }
    const m = fakeMessage({ from: OUR_NUMBER, to: chatId, body, fromMe: true });
    // Like whatsapp-web.js: our own send comes back as `message_create` before sendMessage resolves.
    this.emit('message_create', m);
    await new Promise((r) => setImmediate(r));
    this.phone.sent.push({ chatId, body, id: m.id._serialized, clientIndex: this.index, at, ...(media ? { media } : {}) });
    return m;
  }

  /** Incoming messages arrive as both `message` and `message_create`, as in whatsapp-web.js. */
  deliver(m: WhatsappMessage): void {
    this.emit('message', m);
    this.emit('message_create', m);
  }

  ack(providerMessageId: string, ack: number): void {
    const sent = this.phone.sent.find((s) => s.id === providerMessageId);
    const m = fakeMessage({ from: OUR_NUMBER, to: sent?.chatId ?? 'unknown@c.us', fromMe: true, body: sent?.body ?? '' });
    m.id._serialized = providerMessageId;
    this.emit('message_ack', m, ack);
  }

  /** As whatsapp-web.js: on logout RemoteAuth deletes the stored session, then the client is destroyed. */
  async disconnect(reason: string): Promise<void> {
    if (reason === 'LOGOUT' || reason === 'UNPAIRED') await this.options.store.delete({ session: this.sessionName });
    this.state = 'destroyed';
    this.emit('disconnected', reason);
  }

  crashBrowser(): void {
    this.state = 'destroyed';
    this.pupBrowser.emit('disconnected');
  }
}

/** A real zip file, as RemoteAuth writes one, made with the same archiver it uses. */
export async function writeZip(file: string, entries: Record<string, string | Buffer>): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const archiver = require('archiver') as (format: 'zip') => {
    pipe(out: NodeJS.WritableStream): void;
    append(data: string | Buffer, o: { name: string }): void;
    finalize(): Promise<void>;
    once(event: 'error', l: (err: Error) => void): void;
  };
  const archive = archiver('zip');
  const out = createWriteStream(file);
  await new Promise<void>((resolve, reject) => {
    out.once('close', resolve);
    out.once('error', reject);
    archive.once('error', reject);
    archive.pipe(out);
    for (const [name, data] of Object.entries(entries)) archive.append(data, { name });
    void archive.finalize();
  });
}

// ── Driving a test Wasl through the fake ──────────────────────────────────────────────────────────────────────
// A beneficiary's messages go through the real gateway, ingest, engine, outbox, outbound worker and adapter;
// what they "see" is what the fake phone recorded as sent to their chat.

export async function startWhatsappWasl(opts: { db: DbKind; extraEnv?: Record<string, string>; phone?: FakeWhatsappPhone }) {
  const phone = opts.phone ?? new FakeWhatsappPhone();
  const wasl = await startTestWasl({
    db: opts.db,
    roles: 'web,engine,whatsapp',
    extraEnv: { WHATSAPP_ENABLED: 'true', WHATSAPP_MIN_INTERVAL_MS: '0', WHATSAPP_PACE_JITTER_MS: '0', ...opts.extraEnv },
    options: {
      channelModules: [
        createWhatsappChannel({
          clientFactory: phone.factory,
          gateway: { heartbeatMs: 200, backoff: { baseMs: 50, maxMs: 400 }, printQr: () => undefined },
        }),
      ],
    },
  });
  return { wasl, phone };
}

export class WhatsappChat {
  private seen = 0;

  constructor(
    private readonly wasl: TestWasl,
    private readonly phone: FakeWhatsappPhone,
    readonly chatId: string,
  ) {}

  /** Writes a message (or sends a file) and returns the texts sent back, once the conversation settles. */
  async say(body: string, media?: FakeMediaSpec): Promise<string[]> {
    const m = this.phone.receive({ from: this.chatId, body, ...(media ? { media } : {}) });
    await this.stored(m);
    return this.replies();
  }

  /** Waits until the message is stored (ingest runs after the event, media download first). */
  async stored(m: WhatsappMessage): Promise<void> {
    const db = this.wasl.database.db;
    await waitFor(`message ${m.id._serialized} to be stored`, async () => {
      const rows = await db
        .select({ id: messages.id })
        .from(messages)
        .where(and(eq(messages.channel, 'whatsapp'), eq(messages.providerMessageId, m.id._serialized)));
      return rows.length > 0;
    });
  }

  /** Waits until nothing of this chat is unprocessed or unsent, then returns what it received since last time. */
  async replies(): Promise<string[]> {
    const db = this.wasl.database.db;
    await waitFor(
      `${this.chatId}'s conversation to settle`,
      async () => {
        const pending = await db
          .select({ id: messages.id })
          .from(messages)
          .innerJoin(conversations, eq(conversations.id, messages.conversationId))
          .innerJoin(contacts, eq(contacts.id, conversations.contactId))
          .where(and(eq(contacts.channel, 'whatsapp'), eq(contacts.channelUserId, this.chatId), inArray(messages.status, ['received', 'queued'])))
          .limit(1);
        return pending.length === 0;
      },
      30_000,
    );
    const mine = this.phone.sent.filter((s) => s.chatId === this.chatId);
    const fresh = mine.slice(this.seen).map((s) => s.body);
    this.seen = mine.length;
    return fresh;
  }

  async conversation() {
    const [row] = await this.wasl.database.db
      .select({ conversation: conversations, contact: contacts })
      .from(conversations)
      .innerJoin(contacts, eq(contacts.id, conversations.contactId))
      .where(and(eq(contacts.channel, 'whatsapp'), eq(contacts.channelUserId, this.chatId)));
    return row;
  }
}
