/**
 * Beneficiaries on the website chat, for fault tests of a channel whose send jobs carry several replies each
 * (no provider rate limit: queue/workers.ts). Each person posts to the real endpoint until it answers 202, as the
 * widget does; replies are counted where the widget would get them — the web adapter's publish on Redis, watched
 * here by a subscriber of our own — so a reply sent twice shows as its message id seen twice, a message answered
 * twice as two ids with the same echo.
 *
 * The content is the echo flow (content-fixture.ts): "X" is answered "echo: X" and then the prompt again, two
 * replies for every message.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { webUserIdOf } from '../../../src/channels/web/device-id';
import type { Db } from '../../../src/store/database';
import { messages } from '../../../src/store/schema';
import type { Tally } from './fault-load';
import { tapWebReplies } from '../../support/web-reply-tap';

interface Published {
  id: number;
  text: string;
}

export class WebChatLoad {
  /** Every message a person sent (and got a 202 for), by device, in sending order. */
  readonly sent = new Map<string, string[]>();
  /** Every reply published, by web user id, in publish order. */
  private readonly published = new Map<string, Published[]>();

  private tap: { stop(): void } | undefined;

  private constructor(private readonly baseUrl: string) {}

  static async start(opts: { redisUrl: string; prefix: string; baseUrl: string }): Promise<WebChatLoad> {
    const load = new WebChatLoad(opts.baseUrl);
    load.tap = await tapWebReplies(opts.redisUrl, opts.prefix, (user, e) => {
      load.published.set(user, [...(load.published.get(user) ?? []), { id: e.id, text: e.text }]);
    });
    return load;
  }

  async stop(): Promise<void> {
    this.tap?.stop();
  }

  /** Posts one message until Wasl takes it (202); the same client id each time, as the widget retries. */
  private async post(deviceId: string, text: string, patienceMs = 60_000): Promise<void> {
    const started = Date.now();
    const body = JSON.stringify({ deviceId, clientMessageId: randomUUID(), text });
    for (;;) {
      try {
        const res = await fetch(`${this.baseUrl}/api/web/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(5_000) });
        await res.arrayBuffer();
        if (res.status === 202) return;
        // A 4xx other than a rate limit is this test's mistake, not a fault to wait out.
        if (res.status >= 400 && res.status < 500 && res.status !== 429) throw new Error(`the chat refused a message of ${deviceId}: ${res.status}`);
      } catch (err) {
        if (err instanceof Error && err.message.startsWith('the chat refused')) throw err;
        // refused or timed out: the widget tries again
      }
      if (Date.now() - started > patienceMs) throw new Error(`a message of ${deviceId} was not accepted within ${patienceMs} ms`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** One person: `count` messages in pairs sent back to back, `gapMs` between pairs, so drains often take two. */
  async converse(deviceId: string, count: number, gapMs: number): Promise<void> {
    await this.post(deviceId, 'مرحبا');
    const mine: string[] = [];
    this.sent.set(deviceId, mine);
    for (let i = 1; i <= count; i += 2) {
      const pair = [i, i + 1].filter((n) => n <= count).map((n) => `رسالة ${n} من ${deviceId.slice(0, 6)}`);
      for (const text of pair) {
        await this.post(deviceId, text);
        mine.push(text);
      }
      await new Promise((r) => setTimeout(r, gapMs));
    }
  }

  async run(opts: { people: number; perPerson: number; gapMs: number }): Promise<void> {
    await Promise.all(Array.from({ length: opts.people }, () => this.converse(randomBytes(16).toString('base64url'), opts.perPerson, opts.gapMs)));
  }

  get sentCount(): number {
    return [...this.sent.values()].reduce((n, l) => n + l.length, 0);
  }

  private echoesOf(deviceId: string): string[] {
    return (this.published.get(webUserIdOf(deviceId)) ?? []).filter((p) => p.text.startsWith('echo: ')).map((p) => p.text.slice('echo: '.length));
  }

  answeredCount(): number {
    let n = 0;
    for (const [device, texts] of this.sent) {
      const echoes = new Set(this.echoesOf(device));
      n += texts.filter((t) => echoes.has(t)).length;
    }
    return n;
  }

  /** Publishes of a reply already published (the same message id again): not shown twice by the widget. */
  republished(): number {
    let n = 0;
    for (const list of this.published.values()) n += list.length - new Set(list.map((p) => p.id)).size;
    return n;
  }

  async tally(db: Db): Promise<Tally> {
    const stored = await db.select({ text: messages.text }).from(messages).where(and(eq(messages.direction, 'in'), eq(messages.channel, 'web')));
    const storedTexts = new Set(stored.map((r) => r.text));
    let storedCount = 0;
    let answered = 0;
    // A message answered twice (two echo rows). A reply published twice under its own id — a kill between the
    // publish and the `sent` update, the window docs/performance.md describes — is shown once: the widget keys
    // messages by id (public/widget/wasl-widget.js); `republished()` counts those apart.
    let duplicated = 0;
    let outOfOrder = 0;
    for (const [device, texts] of this.sent) {
      for (const t of texts) {
        if (storedTexts.has(t)) storedCount++;
        const answers = new Set(this.idsOfEcho(device, t)).size;
        if (answers > 0) answered++;
        if (answers > 1) duplicated += answers - 1;
      }
      const firstSeen = [...new Set(this.echoesOf(device))];
      if (firstSeen.join('\n') !== texts.filter((t) => firstSeen.includes(t)).join('\n')) outOfOrder++;
    }
    const sent = this.sentCount;
    return { sent, stored: storedCount, answered, duplicated, lost: sent - answered, outOfOrder };
  }

  private idsOfEcho(deviceId: string, text: string): number[] {
    return (this.published.get(webUserIdOf(deviceId)) ?? []).filter((p) => p.text === `echo: ${text}`).map((p) => p.id);
  }
}
