/**
 * Fake SMS providers for tests: one `node:http` server on port 0 that answers as Unifonic, Taqnyat, Twilio and
 * the generic gateway do, reached by Wasl through UNIFONIC_BASE_URL / TAQNYAT_BASE_URL / TWILIO_BASE_URL /
 * SMS_GENERIC_URL. Each send is checked against what the provider's API documents (method, path, auth, body
 * fields, recipient format) — a request that does not match is answered 400 and recorded with its `problem`, so
 * a test sees exactly what was wrong. It can be scripted to fail (429 with Retry-After, 4xx, 5xx), and it plays
 * the operator's side too: it posts inbound SMS and delivery reports to Wasl's webhook as each provider does
 * (Twilio's signed with `X-Twilio-Signature`).
 *
 * Sources: ENGINEERING.md §6 (endpoints, auth, recipient formats), docs.unifonic.com, dev.taqnyat.sa/en/doc/sms,
 * twilio.com/docs/messaging/api/message-resource.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { twilioSignature } from '../../src/channels/sms/twilio-signature';

export type FakeSmsProvider = 'unifonic' | 'taqnyat' | 'twilio' | 'generic';

export const FAKE_SMS = {
  sender: 'BirAlkhwar',
  webhookSecret: 'test-webhook-secret-0123456789',
  unifonicAppSid: 'AppSid-test-0123456789',
  taqnyatToken: 'taqnyat-test-token-0123456789',
  twilioAccountSid: `AC${'0123456789abcdef'.repeat(2)}`,
  twilioAuthToken: 'twilio-test-auth-token-0123456789',
  genericToken: 'generic-test-token-0123456789',
} as const;

export interface RecordedSms {
  provider: FakeSmsProvider;
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  /** Form fields or JSON body, as received. */
  body: Record<string, unknown>;
  /** Recipient and text as the provider understood them (for assertions that do not care about the shape). */
  to?: string;
  text?: string;
  /** Why the request does not match the provider's documented API; undefined when it does. */
  problem?: string;
  /** The provider message id the fake answered with. */
  id?: string;
  status: number;
}

interface Failure {
  provider: FakeSmsProvider;
  status: number;
  body: unknown;
  headers: Record<string, string>;
  remaining: number;
}

export class FakeSmsProviders {
  readonly requests: RecordedSms[] = [];
  private readonly failures: Failure[] = [];
  private nextId = 7_000_000;

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<FakeSmsProviders> {
    let fake: FakeSmsProviders | undefined;
    const server = createServer((req, res) => void fake!.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    fake = new FakeSmsProviders(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return fake;
  }

  /** The environment that points Wasl at this fake as `provider`. */
  env(provider: FakeSmsProvider): Record<string, string> {
    const common = { SMS_PROVIDER: provider, SMS_SENDER: FAKE_SMS.sender, SMS_WEBHOOK_SECRET: FAKE_SMS.webhookSecret, SMS_RATE_LIMIT_PER_SECOND: '50' };
    switch (provider) {
      case 'unifonic':
        return { ...common, UNIFONIC_APP_SID: FAKE_SMS.unifonicAppSid, UNIFONIC_BASE_URL: this.url };
      case 'taqnyat':
        return { ...common, TAQNYAT_TOKEN: FAKE_SMS.taqnyatToken, TAQNYAT_BASE_URL: this.url };
      case 'twilio':
        return { ...common, TWILIO_ACCOUNT_SID: FAKE_SMS.twilioAccountSid, TWILIO_AUTH_TOKEN: FAKE_SMS.twilioAuthToken, TWILIO_BASE_URL: this.url };
      case 'generic':
        return { ...common, SMS_GENERIC_URL: `${this.url}/generic/send`, SMS_GENERIC_TOKEN: FAKE_SMS.genericToken };
    }
  }

  /** The next `times` sends to `provider` fail with this status (and body/headers, e.g. Retry-After). */
  failNext(provider: FakeSmsProvider, status: number, opts: { body?: unknown; headers?: Record<string, string>; times?: number } = {}): void {
    this.failures.push({ provider, status, body: opts.body ?? { error: `scripted ${status}` }, headers: opts.headers ?? {}, remaining: opts.times ?? 1 });
  }

  /** Forgets scripted failures not used up yet. */
  clearFailures(): void {
    this.failures.length = 0;
  }

  /** Successful sends, optionally to one E.164 number. */
  sent(to?: string): RecordedSms[] {
    return this.requests.filter((r) => r.status < 300 && (!to || r.to === to));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ── operator side: what the provider posts to Wasl ─────────────────────────────────────────────────

  /**
   * Posts an inbound SMS to Wasl's webhook as `provider` does. `from` is E.164; the Saudi gateways write it
   * without `+`. `auth: 'bad'` sends a wrong signature/secret, `'none'` none at all.
   */
  async deliverInbound(
    waslUrl: string,
    provider: FakeSmsProvider,
    sms: { from: string; text: string; id?: string },
    opts: { auth?: 'good' | 'bad' | 'none' } = {},
  ): Promise<Response> {
    const id = sms.id ?? `in-${randomBytes(6).toString('hex')}`;
    switch (provider) {
      case 'twilio':
        return this.postTwilio(waslUrl, { MessageSid: sms.id ?? `SM${randomBytes(16).toString('hex')}`, AccountSid: FAKE_SMS.twilioAccountSid, From: sms.from, To: '+15005550006', Body: sms.text, NumMedia: '0', SmsStatus: 'received' }, opts.auth);
      case 'generic':
        return this.postJson(waslUrl, provider, { type: 'inbound', id, from: sms.from, text: sms.text }, opts.auth);
      case 'unifonic':
        return this.postJson(waslUrl, provider, { messageId: id, from: sms.from.replace(/^\+/, ''), body: sms.text, to: FAKE_SMS.sender }, opts.auth);
      case 'taqnyat':
        return this.postJson(waslUrl, provider, { id, from: sms.from.replace(/^\+/, ''), message: sms.text }, opts.auth);
    }
  }

  /** Posts a delivery report for a message this fake accepted. */
  async deliverStatus(waslUrl: string, provider: FakeSmsProvider, id: string, state: 'delivered' | 'failed'): Promise<Response> {
    switch (provider) {
      case 'twilio':
        return this.postTwilio(waslUrl, { MessageSid: id, MessageStatus: state === 'delivered' ? 'delivered' : 'undelivered', ...(state === 'failed' ? { ErrorCode: '30003' } : {}) });
      case 'generic':
        return this.postJson(waslUrl, provider, { type: 'status', id, status: state });
      case 'unifonic':
        return this.postJson(waslUrl, provider, { MessageID: id, Status: state === 'delivered' ? 'Delivered' : 'Undeliverable' });
      case 'taqnyat':
        return this.postJson(waslUrl, provider, { messageId: id, status: state === 'delivered' ? 'DELIVRD' : 'UNDELIV' });
    }
  }

  /** Posts any body (malformed ones too) with a valid secret. */
  postJson(waslUrl: string, provider: FakeSmsProvider, body: unknown, auth: 'good' | 'bad' | 'none' = 'good'): Promise<Response> {
    const secret = auth === 'good' ? FAKE_SMS.webhookSecret : 'wrong-secret-0123456789';
    const url = `${waslUrl}/webhooks/sms/${provider}${auth === 'none' ? '' : `?secret=${encodeURIComponent(secret)}`}`;
    return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  }

  /** Form post signed as Twilio signs it, over the exact URL called. */
  postTwilio(waslUrl: string, params: Record<string, string>, auth: 'good' | 'bad' | 'none' = 'good'): Promise<Response> {
    const url = `${waslUrl}/webhooks/sms/twilio`;
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
    if (auth !== 'none') headers['x-twilio-signature'] = twilioSignature(auth === 'good' ? FAKE_SMS.twilioAuthToken : 'wrong-token', url, params);
    return fetch(url, { method: 'POST', headers, body: new URLSearchParams(params).toString() });
  }

  // ── provider side: the send APIs ─────────────────────────────────────────────────────────────────

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const path = (req.url ?? '/').split('?')[0]!;
    const type = String(req.headers['content-type'] ?? '');
    const provider: FakeSmsProvider | null =
      path === '/rest/SMS/messages' ? 'unifonic' : path === '/v1/messages' ? 'taqnyat' : path.startsWith('/2010-04-01/') ? 'twilio' : path === '/generic/send' ? 'generic' : null;
    if (!provider) return send(res, 404, { error: `no such endpoint ${req.method} ${path}` });

    let body: Record<string, unknown> = {};
    try {
      body = type.startsWith('application/x-www-form-urlencoded') ? Object.fromEntries(new URLSearchParams(raw)) : raw ? JSON.parse(raw) : {};
    } catch {
      body = { unparseable: raw };
    }
    const rec: RecordedSms = { provider, method: req.method ?? '', path, headers: req.headers, body, status: 0 };
    this.requests.push(rec);
    rec.problem = req.method !== 'POST' ? `method ${req.method}, expected POST` : this.check(provider, rec, type);
    if (rec.problem) {
      rec.status = 400;
      return send(res, 400, { error: rec.problem });
    }
    const failure = this.failures.find((f) => f.provider === provider && f.remaining > 0);
    if (failure) {
      failure.remaining -= 1;
      rec.status = failure.status;
      return send(res, failure.status, failure.body, failure.headers);
    }
    const id = String(this.nextId++);
    rec.status = provider === 'unifonic' ? 200 : 201;
    switch (provider) {
      case 'unifonic':
        rec.id = id;
        return send(res, 200, { success: true, message: '', errorCode: 'ER-00', data: { MessageID: Number(id), CorrelationID: body.CorrelationID, NumberOfUnits: 1, Cost: 0.05, Balance: 100, Recipient: Number(body.Recipient), TimeCreated: new Date().toISOString(), CurrencyCode: 'SAR', Status: 'Sent' } });
      case 'taqnyat':
        rec.id = id;
        return send(res, 201, { statusCode: 201, messageId: Number(id), cost: '0.0500', currency: 'SAR', totalCount: 1, msgLength: 1, accepted: `[${(body.recipients as string[]).join(',')},]`, rejected: '[]' });
      case 'twilio':
        rec.id = `SM${id.padStart(32, '0')}`;
        return send(res, 201, { sid: rec.id, status: 'queued', to: body.To, from: body.From, body: body.Body, account_sid: FAKE_SMS.twilioAccountSid, num_segments: '1' });
      case 'generic':
        rec.id = `g-${id}`;
        return send(res, 201, { id: rec.id });
    }
  }

  /** What each API documents; returns the first mismatch. Also fills `to` and `text`. */
  private check(provider: FakeSmsProvider, rec: RecordedSms, type: string): string | undefined {
    const b = rec.body;
    const auth = String(rec.headers.authorization ?? '');
    switch (provider) {
      case 'unifonic': {
        if (!type.startsWith('application/x-www-form-urlencoded') && !type.startsWith('application/json')) return `content-type ${type}`;
        if (b.AppSid !== FAKE_SMS.unifonicAppSid) return 'AppSid parameter missing or wrong';
        if (b.SenderID !== FAKE_SMS.sender) return 'SenderID must be the registered sender name';
        if (typeof b.Recipient !== 'string' || !/^9665\d{8}$/.test(b.Recipient)) return `Recipient must be 9665XXXXXXXX (no + or 00), got ${String(b.Recipient)}`;
        if (typeof b.Body !== 'string' || !b.Body) return 'Body missing';
        rec.to = `+${b.Recipient}`;
        rec.text = b.Body;
        return undefined;
      }
      case 'taqnyat': {
        if (auth !== `Bearer ${FAKE_SMS.taqnyatToken}`) return 'Authorization: Bearer <token> missing or wrong';
        if (!type.startsWith('application/json')) return `content-type ${type}, expected application/json`;
        const r = b.recipients;
        if (!Array.isArray(r) || r.length !== 1 || typeof r[0] !== 'string' || !/^9665\d{8}$/.test(r[0])) return `recipients must be ["9665XXXXXXXX"], got ${JSON.stringify(r)}`;
        if (b.sender !== FAKE_SMS.sender) return 'sender must be the registered sender name';
        if (typeof b.body !== 'string' || !b.body) return 'body missing';
        rec.to = `+${r[0]}`;
        rec.text = b.body;
        return undefined;
      }
      case 'twilio': {
        if (rec.path !== `/2010-04-01/Accounts/${FAKE_SMS.twilioAccountSid}/Messages.json`) return `path ${rec.path}, expected /2010-04-01/Accounts/{AccountSid}/Messages.json`;
        const expected = `Basic ${Buffer.from(`${FAKE_SMS.twilioAccountSid}:${FAKE_SMS.twilioAuthToken}`).toString('base64')}`;
        if (auth !== expected) return 'HTTP Basic auth (AccountSid:AuthToken) missing or wrong';
        if (!type.startsWith('application/x-www-form-urlencoded')) return `content-type ${type}, expected form-urlencoded`;
        if (typeof b.To !== 'string' || !/^\+9665\d{8}$/.test(b.To)) return `To must be E.164 +9665XXXXXXXX, got ${String(b.To)}`;
        if (b.From !== FAKE_SMS.sender) return 'From must be the sender';
        if (typeof b.Body !== 'string' || !b.Body) return 'Body missing';
        rec.to = b.To;
        rec.text = b.Body;
        return undefined;
      }
      case 'generic': {
        if (auth !== `Bearer ${FAKE_SMS.genericToken}`) return 'Authorization: Bearer <token> missing or wrong';
        if (typeof b.to !== 'string' || !/^\+\d{8,15}$/.test(b.to)) return `to must be E.164, got ${String(b.to)}`;
        if (typeof b.text !== 'string' || !b.text) return 'text missing';
        if (typeof b.reference !== 'string' || !/^wasl-\d+$/.test(b.reference)) return 'reference missing';
        rec.to = b.to;
        rec.text = b.text;
        return undefined;
      }
    }
  }
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}
