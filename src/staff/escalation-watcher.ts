/**
 * Finds new escalations and new inbound messages by polling the database, so the console and staff
 * notifications work without a hook in the engine (docs/console.md, "Engine hook", describes the push-based
 * alternative). Every web process runs one; a Redis SET NX per escalation makes exactly one of them queue the
 * staff notification, while each tells its own browsers.
 */
import { and, asc, desc, eq, gt, gte } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Db } from '../store/database';
import { conversations, messages } from '../store/schema';
import type { LiveEvents } from '../console/live-events';
import { asksForFemaleResearcher } from '../conversations/researcher-preference';
import { queueFor } from '../conversations/routing';
import type { EscalationNotice } from './staff-notify';

export interface EscalationWatcherDeps {
  db: Db;
  redis: Redis;
  prefix: string;
  log: Logger;
  events: LiveEvents;
  notify?: (notice: EscalationNotice) => Promise<void>;
  /** @defaultValue 2000 */
  everyMs?: number;
  clock?: () => Date;
}

/** How far back the first poll looks, so an escalation during a restart is still announced. */
const STARTUP_LOOKBACK_MS = 5 * 60_000;

export function startEscalationWatcher(deps: EscalationWatcherDeps): { stop(): void; tick(): Promise<void> } {
  const clock = deps.clock ?? (() => new Date());
  let since = new Date(clock().getTime() - STARTUP_LOOKBACK_MS);
  let lastMessageId: number | null = null;
  let running = false;

  async function tick(): Promise<void> {
    if (running) return;
    running = true;
    try {
      if (lastMessageId === null) {
        const [last] = await deps.db.select({ id: messages.id }).from(messages).orderBy(desc(messages.id)).limit(1);
        lastMessageId = last?.id ?? 0;
      }
      const escalated = await deps.db
        .select()
        .from(conversations)
        .where(and(eq(conversations.status, 'waiting'), gte(conversations.handedOffAt, since)))
        .orderBy(asc(conversations.handedOffAt))
        .limit(200);
      for (const c of escalated) {
        since = c.handedOffAt! > since ? c.handedOffAt! : since;
        const handedOffAt = c.handedOffAt!.toISOString();
        const queue = queueFor(c);
        const key = `${deps.prefix}:console:escalation:${c.id}:${c.handedOffAt!.getTime()}:${queue}`;
        const first = (await deps.redis.set(key, '1', 'EX', 7 * 24 * 3600, 'NX')) === 'OK';
        let researcherGender = c.researcherGender;
        if (first && !researcherGender) {
          // The words that asked for a person are the last few inbound messages before the handoff.
          const recent = await deps.db
            .select({ text: messages.text })
            .from(messages)
            .where(and(eq(messages.conversationId, c.id), eq(messages.direction, 'in')))
            .orderBy(desc(messages.id))
            .limit(3);
          if (recent.some((m) => m.text && asksForFemaleResearcher(m.text))) {
            researcherGender = 'female';
            await deps.db.update(conversations).set({ researcherGender }).where(eq(conversations.id, c.id));
          }
        }
        const seenKey = `${key}:${process.pid}`;
        if (announced.size > 10_000) announced.clear();
        if (!announced.has(seenKey)) {
          announced.add(seenKey);
          deps.events.emitLocal({ type: 'conversation.escalated', conversationId: c.id, priority: c.handoffPriority, queue });
        }
        if (first && deps.notify) {
          await deps.notify({ conversationId: c.id, reason: c.handoffReason, priority: c.handoffPriority, queue, channel: c.channel, handedOffAt, researcherGender });
        }
      }
      const inbound = await deps.db
        .select({ id: messages.id, conversationId: messages.conversationId, direction: messages.direction })
        .from(messages)
        .where(gt(messages.id, lastMessageId))
        .orderBy(asc(messages.id))
        .limit(500);
      for (const m of inbound) {
        lastMessageId = m.id;
        deps.events.emitLocal({ type: m.direction === 'in' ? 'message.received' : 'message.sent', conversationId: m.conversationId });
      }
    } catch (err) {
      deps.log.warn({ err }, 'escalation watcher poll failed; retrying on the next tick');
    } finally {
      running = false;
    }
  }
  const announced = new Set<string>();
  const timer = setInterval(() => void tick(), deps.everyMs ?? 2000);
  timer.unref();
  return { stop: () => clearInterval(timer), tick };
}
