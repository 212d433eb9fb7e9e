/**
 * Turns escalations and new messages into console live events and staff notifications. Pushed: the engine and
 * outbound roles signal after commit (src/pipeline/conversation-signals.ts, Redis pub/sub) and every web process
 * handles the signal at once. Polled, slowly, as a safety net: pub/sub does not keep messages for a web process
 * that was down or reconnecting, so each web process also looks for escalations newer than its last look (and
 * five minutes back at start-up). A Redis SET NX per escalation makes exactly one web process queue the staff
 * notification, whichever path found it first; each process tells its own browsers once.
 */
import { and, asc, desc, eq, gt, gte } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Db } from '../store/database';
import { conversations, messages } from '../store/schema';
import type { LiveEvents } from '../console/live-events';
import { queueFor } from '../conversations/routing';
import { subscribeToSignals, type ConversationSignal } from '../pipeline/conversation-signals';
import type { EscalationNotice } from './staff-notify';

export interface EscalationWatcherDeps {
  db: Db;
  redis: Redis;
  prefix: string;
  log: Logger;
  events: LiveEvents;
  notify?: (notice: EscalationNotice) => Promise<void>;
  /** How often the safety-net poll runs. @defaultValue 30000 */
  everyMs?: number;
  clock?: () => Date;
}

export interface EscalationWatcher {
  /** One safety-net poll (tests call it to prove recovery without waiting). */
  tick(): Promise<void>;
  stop(): Promise<void>;
}

/** How far back the first poll looks, so an escalation during a restart is still announced. */
const STARTUP_LOOKBACK_MS = 5 * 60_000;

type ConversationRow = typeof conversations.$inferSelect;

export async function startEscalationWatcher(deps: EscalationWatcherDeps): Promise<EscalationWatcher> {
  const clock = deps.clock ?? (() => new Date());
  let since = new Date(clock().getTime() - STARTUP_LOOKBACK_MS);
  let lastMessageId: number | null = null;
  let running = false;
  const announced = new Set<string>();

  /** Announces one escalation: to this process's browsers once, and to staff once across all processes. */
  async function announce(c: ConversationRow): Promise<void> {
    if (c.status !== 'waiting' || !c.handedOffAt) return;
    const queue = queueFor(c);
    const key = `${deps.prefix}:console:escalation:${c.id}:${c.handedOffAt.getTime()}:${queue}`;
    if (announced.size > 10_000) announced.clear();
    if (!announced.has(key)) {
      announced.add(key);
      deps.events.emitLocal({ type: 'conversation.escalated', conversationId: c.id, priority: c.handoffPriority, queue });
    }
    const first = (await deps.redis.set(key, '1', 'EX', 7 * 24 * 3600, 'NX')) === 'OK';
    if (first && deps.notify) {
      await deps.notify({
        conversationId: c.id,
        reason: c.handoffReason,
        priority: c.handoffPriority,
        queue,
        channel: c.channel,
        handedOffAt: c.handedOffAt.toISOString(),
        researcherGender: c.researcherGender,
      });
    }
  }

  async function onSignal(signal: ConversationSignal): Promise<void> {
    try {
      if (signal.kind === 'escalated') {
        const [c] = await deps.db.select().from(conversations).where(eq(conversations.id, signal.conversationId));
        if (c) await announce(c);
      } else {
        deps.events.emitLocal({ type: signal.kind === 'inbound' ? 'message.received' : 'message.sent', conversationId: signal.conversationId });
      }
    } catch (err) {
      deps.log.warn({ err, signal }, 'could not handle an engine signal; the next poll will find it');
    }
  }

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
        await announce(c);
      }
      // Messages missed while signals were lost: one refresh per conversation is enough for the browsers.
      const recent = await deps.db
        .select({ id: messages.id, conversationId: messages.conversationId, direction: messages.direction })
        .from(messages)
        .where(gt(messages.id, lastMessageId))
        .orderBy(asc(messages.id))
        .limit(500);
      const touched = new Map<number, 'in' | 'out'>();
      for (const m of recent) {
        lastMessageId = m.id;
        touched.set(m.conversationId, m.direction as 'in' | 'out');
      }
      for (const [conversationId, direction] of touched) {
        deps.events.emitLocal({ type: direction === 'in' ? 'message.received' : 'message.sent', conversationId });
      }
    } catch (err) {
      deps.log.warn({ err }, 'escalation watcher poll failed; retrying on the next tick');
    } finally {
      running = false;
    }
  }

  const unsubscribe = await subscribeToSignals(deps.redis, deps.prefix, (s) => void onSignal(s), (payload) =>
    deps.log.warn({ payload: payload.slice(0, 200) }, 'ignored a malformed engine signal'),
  );
  const timer = setInterval(() => void tick(), deps.everyMs ?? 30_000);
  timer.unref();
  return {
    tick,
    async stop() {
      clearInterval(timer);
      await unsubscribe();
    },
  };
}
