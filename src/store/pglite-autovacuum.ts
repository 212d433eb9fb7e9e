/**
 * Autovacuum for PGlite. PGlite is PostgreSQL in one single-user backend: no postmaster, so no autovacuum
 * launcher, though `show autovacuum` says `on`, and nothing ever made the space of a dead row version free
 * again. Every message leaves some — its status changes (received → processed, queued → sent) are updates of
 * indexed columns — and the retention job deletes whole months of messages. With a retention period holding
 * the last 10,000 messages, the messages table (with its indexes) grew by 5.9 MB every 10,000 messages (half
 * received, half replies), without end: 35 MB after 60,000; vacuumed by this, it levelled off at 14 MB. The
 * planner statistics were never gathered either.
 *
 * This does, for the tables of the embedded database, what autovacuum does on a server and by the same rules
 * (PostgreSQL's "The Autovacuum Daemon", with the server's own settings): VACUUM a table once its dead rows
 * pass `autovacuum_vacuum_threshold + autovacuum_vacuum_scale_factor × rows`, or its rows inserted since the
 * last vacuum pass the insert threshold (which keeps the visibility map and freezing current), or its oldest
 * unfrozen transaction id is older than `autovacuum_freeze_max_age` (against wraparound); ANALYZE it once
 * its changes since the last analyze pass `autovacuum_analyze_threshold + autovacuum_analyze_scale_factor ×
 * rows`. One backend means a VACUUM or an ANALYZE holds every other query of the process while it runs; the
 * thresholds make that rare, a vacuum only reads the pages changed since the last one, and an analyze here
 * samples a fifth of what a server's would (`PGLITE_STATISTICS_TARGET`).
 *
 * PostgreSQL servers run their own autovacuum; this is started on PGlite only.
 */
import { sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Db } from './database';
import { executeRows } from './execute-rows';
import { analyzeTable } from './planner-statistics';
import { repeatWithoutOverlap } from '../scheduling/repeat-without-overlap';

/** What one pass did: the tables vacuumed (and analyzed after it), and those only analyzed. */
export interface AutovacuumPass {
  vacuumed: string[];
  analyzed: string[];
}

/** Vacuums and analyzes the tables of the current schema that autovacuum's rules say are due. */
export async function vacuumWhereDue(db: Db): Promise<AutovacuumPass> {
  // The backend hands its counters to the statistics at the end of a transaction, at most once a second; the
  // last second's would otherwise wait for the next pass.
  await db.execute(sql`select pg_stat_force_next_flush()`);
  const rows = await executeRows<{ relname: string; vacuum: boolean; analyze: boolean }>(db, sql`
    with t as (
      select s.relname, s.n_dead_tup, s.n_ins_since_vacuum, s.n_mod_since_analyze, greatest(c.reltuples, 0) as rows,
             age(c.relfrozenxid) as xid_age
      from pg_stat_user_tables s join pg_class c on c.oid = s.relid
      where s.schemaname = current_schema()
    )
    select relname,
      n_dead_tup > current_setting('autovacuum_vacuum_threshold')::float8 + current_setting('autovacuum_vacuum_scale_factor')::float8 * rows
        or n_ins_since_vacuum > current_setting('autovacuum_vacuum_insert_threshold')::float8
                                + current_setting('autovacuum_vacuum_insert_scale_factor')::float8 * rows
        or xid_age > current_setting('autovacuum_freeze_max_age')::float8 as vacuum,
      n_mod_since_analyze > current_setting('autovacuum_analyze_threshold')::float8 + current_setting('autovacuum_analyze_scale_factor')::float8 * rows as analyze
    from t order by relname`);
  const pass: AutovacuumPass = { vacuumed: [], analyzed: [] };
  for (const { relname, vacuum, analyze } of rows) {
    // The name is the catalogue's own; quoted as an identifier, never taken from outside.
    // Two statements, not `vacuum (analyze)`: PGlite's other callers get their turn in between.
    if (vacuum) await db.execute(sql`vacuum ${sql.identifier(relname)}`);
    if (vacuum || analyze) await analyzeTable(db, relname, PGLITE_STATISTICS_TARGET);
    if (vacuum) pass.vacuumed.push(relname);
    else if (analyze) pass.analyzed.push(relname);
  }
  return pass;
}

/**
 * The statistics target of these ANALYZEs (PostgreSQL's default: 100). An ANALYZE samples 300 rows per unit of
 * target, and PGlite's one connection waits for it: of a 50,000-message table it took 160 ms at 100, 31 ms at 20
 * — at 100, the pass that ran during the load benchmark's half-rate phase was its slowest 1 %. The plans of
 * Wasl's statements turn on a table's size and a key's selectivity, which 20 buckets and 20 common values
 * measure as well.
 */
export const PGLITE_STATISTICS_TARGET = 20;

/** Checks every `everyMs` (autovacuum's own naptime is a minute), a pass at a time. */
export function startPgliteAutovacuum(deps: { db: Db; log: Logger }, opts: { everyMs: number }): { stop(): void } {
  return repeatWithoutOverlap(
    async () => {
      const started = performance.now();
      const pass = await vacuumWhereDue(deps.db);
      if (pass.vacuumed.length || pass.analyzed.length) {
        deps.log.info({ ...pass, ms: Math.round(performance.now() - started) }, 'vacuumed the embedded database');
      }
    },
    { everyMs: opts.everyMs, onError: (err) => deps.log.warn({ err }, 'could not vacuum the embedded database; the next pass tries again') },
  );
}
