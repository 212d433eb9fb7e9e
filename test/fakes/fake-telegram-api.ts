/**
 * A fake Telegram Bot API server for tests: plain `node:http` on port 0, reached by the real telegraf through
 * `TELEGRAM_API_ROOT`. It implements only the methods Wasl calls, records every call, serves `getUpdates`
 * (long poll with offset) from updates a test pushes, serves files under `/file/bot<token>/<path>`, and can be
 * scripted to fail a method (429 with retry_after, 403 "bot was blocked by the user", 5xx).
 *
 * Shapes follow https://core.telegram.org/bots/api (Update, Message, File, error `{ ok, error_code,
 * description, parameters }`); the builders at the end make updates as the Telegram apps send them.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const FAKE_BOT_TOKEN = `4242:${'A'.repeat(35)}`;
export const FAKE_BOT_USER = { id: 4242, is_bot: true, first_name: 'Wasl Test', username: 'wasl_test_bot' };

export interface RecordedCall {
  method: string;
  body: Record<string, unknown>;
  at: number;
  /** What the fake answered when the call succeeded (e.g. the Message of a sendMessage). */
  result?: unknown;
  status?: number;
}

export interface ScriptedFailure {
  error_code: number;
  description: string;
  retry_after?: number;
}

type Update = Record<string, unknown> & { update_id: number };

/** A file part of a multipart request, as the fake records it in the call's body. */
export interface UploadedFile {
  fileName: string;
  contentType: string | undefined;
  bytes: Buffer;
}

/** Parses multipart/form-data (RFC 7578): text fields as strings, file parts as `UploadedFile`. */
function parseMultipart(body: Buffer, boundary: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const delimiter = Buffer.from(`--${boundary.replace(/^"|"$/g, '')}`);
  let at = body.indexOf(delimiter);
  if (at < 0) throw new Error('multipart body without its boundary');
  for (;;) {
    const start = at + delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const next = body.indexOf(delimiter, start);
    if (next < 0) throw new Error('multipart body not terminated');
    const part = body.subarray(start + 2, next - 2); // after CRLF, before CRLF--boundary
    const split = part.indexOf('\r\n\r\n');
    const headers = part.subarray(0, split).toString('utf8');
    const content = part.subarray(split + 4);
    const name = /name="([^"]*)"/i.exec(headers)?.[1];
    const fileName = /filename="([^"]*)"/i.exec(headers)?.[1];
    if (!name) throw new Error('multipart part without a name');
    out[name] = fileName !== undefined ? ({ fileName, contentType: /content-type:\s*(\S+)/i.exec(headers)?.[1], bytes: Buffer.from(content) } satisfies UploadedFile) : content.toString('utf8');
    at = next;
  }
  return out;
}

export class FakeTelegramApi {
  readonly calls: RecordedCall[] = [];
  private readonly updates: Update[] = [];
  private readonly waiters = new Set<() => void>();
  private readonly failures: { method: string; failure: ScriptedFailure; remaining: number; skip: number; chatId?: string }[] = [];
  private readonly files = new Map<string, { path: string; bytes: Buffer }>();
  private nextUpdateId = 100_000;
  private nextMessageId = 1;
  /** A slow provider: every sendMessage is answered (and counts as delivered) only after this long. */
  sendDelayMs = 0;

  private constructor(
    private readonly server: Server,
    readonly token: string,
  ) {}

  static async start(token = FAKE_BOT_TOKEN): Promise<FakeTelegramApi> {
    const server = createServer();
    const fake = new FakeTelegramApi(server, token);
    server.on('request', (req, res) => void fake.route(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  /** The `apiRoot` to give telegraf (TELEGRAM_API_ROOT). */
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  callsTo(method: string): RecordedCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** Queues an update for `getUpdates`; returns it with its `update_id` (also what a webhook test posts). */
  pushUpdate(update: Omit<Update, 'update_id'>): Update {
    const full = { update_id: this.nextUpdateId++, ...update } as Update;
    this.updates.push(full);
    for (const wake of this.waiters) wake();
    return full;
  }

  /** An update with the next `update_id`, not queued: for posting to a webhook. */
  makeUpdate(update: Omit<Update, 'update_id'>): Update {
    return { update_id: this.nextUpdateId++, ...update } as Update;
  }

  /** The next `times` calls of `method` (to `chatId`, if given) fail with `failure`, after letting `skip` of them succeed. */
  failNext(method: string, failure: ScriptedFailure, opts: { times?: number; skip?: number; chatId?: number } = {}): void {
    this.failures.push({ method, failure, remaining: opts.times ?? 1, skip: opts.skip ?? 0, ...(opts.chatId !== undefined ? { chatId: String(opts.chatId) } : {}) });
  }

  /** Makes a file downloadable through getFile; returns its file_id. */
  addFile(bytes: Buffer, extension = 'jpg'): string {
    const fileId = `file-${randomUUID()}`;
    this.files.set(fileId, { path: `documents/${fileId}.${extension}`, bytes });
    return fileId;
  }

  /** Resolves with the first recorded call of `method` matching `where`, waiting up to `timeoutMs`. */
  async waitForCall(method: string, where: (c: RecordedCall) => boolean = () => true, timeoutMs = 20_000): Promise<RecordedCall> {
    const started = Date.now();
    for (;;) {
      const found = this.calls.find((c) => c.method === method && where(c));
      if (found) return found;
      if (Date.now() - started > timeoutMs) throw new Error(`no ${method} call matched within ${timeoutMs} ms; calls: ${this.calls.map((c) => c.method).join(', ')}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  async stop(): Promise<void> {
    for (const wake of this.waiters) wake();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const fileMatch = /^\/file\/bot([^/]+)\/(.+)$/.exec(url.pathname);
    if (req.method === 'GET' && fileMatch) {
      const file = [...this.files.values()].find((f) => f.path === fileMatch[2]);
      this.calls.push({ method: 'download', body: { path: fileMatch[2] }, at: Date.now() });
      if (fileMatch[1] !== this.token || !file) return void res.writeHead(404).end('Not Found');
      return void res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(file.bytes);
    }
    const apiMatch = /^\/bot([^/]+)\/(\w+)$/.exec(url.pathname);
    if (!apiMatch) return this.reply(res, 404, { ok: false, error_code: 404, description: 'Not Found' });
    const [, token, method] = apiMatch as unknown as [string, string, string];
    const rawBytes = await new Promise<Buffer>((resolve) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => resolve(Buffer.concat(chunks)));
      req.on('error', () => resolve(Buffer.concat(chunks)));
    });
    const raw = rawBytes.toString('utf8');
    let body: Record<string, unknown> = {};
    const boundary = /^multipart\/form-data;\s*boundary=(.+)$/i.exec(req.headers['content-type'] ?? '')?.[1];
    try {
      // Uploads (sendPhoto, sendDocument) come as multipart/form-data, as the Bot API accepts them.
      body = boundary ? parseMultipart(rawBytes, boundary) : raw ? (JSON.parse(raw) as Record<string, unknown>) : Object.fromEntries(url.searchParams);
    } catch (err) {
      return this.reply(res, 400, { ok: false, error_code: 400, description: `Bad Request: ${(err as Error).message}` });
    }
    if (token !== this.token) return this.reply(res, 401, { ok: false, error_code: 401, description: 'Unauthorized' });
    const call: RecordedCall = { method, body, at: Date.now() };
    this.calls.push(call);
    const ok = (result: unknown) => {
      call.result = result;
      call.status = 200;
      this.reply(res, 200, { ok: true, result });
    };

    const scripted = this.failures.find((f) => f.method === method && f.remaining > 0 && (f.chatId === undefined || f.chatId === String(body.chat_id)));
    if (scripted && scripted.skip > 0) scripted.skip--;
    else if (scripted) {
      scripted.remaining--;
      call.status = scripted.failure.error_code;
      const { error_code, description, retry_after } = scripted.failure;
      return this.reply(res, error_code, { ok: false, error_code, description, ...(retry_after !== undefined ? { parameters: { retry_after } } : {}) });
    }

    switch (method) {
      case 'getMe':
        return ok(FAKE_BOT_USER);
      case 'deleteWebhook':
      case 'setWebhook':
      case 'setMyCommands':
      case 'answerCallbackQuery':
        return ok(true);
      case 'getUpdates':
        return ok(await this.getUpdates(req, body));
      case 'sendMessage':
        if (this.sendDelayMs > 0) await new Promise((r) => setTimeout(r, this.sendDelayMs));
        return ok({
          message_id: this.nextMessageId++,
          date: Math.floor(Date.now() / 1000),
          chat: { id: Number(body.chat_id), type: 'private' },
          from: FAKE_BOT_USER,
          text: body.text,
          ...(body.reply_markup ? { reply_markup: body.reply_markup } : {}),
        });
      case 'sendPhoto':
      case 'sendDocument': {
        const field = method === 'sendPhoto' ? 'photo' : 'document';
        const file = body[field];
        if (!(file && typeof file === 'object' && 'bytes' in file)) {
          return this.reply(res, 400, { ok: false, error_code: 400, description: `Bad Request: there is no ${field} in the request` });
        }
        const upload = file as UploadedFile;
        const fileId = this.addFile(upload.bytes, upload.fileName.split('.').pop() ?? 'dat');
        return ok({
          message_id: this.nextMessageId++,
          date: Math.floor(Date.now() / 1000),
          chat: { id: Number(body.chat_id), type: 'private' },
          from: FAKE_BOT_USER,
          ...(body.caption ? { caption: body.caption } : {}),
          ...(method === 'sendPhoto'
            ? { photo: [{ file_id: fileId, file_unique_id: `u-${fileId}`, width: 1, height: 1, file_size: upload.bytes.length }] }
            : { document: { file_id: fileId, file_unique_id: `u-${fileId}`, file_name: upload.fileName, file_size: upload.bytes.length } }),
        });
      }
      case 'editMessageReplyMarkup':
        return ok({ message_id: Number(body.message_id), date: Math.floor(Date.now() / 1000), chat: { id: Number(body.chat_id), type: 'private' } });
      case 'getFile': {
        const file = this.files.get(String(body.file_id));
        if (!file) return this.reply(res, 400, { ok: false, error_code: 400, description: 'Bad Request: invalid file_id' });
        return ok({ file_id: body.file_id, file_unique_id: `u-${body.file_id}`, file_size: file.bytes.length, file_path: file.path });
      }
      default:
        return this.reply(res, 404, { ok: false, error_code: 404, description: `Not Found: method ${method} not faked` });
    }
  }

  private async getUpdates(req: IncomingMessage, body: Record<string, unknown>): Promise<Update[]> {
    const offset = Number(body.offset ?? 0);
    // Telegram forgets updates below the offset: they are confirmed.
    while (this.updates.length && this.updates[0]!.update_id < offset) this.updates.shift();
    const limit = Number(body.limit ?? 100);
    const pending = () => this.updates.filter((u) => u.update_id >= offset).slice(0, limit);
    if (pending().length === 0 && Number(body.timeout ?? 0) > 0) {
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.waiters.delete(wake);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(wake, Math.min(Number(body.timeout), 5) * 1000);
        this.waiters.add(wake);
        req.socket.on('close', wake);
      });
    }
    return pending();
  }

  private reply(res: ServerResponse, status: number, payload: unknown): void {
    if (res.destroyed) return;
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
  }
}

// ── Update builders (as the Telegram apps send them) ─────────────────────────────────

const person = (chatId: number) => ({ id: chatId, is_bot: false, first_name: 'نورة', last_name: 'الشهري', language_code: 'ar' });
const chat = (chatId: number) => ({ id: chatId, type: 'private', first_name: 'نورة' });
let messageSeq = 1;
const base = (chatId: number) => ({ message_id: messageSeq++, date: Math.floor(Date.now() / 1000), chat: chat(chatId), from: person(chatId) });

export const tg = {
  text: (chatId: number, text: string) => ({ message: { ...base(chatId), text } }),
  command: (chatId: number, command: string) => ({
    message: { ...base(chatId), text: `/${command}`, entities: [{ type: 'bot_command', offset: 0, length: command.length + 1 }] },
  }),
  /** A tap on an inline button of the bot's message `messageId`. */
  callback: (chatId: number, data: string, messageId: number) => ({
    callback_query: { id: randomUUID(), from: person(chatId), chat_instance: '1', data, message: { message_id: messageId, date: 0, chat: chat(chatId) } },
  }),
  photo: (chatId: number, fileId: string, size: number, caption?: string) => ({
    message: {
      ...base(chatId),
      photo: [
        { file_id: `${fileId}-thumb`, file_unique_id: 't', width: 90, height: 90, file_size: 1000 },
        { file_id: fileId, file_unique_id: 'f', width: 1280, height: 960, file_size: size },
      ],
      ...(caption ? { caption } : {}),
    },
  }),
  document: (chatId: number, fileId: string, size: number, mimeType: string, fileName: string) => ({
    message: { ...base(chatId), document: { file_id: fileId, file_unique_id: 'd', file_name: fileName, mime_type: mimeType, file_size: size } },
  }),
  /** A contact card; its own when `userId` is the sender's id. */
  contact: (chatId: number, phone: string, userId?: number) => ({
    message: { ...base(chatId), contact: { phone_number: phone, first_name: 'نورة', ...(userId !== undefined ? { user_id: userId } : {}) } },
  }),
  location: (chatId: number, latitude: number, longitude: number) => ({ message: { ...base(chatId), location: { latitude, longitude } } }),
  blocked: (chatId: number, status: 'kicked' | 'member') => ({
    my_chat_member: {
      chat: chat(chatId),
      from: person(chatId),
      date: Math.floor(Date.now() / 1000),
      old_chat_member: { status: status === 'kicked' ? 'member' : 'kicked', user: FAKE_BOT_USER },
      new_chat_member: { status, user: FAKE_BOT_USER },
    },
  }),
};

/** The smallest valid JPEG header and body, padded to `size` bytes (the fake never decodes it). */
export function fakeJpeg(size = 2048): Buffer {
  const bytes = Buffer.alloc(size, 0);
  bytes.set([0xff, 0xd8, 0xff, 0xe0], 0);
  bytes.set([0xff, 0xd9], size - 2);
  return bytes;
}
