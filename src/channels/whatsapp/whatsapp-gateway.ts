/**
 * Supervises one WhatsApp Web session (one number): holds it in exactly one process, follows its state, and
 * replaces the client when reality happens — logout from the phone, a dropped connection, a Chromium crash,
 * "Execution context was destroyed" (ENGINEERING.md §1.6). A destroyed whatsapp-web.js client cannot be
 * initialised again, so every recovery builds a NEW client, with exponential backoff.
 *
 * One process per number: the gateway takes a Redis lease before launching Chromium and renews it on every
 * heartbeat; a second gateway waits in `standby` and takes over when the lease lapses (the session itself comes
 * from the database, so any machine can resume it).
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { offlineStatus, writeGatewayStatus, writeLastReady, type GatewayState, type GatewayStatus } from './gateway-status';
import { toMessageMedia, type WhatsappClient, type WhatsappClientFactory, type WhatsappClientOptions, type WhatsappMessage } from './whatsapp-client';

/** What the gateway hands to the rest of the channel. Errors are caught and logged at this event boundary. */
export interface GatewayHandlers {
  /** A message someone sent to the number. */
  message(message: WhatsappMessage): Promise<void>;
  /** A message sent from the number: ours, or typed by staff on the phone. */
  ownMessage(message: WhatsappMessage): Promise<void>;
  ack(message: WhatsappMessage, ack: number): Promise<void>;
}

/** Raised when the session has been down longer than `alertAfterMs`. */
export interface GatewayAlert {
  clientId: string;
  state: GatewayState;
  reason: string | null;
  downSince: Date;
}

/** Raised when the session is ready again after having been down. */
export interface GatewayRecovery {
  clientId: string;
  downSince: Date;
  upAt: Date;
}

export interface GatewayOptions {
  clientFactory: WhatsappClientFactory;
  clientOptions: WhatsappClientOptions;
  redis: Redis;
  prefix: string;
  log: Logger;
  handlers: GatewayHandlers;
  alertAfterMs: number;
  /**
   * Where staff hear that the session is down (besides the error log): outage-alerts.ts. Called once per
   * outage by this gateway; a failure (thrown or rejected) is logged and tried again on the next heartbeat.
   */
  onAlert?(alert: GatewayAlert): void | Promise<unknown>;
  /** Called each time the session is ready after being down (at start too); failures are logged. */
  onRecovered?(recovery: GatewayRecovery): void | Promise<unknown>;
  /** Renews the lease and the published status; the lease lasts three heartbeats. @defaultValue 10000 */
  heartbeatMs?: number;
  /** Reconnect delays: base doubled per failed attempt up to max, ±20 % jitter. @defaultValue 2000 / 300000 */
  backoff?: { baseMs: number; maxMs: number };
  /** Shows the pairing QR in the terminal. @defaultValue qrcode-terminal on stdout */
  printQr?(qr: string): void;
}

/** Thrown by `send` while there is no ready session. */
export class SessionUnavailableError extends Error {
  constructor(readonly status: GatewayStatus) {
    super(`WhatsApp session is ${status.state}${status.reason ? ` (${status.reason})` : ''}`);
    this.name = 'SessionUnavailableError';
  }
}

/** Browser-level failures after which the client is unusable and must be replaced (§1.6, wwebjs #2789). */
const fatalBrowserError = /Execution context was destroyed|Target closed|Session closed|Protocol error|Browser (has )?disconnected|detached Frame/i;
/** Reasons after which the phone no longer knows this session: only a new QR scan brings it back. */
const logoutReasons = new Set(['LOGOUT', 'UNPAIRED', 'UNPAIRED_IDLE']);
/** How many provider ids of our own sends to remember, to tell them from staff typing on the phone. */
const OWN_IDS_KEPT = 5000;

export class WhatsappGateway {
  private readonly instanceId = randomUUID();
  private readonly leaseKey: string;
  private readonly heartbeatMs: number;
  private readonly backoff: { baseMs: number; maxMs: number };
  private client: WhatsappClient | undefined;
  private current: GatewayStatus = offlineStatus;
  private holdsLease = false;
  private stopping = false;
  private attempts = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private downSince: number | null = null;
  private alerted = false;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly ownIds = new Set<string>();

  constructor(private readonly o: GatewayOptions) {
    this.leaseKey = `${o.prefix}:whatsapp:gateway:${o.clientOptions.clientId}`;
    this.heartbeatMs = o.heartbeatMs ?? 10_000;
    this.backoff = o.backoff ?? { baseMs: 2000, maxMs: 300_000 };
  }

  get status(): GatewayStatus {
    return this.current;
  }

  /** How long the session has not been ready (0 while it is). */
  downForMs(now = Date.now()): number {
    return this.downSince === null ? 0 : now - this.downSince;
  }

  async start(): Promise<void> {
    this.stopping = false;
    this.downSince = Date.now();
    await this.tick();
    this.heartbeat = setInterval(() => void this.tick().catch((err) => this.o.log.warn({ err }, 'WhatsApp gateway heartbeat failed')), this.heartbeatMs);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.heartbeat);
    clearTimeout(this.restartTimer);
    await this.teardown();
    if (this.holdsLease) {
      await this.o.redis.eval(releaseScript, 1, this.leaseKey, this.instanceId).catch(() => undefined);
      this.holdsLease = false;
    }
    await writeGatewayStatus(this.o.redis, this.o.prefix, this.o.clientOptions.clientId, offlineStatus, 1000).catch(() => undefined);
  }

  /** Sends a text; returns WhatsApp's serialized message id. Throws `SessionUnavailableError` when not ready. */
  async send(chatId: string, text: string): Promise<string> {
    return this.deliver(chatId, text, {});
  }

  /** Sends a file (a researcher's attachment) with an optional caption. */
  async sendFile(chatId: string, file: { mimeType: string; bytes: Buffer; fileName: string }, caption: string): Promise<string> {
    return this.deliver(chatId, toMessageMedia(file), caption ? { caption } : {});
  }

  private async deliver(chatId: string, content: Parameters<WhatsappClient['sendMessage']>[1], options: { caption?: string }): Promise<string> {
    const client = this.current.state === 'ready' ? this.client : undefined;
    if (!client) throw new SessionUnavailableError(this.current);
    // Registered BEFORE the call: whatsapp-web.js emits `message_create` for our own send, possibly before
    // sendMessage resolves, and `isOwnSend` must wait for this send to learn its id.
    let settle!: () => void;
    const marker = new Promise<void>((resolve) => (settle = resolve));
    this.inFlight.add(marker);
    try {
      // sendSeen: false — read receipts are not needed, and marking the chat seen fails on some WA Web builds.
      const sent = await client.sendMessage(chatId, content, { sendSeen: false, ...options });
      this.rememberOwn(sent.id._serialized);
      return sent.id._serialized;
    } catch (err) {
      if (fatalBrowserError.test((err as Error)?.message ?? '')) this.recover('disconnected', (err as Error).message);
      throw err;
    } finally {
      this.inFlight.delete(marker);
      settle();
    }
  }

  /** Whether a message sent from the number is one of our sends (waits for sends in flight to learn their ids). */
  async isOwnSend(providerMessageId: string): Promise<boolean> {
    await Promise.all([...this.inFlight]);
    return this.ownIds.has(providerMessageId);
  }

  private rememberOwn(id: string): void {
    this.ownIds.add(id);
    if (this.ownIds.size > OWN_IDS_KEPT) this.ownIds.delete(this.ownIds.values().next().value!);
  }

  /** Heartbeat: hold (or wait for) the lease, refresh the published status, alert when down too long. */
  private async tick(): Promise<void> {
    if (this.stopping) return;
    const ttl = this.heartbeatMs * 3;
    if (this.holdsLease) {
      // A lease that merely expired (event loop stalled past its TTL) is taken again if nobody else took it.
      const renewed =
        (await this.o.redis.eval(renewScript, 1, this.leaseKey, this.instanceId, String(ttl))) === 1 ||
        (await this.o.redis.set(this.leaseKey, this.instanceId, 'PX', ttl, 'NX')) === 'OK';
      if (!renewed) {
        this.o.log.error({ clientId: this.o.clientOptions.clientId }, 'lost the WhatsApp gateway lease (another process took the number); standing by');
        this.holdsLease = false;
        clearTimeout(this.restartTimer);
        await this.teardown();
        this.setState('standby', null, 'another gateway holds this number');
      }
    } else {
      this.holdsLease = (await this.o.redis.set(this.leaseKey, this.instanceId, 'PX', ttl, 'NX')) === 'OK';
      if (this.holdsLease) this.launch();
      else if (this.current.state !== 'standby') this.setState('standby', null, 'another gateway holds this number');
    }
    await this.publish();
    this.checkAlert();
  }

  private launch(): void {
    this.restartTimer = undefined;
    if (this.stopping || !this.holdsLease) return;
    this.setState('starting', null, this.current.reason);
    let client: WhatsappClient;
    try {
      client = this.o.clientFactory(this.o.clientOptions);
    } catch (err) {
      this.recover('disconnected', `could not create the client: ${(err as Error).message}`);
      return;
    }
    this.client = client;
    const mine = (fn: () => void) => () => this.client === client && fn();
    const guard = (what: string, run: () => Promise<void>) =>
      void run().catch((err) => this.o.log.error({ err }, `WhatsApp ${what} handling failed`));
    client.on('qr', (qr) =>
      mine(() => {
        this.setState('qr', qr, this.current.reason);
        (this.o.printQr ?? printQrInTerminal)(qr);
      })(),
    );
    client.on('authenticated', mine(() => this.setState('authenticated', null, null)));
    client.on('ready', mine(() => {
      this.attempts = 0;
      this.setState('ready', null, null);
      this.o.log.info({ clientId: this.o.clientOptions.clientId }, 'WhatsApp session ready');
    }));
    client.on('remote_session_saved', () => this.o.log.info('WhatsApp session saved to the database'));
    client.on('auth_failure', (message) => mine(() => this.recover('disconnected', `authentication failed: ${message}`))());
    client.on('disconnected', (reason) =>
      mine(() => {
        const loggedOut = logoutReasons.has(reason);
        if (loggedOut) this.o.log.error({ reason }, 'WhatsApp logged out from the phone: scan a new QR code (console: /console/channels/whatsapp, or the terminal)');
        this.recover(loggedOut ? 'logged-out' : 'disconnected', reason);
      })(),
    );
    client.on('message', (m) => this.client === client && guard('inbound message', () => this.o.handlers.message(m)));
    client.on('message_create', (m) => this.client === client && m.fromMe && guard('own message', () => this.o.handlers.ownMessage(m)));
    client.on('message_ack', (m, ack) => this.client === client && guard('ack', () => this.o.handlers.ack(m, ack)));
    client
      .initialize()
      .then(() => this.watchBrowser(client))
      .catch((err: Error) => this.client === client && this.recover('disconnected', `initialize failed: ${err.message}`));
  }

  /** A Chromium crash surfaces as puppeteer's browser `disconnected`, not as a whatsapp-web.js event. */
  private watchBrowser(client: WhatsappClient): void {
    const browser = (client as { pupBrowser?: { on?(event: 'disconnected', listener: () => void): unknown } }).pupBrowser;
    browser?.on?.('disconnected', () => this.client === client && !this.stopping && this.recover('disconnected', 'Chromium exited'));
  }

  /** Drops the current client and schedules a new one with backoff. Idempotent while a restart is pending. */
  recover(state: 'disconnected' | 'logged-out', reason: string): void {
    if (this.stopping || this.restartTimer) return;
    this.o.log.warn({ state, reason, attempt: this.attempts + 1 }, 'WhatsApp session down; reconnecting');
    this.setState(state, null, reason);
    void this.teardown();
    const delay = Math.min(this.backoff.baseMs * 2 ** this.attempts, this.backoff.maxMs) * (0.8 + Math.random() * 0.4);
    this.attempts++;
    this.restartTimer = setTimeout(() => this.launch(), delay);
  }

  private async teardown(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    client.removeAllListeners();
    // The library destroys the client itself on most disconnects; a second destroy may throw. Either is fine.
    await client.destroy().catch((err) => this.o.log.debug({ err }, 'destroying the old WhatsApp client failed'));
  }

  private setState(state: GatewayState, qr: string | null, reason: string | null): void {
    if (state === 'ready') {
      if (this.downSince !== null && this.o.onRecovered) {
        const recovery: GatewayRecovery = { clientId: this.o.clientOptions.clientId, downSince: new Date(this.downSince), upAt: new Date() };
        void Promise.resolve()
          .then(() => this.o.onRecovered?.(recovery))
          .catch((err) => this.o.log.error({ err }, 'telling staff the WhatsApp session is back failed'));
      }
      this.downSince = null;
      this.alerted = false;
    } else if (this.downSince === null && state !== 'standby') {
      this.downSince = Date.now();
    }
    this.current = { state, qr, since: new Date().toISOString(), reason };
    void this.publish().catch((err) => this.o.log.warn({ err }, 'could not publish the WhatsApp gateway status'));
    if (state === 'ready') {
      void writeLastReady(this.o.redis, this.o.prefix, this.o.clientOptions.clientId, new Date()).catch((err) => this.o.log.warn({ err }, 'could not record when WhatsApp was last ready'));
    }
  }

  private publish(): Promise<void> {
    return writeGatewayStatus(this.o.redis, this.o.prefix, this.o.clientOptions.clientId, this.current, this.heartbeatMs * 3);
  }

  private checkAlert(): void {
    if (!this.holdsLease || this.alerted || this.downSince === null) return;
    if (this.downForMs() < this.o.alertAfterMs) return;
    this.alerted = true;
    const alert: GatewayAlert = {
      clientId: this.o.clientOptions.clientId,
      state: this.current.state,
      reason: this.current.reason,
      downSince: new Date(this.downSince),
    };
    this.o.log.error(alert, 'WhatsApp session has been down too long: replies are waiting in the queue');
    void Promise.resolve()
      .then(() => this.o.onAlert?.(alert))
      .catch((err) => {
        this.o.log.error({ err }, 'alerting staff that WhatsApp is down failed; trying again on the next heartbeat');
        if (this.downSince === alert.downSince.getTime()) this.alerted = false;
      });
  }
}

function printQrInTerminal(qr: string): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const qrcodeTerminal = require('qrcode-terminal') as typeof import('qrcode-terminal');
  qrcodeTerminal.generate(qr, { small: true }, (text) => {
    process.stdout.write(`\nScan with WhatsApp on the charity's phone (Settings → Linked devices → Link a device):\n${text}\n`);
  });
}

/** Renew the lease only if we still hold it (a plain PEXPIRE could extend another process's lease). */
const renewScript = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const releaseScript = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
