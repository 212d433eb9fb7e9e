/**
 * One sender per conversation and channel, kept by PostgreSQL (ADR 0013). The queue's deduplication runs one send
 * job per conversation only for as long as Redis remembers the job: Redis restarted empty, the sweeper and the
 * engine ask again for conversations whose old jobs are still sending, and two jobs would read the same queued
 * reply and send it twice. A job therefore takes its conversation's lease with its first read (send-outbound.ts),
 * and a job that finds the lease held waits for it instead of sending.
 *
 * This module keeps what a worker holds: it renews its leases every third of their duration, so a lease outlives
 * a killed holder by `leaseMs` at most (like the job lock BullMQ keeps in Redis, but where the replies are), and
 * gives a lease back when a job ends without the statement that records its last send having done so.
 */
import type { Logger } from 'pino';
import type { Db } from '../store/database';
import { groupCommit } from '../store/group-commit';
import { namedStatement, runNamed } from '../store/named-statement';
import { repeatWithoutOverlap } from '../scheduling/repeat-without-overlap';

/** Extends the leases of holders $2 (of conversations $1) on channel $4 by $3 ms from now; returns those still held. */
const RENEW = namedStatement(
  'send_renew_leases',
  `update outbound_leases l set expires_at = now() + $3::integer * interval '1 millisecond'
   from unnest($1::bigint[], $2::text[]) as i(conversation_id, holder)
   where l.conversation_id = i.conversation_id and l.channel = $4::text and l.holder = i.holder and l.expires_at > '-infinity'
   returning l.holder`,
);

/** Gives back the leases of holders $2 (of conversations $1) on channel $3. */
const RELEASE = namedStatement(
  'send_release_lease_many',
  `update outbound_leases l set expires_at = '-infinity'
   from unnest($1::bigint[], $2::text[]) as i(conversation_id, holder)
   where l.conversation_id = i.conversation_id and l.channel = $3::text and l.holder = i.holder`,
);

/**
 * Leases given back or expired more than an hour ago, on channel $1: nothing can still be racing for them, and a
 * row left per conversation that ever had a reply would only grow. The next job of such a conversation inserts it
 * afresh.
 */
const PRUNE = namedStatement(
  'send_prune_leases',
  `delete from outbound_leases where channel = $1::text and expires_at < now() - interval '1 hour' returning conversation_id`,
);

/** How often each outbound worker prunes its channel's old leases. */
const PRUNE_EVERY_MS = 3600_000;

/** A conversation's sending, held by one run of a send job. */
export interface OutboundLease {
  conversationId: number;
  holder: string;
}

export interface OutboundLeases {
  /** Renews `lease` from now on, until it is given back or forgotten. */
  hold(lease: OutboundLease): void;
  /** Gives a lease back. Best effort: a lease that is not given back expires. */
  release(lease: OutboundLease): Promise<void>;
  /** The lease was given back by the statement that recorded the conversation's last send (send-outbound.ts). */
  forget(lease: OutboundLease): void;
  /** Deletes the channel's leases given back or expired over an hour ago (also run hourly); how many. */
  prune(): Promise<number>;
  /** Stops renewing and pruning; leases still held expire by themselves. */
  stop(): void;
}

export function createOutboundLeases(opts: { db: Db; channel: string; leaseMs: number; statementBatch: number; log: Logger }): OutboundLeases {
  const { db, channel, leaseMs } = opts;
  const held = new Map<string, number>();
  const release = groupCommit<OutboundLease, void>({
    maxBatch: opts.statementBatch,
    run: async (leases) => {
      await runNamed(db, RELEASE, [leases.map((l) => l.conversationId), leases.map((l) => l.holder), channel]);
      return leases.map(() => undefined);
    },
  });
  const renewing = repeatWithoutOverlap(
    async () => {
      if (held.size === 0) return;
      const leases = [...held];
      const rows = await runNamed(db, RENEW, [leases.map(([, c]) => c), leases.map(([h]) => h), leaseMs, channel]);
      const renewed = new Set(rows.map((r) => String(r.holder)));
      for (const [holder, conversationId] of leases) {
        // Given back meanwhile (gone from `held` already), or lost: expired while this process could not renew
        // it, and taken. The job's next read finds the lease not its own and stops (send-outbound.ts).
        if (!renewed.has(holder) && held.delete(holder)) opts.log.warn({ conversationId, channel }, 'a send lease expired before it was renewed');
      }
    },
    { everyMs: Math.max(100, Math.floor(leaseMs / 3)), onError: (err) => opts.log.warn({ err, channel }, 'could not renew the send leases; will try again') },
  );
  const prune = async () => (await runNamed(db, PRUNE, [channel])).length;
  const pruning = repeatWithoutOverlap(
    async () => {
      await prune();
    },
    { everyMs: PRUNE_EVERY_MS, onError: (err) => opts.log.warn({ err, channel }, 'could not prune old send leases; will try again') },
  );
  return {
    hold(lease) {
      held.set(lease.holder, lease.conversationId);
    },
    async release(lease) {
      held.delete(lease.holder);
      try {
        await release(lease);
      } catch (err) {
        opts.log.warn({ err, conversationId: lease.conversationId, channel }, 'could not give a send lease back; it expires by itself');
      }
    },
    forget(lease) {
      held.delete(lease.holder);
    },
    prune,
    stop: () => {
      renewing.stop();
      pruning.stop();
    },
  };
}
