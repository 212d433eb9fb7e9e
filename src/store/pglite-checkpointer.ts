/**
 * Checkpoints for PGlite. PGlite is PostgreSQL in one single-user backend, without the checkpointer process, and
 * it never takes a checkpoint of its own while open — not after `checkpoint_timeout`, not even past
 * `max_wal_size`: writing steadily, its `pg_wal` reached 1.46 GB with the last checkpoint still the one made at
 * start. The write-ahead log then only grows, and a process killed (or a machine that loses power) replays all
 * of it, since the last clean start, before it answers anyone again.
 *
 * This takes a checkpoint by the checkpointer's own rules and settings: once `checkpoint_timeout` has passed
 * since the last one and something was written since, or once the log since the last one reaches half of
 * `max_wal_size` (the checkpointer's target with the default `checkpoint_completion_target` of 0.9 is about
 * that). PostgreSQL then recycles the log behind it. A checkpoint writes out the dirty buffers, at most
 * `shared_buffers`, and holds PGlite's one connection while it does.
 *
 * PostgreSQL servers run their own checkpointer; this is started on PGlite only.
 */
import { sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Db } from './database';
import { executeRows } from './execute-rows';
import { repeatWithoutOverlap } from '../scheduling/repeat-without-overlap';

/** When a checkpoint is due: this long after the last one, or this much log after it. */
export interface CheckpointPolicy {
  afterS: number;
  afterWalBytes: number;
}

/**
 * More log than this since the last checkpoint counts as "something was written": the checkpoint's own record
 * is under 200 bytes.
 */
const WRITTEN_SINCE = 8 * 1024;

/** The policy of PGlite's own settings (`checkpoint_timeout`, `max_wal_size`). */
export async function checkpointPolicy(db: Db): Promise<CheckpointPolicy> {
  const [row] = await executeRows<{ timeout_s: string; max_wal: string }>(db, sql`
    select extract(epoch from current_setting('checkpoint_timeout')::interval)::text as timeout_s,
           pg_size_bytes(current_setting('max_wal_size'))::text as max_wal`);
  return { afterS: Number(row!.timeout_s), afterWalBytes: Number(row!.max_wal) / 2 };
}

/** Takes a checkpoint if `policy` says one is due; returns the log it covered, in bytes, or null if none was due. */
export async function checkpointIfDue(db: Db, policy: CheckpointPolicy, now = new Date()): Promise<number | null> {
  const [row] = await executeRows<{ wal_bytes: string; at: string }>(db, sql`
    select pg_wal_lsn_diff(pg_current_wal_insert_lsn(), redo_lsn)::text as wal_bytes, extract(epoch from checkpoint_time)::text as at
    from pg_control_checkpoint()`);
  const walBytes = Number(row!.wal_bytes);
  const ageS = now.getTime() / 1000 - Number(row!.at);
  const due = walBytes >= policy.afterWalBytes || (ageS >= policy.afterS && walBytes > WRITTEN_SINCE);
  if (!due) return null;
  await db.execute(sql`checkpoint`);
  return walBytes;
}

/** Checks every `everyMs`, a pass at a time, by `policy` or else the policy of the database's settings. */
export function startPgliteCheckpointer(deps: { db: Db; log: Logger }, opts: { everyMs: number; policy?: CheckpointPolicy }): { stop(): void } {
  let policy = opts.policy;
  return repeatWithoutOverlap(
    async () => {
      policy ??= await checkpointPolicy(deps.db);
      const started = performance.now();
      const walBytes = await checkpointIfDue(deps.db, policy);
      if (walBytes !== null) deps.log.debug({ walBytes, ms: Math.round(performance.now() - started) }, 'checkpointed the embedded database');
    },
    { everyMs: opts.everyMs, onError: (err) => deps.log.warn({ err }, 'could not checkpoint the embedded database; the next pass tries again') },
  );
}
