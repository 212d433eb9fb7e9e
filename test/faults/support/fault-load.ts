/**
 * The beneficiaries of a fault test and their bookkeeping. Each simulated person writes to Wasl over the real
 * Telegram webhook, one message after another, and — like Telegram — delivers an update again until Wasl
 * answers it 200 (a 5xx, a timeout, a refused connection). Replies are counted where the beneficiary would see
 * them: at the fake Bot API, which records every `sendMessage` it accepted.
 *
 * The content is the echo flow (content-fixture.ts): message "X" is answered "echo: X", so each reply names
 * the message it answers and a lost or doubled reply is visible by text.
 */
import { and, eq, like } from 'drizzle-orm';
import type { Db } from '../../../src/store/database';
import { messages } from '../../../src/store/schema';
import { tg, type FakeTelegramApi } from '../../fakes/fake-telegram-api';

export const WEBHOOK_SECRET = 'fault-secret-0123456789abcdef';
export const telegramEnv = (fake: FakeTelegramApi): Record<string, string> => ({
  TELEGRAM_BOT_TOKEN: fake.token,
  TELEGRAM_API_ROOT: fake.url,
  TELEGRAM_WEBHOOK_URL: 'https://wasl.example.org/webhooks/telegram',
  TELEGRAM_WEBHOOK_SECRET: WEBHOOK_SECRET,
  TELEGRAM_CHAT_INTERVAL_MS: '0',
});

/**
 * Arabic a beneficiary types while a flow is asking; each message gets a unique tag so its echo can be told
 * apart. (Phrases the FAQ or the safety rules react to would be answered by them, not echoed.)
 */
const phrases = ['السلام عليكم', 'أريد التسجيل في السلة الغذائية', 'شكراً جزيلاً'];

export interface Tally {
  sent: number;
  stored: number;
  answered: number;
  duplicated: number;
  lost: number;
  /** Chats whose echoes arrived in a different order from their messages. */
  outOfOrder: number;
}

export class TelegramLoad {
  /** Every message a beneficiary sent (and got a 200 for), by chat, in sending order. */
  readonly sent = new Map<number, string[]>();
  retries = 0;

  constructor(
    private readonly fake: FakeTelegramApi,
    private readonly webhookUrl: () => string,
  ) {}

  /** Posts one update until Wasl takes it (200), as Telegram does; gives up after `patienceMs`. */
  async deliver(update: Record<string, unknown>, patienceMs = 60_000): Promise<void> {
    const started = Date.now();
    for (;;) {
      try {
        const res = await fetch(this.webhookUrl(), {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': WEBHOOK_SECRET },
          body: JSON.stringify(update),
          signal: AbortSignal.timeout(5_000),
        });
        await res.arrayBuffer();
        if (res.status === 200) return;
      } catch {
        // refused, reset or timed out: Telegram tries again
      }
      this.retries++;
      if (Date.now() - started > patienceMs) throw new Error(`update ${String(update.update_id)} not accepted within ${patienceMs} ms`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** One person's conversation: `count` messages, `gapMs` apart. The first message only opens the echo flow. */
  async converse(chatId: number, count: number, gapMs: number): Promise<void> {
    await this.deliver(this.fake.makeUpdate(tg.text(chatId, 'مرحبا')));
    const mine: string[] = [];
    this.sent.set(chatId, mine);
    for (let i = 1; i <= count; i++) {
      const text = `${phrases[(chatId + i) % phrases.length]} #${chatId}-${i}`;
      await this.deliver(this.fake.makeUpdate(tg.text(chatId, text)));
      mine.push(text);
      if (gapMs) await new Promise((r) => setTimeout(r, gapMs));
    }
  }

  /** Many people at once; resolves when every message has been accepted (not yet answered). */
  async run(opts: { chats: number; perChat: number; gapMs: number; firstChatId?: number }): Promise<void> {
    const first = opts.firstChatId ?? 810_000;
    await Promise.all(Array.from({ length: opts.chats }, (_, i) => this.converse(first + i, opts.perChat, opts.gapMs)));
  }

  get sentCount(): number {
    return [...this.sent.values()].reduce((n, l) => n + l.length, 0);
  }

  /** The echoes the fake accepted, by chat, in the order it accepted them. */
  private echoesByChat(): Map<number, string[]> {
    const byChat = new Map<number, string[]>();
    for (const c of this.fake.callsTo('sendMessage')) {
      const text = String(c.body.text ?? '');
      if (c.status !== 200 || !text.startsWith('echo: ')) continue;
      const chat = Number(c.body.chat_id);
      byChat.set(chat, [...(byChat.get(chat) ?? []), text.slice('echo: '.length)]);
    }
    return byChat;
  }

  answeredCount(): number {
    const echoes = this.echoesByChat();
    let n = 0;
    for (const [chat, texts] of this.sent) n += new Set(texts.filter((t) => echoes.get(chat)?.includes(t))).size;
    return n;
  }

  /**
   * For each reply the fake accepted more than once, when it first accepted it, in ms relative to `moment`
   * (negative: before). A reply resent because the sender died holding it was accepted just before that death.
   */
  firstCopiesOfResent(moment: number): number[] {
    const seen = new Map<string, number[]>();
    for (const c of this.fake.callsTo('sendMessage')) {
      const text = String(c.body.text ?? '');
      if (c.status !== 200 || !text.startsWith('echo: ')) continue;
      const key = `${String(c.body.chat_id)}\n${text}`;
      seen.set(key, [...(seen.get(key) ?? []), c.at]);
    }
    return [...seen.values()].filter((at) => at.length > 1).map((at) => at[0]! - moment);
  }

  async tally(db: Db): Promise<Tally> {
    const stored = await db.select({ text: messages.text }).from(messages).where(and(eq(messages.direction, 'in'), eq(messages.channel, 'telegram')));
    const storedTexts = new Set(stored.map((r) => r.text));
    const echoes = this.echoesByChat();
    let answered = 0;
    let duplicated = 0;
    let outOfOrder = 0;
    let storedCount = 0;
    for (const [chat, texts] of this.sent) {
      const got = echoes.get(chat) ?? [];
      for (const t of texts) {
        if (storedTexts.has(t)) storedCount++;
        const times = got.filter((g) => g === t).length;
        if (times > 0) answered++;
        if (times > 1) duplicated += times - 1;
      }
      const firstSeen = [...new Set(got)];
      if (firstSeen.join('\n') !== texts.filter((t) => firstSeen.includes(t)).join('\n')) outOfOrder++;
    }
    // A reply nobody asked for (a text this test never sent) would be a duplicate of something too.
    for (const [chat, got] of echoes) if (!this.sent.has(chat)) duplicated += got.length;
    const sent = this.sentCount;
    return { sent, stored: storedCount, answered, duplicated, lost: sent - answered, outOfOrder };
  }
}

/** Waits until every sent message has its echo (or the time is up), then a little longer to catch late doubles. */
export async function settle(load: TelegramLoad, timeoutMs: number, quietMs = 2_000): Promise<void> {
  const started = Date.now();
  while (load.answeredCount() < load.sentCount && Date.now() - started < timeoutMs) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, quietMs));
}

/**
 * Echo replies written more than once (two outbox rows with one text): a message answered twice by the engine,
 * where a duplicate at the provider with one row is a reply sent twice. Printed, so a failure says which.
 */
export async function echoesWrittenTwice(db: Db): Promise<number> {
  const rows = await db.select({ text: messages.text }).from(messages).where(and(eq(messages.direction, 'out'), like(messages.text, 'echo: %')));
  const seen = new Map<string, number>();
  for (const r of rows) seen.set(r.text!, (seen.get(r.text!) ?? 0) + 1);
  return [...seen.values()].filter((n) => n > 1).length;
}

/** Outbound rows by status: what is still queued, what was given up on. */
export async function outboxStatus(db: Db): Promise<Record<string, number>> {
  const rows = await db.select({ status: messages.status, error: messages.error }).from(messages).where(eq(messages.direction, 'out'));
  const by: Record<string, number> = {};
  for (const r of rows) by[r.status] = (by[r.status] ?? 0) + 1;
  return by;
}

export function printTally(scenario: string, t: Tally, extra: Record<string, unknown> = {}): void {
  const more = Object.entries(extra)
    .map(([k, v]) => ` ${k}=${String(v)}`)
    .join('');
  process.stdout.write(
    `[fault] ${scenario}: sent=${t.sent} stored=${t.stored} answered=${t.answered} duplicated=${t.duplicated} lost=${t.lost} out-of-order=${t.outOfOrder}${more}\n`,
  );
}
