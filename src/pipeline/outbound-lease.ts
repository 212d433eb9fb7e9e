/**
 * One sender per conversation and channel, kept by PostgreSQL (ADR 0013). The queue's deduplication runs one send
 * job per conversation only for as long as Redis remembers the job: Redis restarted empty, the sweeper and the
 * engine ask again for conversations whose old jobs are still sending, and two jobs would read the same queued
 * reply and send it twice. A job therefore takes its conversation's lease before it reads anything, and a job
 * that finds the lease held waits for it instead of sending.
 *
 * The lease outlives a stalled holder by `leaseMs` at most: the worker renews what it holds every third of
 * that, and a killed process stops renewing. Like the job lock BullMQ keeps in Redis, but where the replies are.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Db } from '../store/database';
import { groupCommit } from '../store/group-commit';
import { namedStatement, runNamed } from '../store/named-statement';
import { repeatWithoutOverlap } from '../scheduling/repeat-without-overlap';

/**
 * Per conversation ($1) a fresh holder ($2), on channel $3, for $4 ms. A live lease of another holder is left as
 * it is, and how long it still has comes back. The queued replies are read in the next statement, never in this
 * one: a lease freed by a holder that committed after this statement began would be taken here while this
 * statement's snapshot still showed that holder's last reply as queued.
 */
const TAKE = namedStatement(
  'send_take_lease_many',
  `with input as (
     select * from unnest($1::bigint[], $2::text[]) with ordinality as i(conversation_id, holder, ord)
   ), taken as (
     insert into outbound_leases as l (conversation_id, channel, holder, expires_at)
     select i.conversation_id, $3::text, i.holder, now() + $4::integer * interval '1 millisecond' from input i
     on conflict (conversation_id, channel) do update set holder = excluded.holder, expires_at = excluded.expires_at
       where l.expires_at < now()
     returning l.conversation_id
   )
   select (t.conversation_id is not null) as taken,
     ceil(extract(epoch from (held.expires_at - now())) * 1000)::integer as held_for_ms
   from input i
   left join taken t on t.conversation_id = i.conversation_id
   left join outbound_leases held on held.conversation_id = i.conversation_id and held.channel = $3::text
   order by i.ord`,
);

/** Extends the leases of holders $2 (of conversations $1) on channel $4 by $3 ms from now; returns those still held. */
const RENEW = namedStatement(
  'send_renew_leases',
  `update outbound_leases l set expires_at = now() + $3::integer * interval '1 millisecond'
   from unnest($1::bigint[], $2::text[]) as i(conversation_id, holder)
   where l.conversation_id = i.conversation_id and l.channel = $4::text and l.holder = i.holder
   returning l.holder`,
);

const RELEASE = namedStatement(
  'send_release_lease_many',
  `delete from outbound_leases l
   using unnest($1::bigint[], $2::text[]) as i(conversation_id, holder)
   where l.conversation_id = i.conversation_id and l.channel = $3::text and l.holder = i.holder`,
);

/** A conversation's sending, held by one run of a send job. */
export interface OutboundLease {
  conversationId: number;
  holder: string;
}

/** Held by this run, or held by another for `retryInMs` more at most (ask again then). */
export type LeaseOutcome = { lease: OutboundLease } | { retryInMs: number };

export interface OutboundLeases {
  take(conversationId: number): Promise<LeaseOutcome>;
  /** Gives a lease back; best effort, since a lease that is not given back expires. */
  release(lease: OutboundLease): Promise<void>;
  /** The lease was deleted by the statement that recorded the conversation's last send (send-outbound.ts). */
  forget(lease: OutboundLease): void;
  /** Stops renewing; leases still held expire by themselves. */
  stop(): void;
}

/** Longest a job waits before asking again for a lease held by a live sender, which frees it when it is done. */
const MAX_RETRY_MS = 1000;

export function createOutboundLeases(opts: { db: Db; channel: string; leaseMs: number; statementBatch: number; log: Logger }): OutboundLeases {
  const { db, channel, leaseMs } = opts;
  const held = new Map<string, number>();
  const take = groupCommit<number, { holder: string; taken: boolean; heldForMs: number | null }>({
    maxBatch: opts.statementBatch,
    // One upsert cannot touch a row twice: two asks for one conversation go in two statements.
    keysOf: (conversationId) => [conversationId],
    run: async (conversationIds) => {
      const holders = conversationIds.map(() => randomUUID());
      const rows = await runNamed(db, TAKE, [conversationIds, holders, channel, leaseMs]);
      return rows.map((r, i) => {
        if (r.taken === true) held.set(holders[i]!, conversationIds[i]!);
        return { taken: r.taken === true, heldForMs: r.held_for_ms === null ? null : Number(r.held_for_ms), holder: holders[i]! };
      });
    },
  });
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
        // Released meanwhile (gone from `held`), or lost: expired while this process could not renew it. The
        // job's next read finds the lease not its own and stops (send-outbound.ts).
        if (!renewed.has(holder) && held.delete(holder)) opts.log.warn({ conversationId, channel }, 'a send lease expired before it was renewed');
      }
    },
    { everyMs: Math.max(100, Math.floor(leaseMs / 3)), onError: (err) => opts.log.warn({ err, channel }, 'could not renew the send leases; will try again') },
  );
  return {
    async take(conversationId) {
      const r = await take(conversationId);
      if (r.taken) return { lease: { conversationId, holder: r.holder } };
      return { retryInMs: Math.min(MAX_RETRY_MS, Math.max(50, r.heldForMs ?? MAX_RETRY_MS)) };
    },
    async release(lease) {
      held.delete(lease.holder);
      try {
        await release(lease);
      } catch (err) {
        opts.log.warn({ err, conversationId: lease.conversationId, channel }, 'could not release a send lease; it expires by itself');
      }
    },
    forget(lease) {
      held.delete(lease.holder);
    },
    stop: () => renewing.stop(),
  };
}
