/**
 * The narrow slice of whatsapp-web.js the gateway depends on. Depending on this shape rather than on `Client`
 * lets tests drive the gateway with a fake that emits the same events and objects (ENGINEERING.md §1.7); the
 * real `Client` of 1.34.7 is assignable to it (checked by the compiler in `createChromiumClientFactory`).
 */
import path from 'node:path';
import type WAWebJS from 'whatsapp-web.js';
import type { Store } from 'whatsapp-web.js';

/** A message as the gateway reads it: the fields whatsapp-web.js's `Message` carries that we use. */
export type WhatsappMessage = Pick<
  WAWebJS.Message,
  'id' | 'from' | 'to' | 'body' | 'timestamp' | 'hasMedia' | 'fromMe' | 'type' | 'isStatus' | 'broadcast' | 'author' | 'rawData'
> & {
  /** `undefined` when the media expired on WhatsApp's servers (the typings claim it never is; the source says otherwise). */
  downloadMedia(): Promise<WhatsappMedia | undefined>;
};

export type WhatsappMedia = Pick<WAWebJS.MessageMedia, 'mimetype' | 'data' | 'filename' | 'filesize'>;

/**
 * A file as whatsapp-web.js sends it: its `sendMessage` recognises media by `instanceof MessageMedia`, so this
 * must be the library's own class. Loaded from its file, without the Client (which pulls in puppeteer).
 */
export function toMessageMedia(file: { mimeType: string; bytes: Buffer; fileName: string }): WAWebJS.MessageMedia {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const MessageMedia = require('whatsapp-web.js/src/structures/MessageMedia') as typeof WAWebJS.MessageMedia;
  return new MessageMedia(file.mimeType, file.bytes.toString('base64'), file.fileName, file.bytes.length);
}

/**
 * A serialized message id (`true_966501234567@c.us_3EB0…`) without its chat part, which is the phone number:
 * what log lines carry instead of the whole id.
 */
export const loggableMessageId = (serialized: string): string => serialized.split('_').at(-1) ?? '';

/** `'LOGOUT'`, `'Max qrcode retries reached'` or a WAState such as `CONFLICT`, `UNPAIRED`, `TOS_BLOCK`. */
export type DisconnectReason = string;

export interface WhatsappClient {
  initialize(): Promise<void>;
  destroy(): Promise<void>;
  /** Text, or a file as whatsapp-web.js's own `MessageMedia` (see `toMessageMedia`) with an optional caption. */
  sendMessage(chatId: string, content: string | WAWebJS.MessageMedia, options?: { sendSeen?: boolean; caption?: string }): Promise<{ id: { _serialized: string } }>;
  on(event: 'qr', listener: (qr: string) => void): this;
  on(event: 'authenticated' | 'ready' | 'remote_session_saved', listener: () => void): this;
  on(event: 'auth_failure', listener: (message: string) => void): this;
  on(event: 'disconnected', listener: (reason: DisconnectReason) => void): this;
  on(event: 'message' | 'message_create', listener: (message: WhatsappMessage) => void): this;
  on(event: 'message_ack', listener: (message: WhatsappMessage, ack: number) => void): this;
  removeAllListeners(): this;
}

/** Builds a NEW client for each (re)connection: a destroyed whatsapp-web.js client cannot be initialised again. */
export type WhatsappClientFactory = (options: WhatsappClientOptions) => WhatsappClient;

export interface WhatsappClientOptions {
  clientId: string;
  /** Where RemoteAuth unpacks the profile while the session runs; rebuilt from the database at each start. */
  dataPath: string;
  store: Store;
  chromiumPath: string;
  backupSyncIntervalMs: number;
  /** A `{version}` URL pinning the WhatsApp Web build; unset = the live build (ENGINEERING.md §1.6). */
  webVersionUrl?: string | undefined;
}

/** Chromium flags that work as root in a container (ENGINEERING.md §1.2). */
export const chromiumArgs = [
  '--no-sandbox',
  '--disable-setuid-sandbox',
  '--disable-dev-shm-usage',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The real thing: whatsapp-web.js with RemoteAuth on our database and Debian's Chromium. */
export function createChromiumClientFactory(): WhatsappClientFactory {
  return (o) => {
    // Loaded lazily: requiring whatsapp-web.js pulls in puppeteer, which no other role needs.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Client, RemoteAuth } = require('whatsapp-web.js') as typeof WAWebJS;
    const client: WhatsappClient = new Client({
      authStrategy: new RemoteAuth({
        clientId: o.clientId,
        dataPath: path.resolve(o.dataPath),
        store: o.store,
        backupSyncIntervalMs: o.backupSyncIntervalMs,
      }),
      puppeteer: { executablePath: o.chromiumPath, headless: true, args: chromiumArgs },
      // No third-party HTML by default: serving it into the authenticated origin is a trust decision (§1.6).
      webVersionCache: o.webVersionUrl ? { type: 'remote', remotePath: o.webVersionUrl } : { type: 'none' },
      // Take the session back when someone opens WhatsApp Web elsewhere, instead of going silent.
      takeoverOnConflict: true,
    });
    return client;
  };
}
