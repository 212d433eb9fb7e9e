/**
 * Keeps PostgreSQL's statistics of the tables every message writes fresh while they grow fast, so the plans of
 * the named statements (store/named-statement.ts) follow the tables' size.
 *
 * A named statement is planned once per connection and its generic plan is kept until the statistics of a table
 * it reads change. Planned on a near-empty table — a new deployment, the first minutes of a campaign — the plan
 * reads the whole table (cheapest while it is small) and goes on doing so as it grows, until autovacuum's ANALYZE
 * next comes round, which may be minutes: at 10,000 people in the load benchmark, the batched ingest read 358
 * pages a call where 56 did (docs/performance.md, hot spot 19). An ANALYZE of a table that has about doubled since
 * the planner last counted its rows replans every connection's statements on it. Steady deployments grow slower
 * than autovacuum analyzes, and this finds nothing to do.
 *
 * On PGlite too, whose named statements run on generic plans (store/pglite-prepared.ts) and whose autovacuum pass
 * (store/pglite-autovacuum.ts) comes round once a minute: there an ANALYZE holds the one connection, and samples
 * less (`statisticsTarget`).
 */
import { sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Db } from './database';
import { executeRows } from './execute-rows';
import { repeatWithoutOverlap } from '../scheduling/repeat-without-overlap';

/** The tables every message writes, and the statements of the hot path read. */
export const HOT_TABLES = ['messages', 'contacts', 'conversations', 'beneficiaries'] as const;

/** Analyzed once it holds this many rows … */
const MIN_ROWS = 500;
/**
 * … and this many times the rows the planner last counted (`pg_class.reltuples`, which ANALYZE sets). Which index
 * or scan a plan takes only changes with the order of magnitude of a table, and an ANALYZE of a big table costs a
 * few hundred milliseconds of sampling, so a table is analyzed a dozen times between 500 rows and a million, then
 * left to autovacuum. Growth, not changes: every message updates its contact and conversation, and a keeper
 * counting updates analyzed a table of 1,000 contacts after every 1,000 messages — each time invalidating every
 * connection's plans on it, which stalled the hot path for tens of milliseconds (docs/performance.md).
 */
const GROWTH = 2;

/** ANALYZEs the hot tables that grew enough since the planner last counted them; returns their names. */
export async function refreshPlannerStatistics(db: Db, opts: { statisticsTarget?: number } = {}): Promise<string[]> {
  // A backend hands its counters to the statistics at the end of a transaction, at most once a second: on PGlite,
  // the one backend, the last second's would otherwise wait for the next check.
  await db.execute(sql`select pg_stat_force_next_flush()`);
  const rows = await executeRows<{ relname: string }>(db, sql`
    select s.relname from pg_stat_user_tables s join pg_class c on c.oid = s.relid
    where s.schemaname = current_schema() and s.relname in (${sql.join(HOT_TABLES.map((t) => sql`${t}`), sql`, `)})
      and s.n_live_tup >= greatest(${MIN_ROWS}::float8, ${GROWTH}::float8 * greatest(c.reltuples, 0))`);
  const stale = rows.map((r) => r.relname);
  for (const table of stale) await analyzeTable(db, table, opts.statisticsTarget);
  return stale;
}

/**
 * ANALYZE of one table, by its name as the catalogue spells it (never a name from outside), at `statisticsTarget`
 * when given: ANALYZE samples 300 rows per unit of target (the server's default is 100).
 */
export async function analyzeTable(db: Db, table: string, statisticsTarget?: number): Promise<void> {
  const analyze = sql`analyze ${sql.identifier(table)}`;
  if (statisticsTarget === undefined) {
    await db.execute(analyze);
    return;
  }
  await db.transaction(async (tx) => {
    // SET takes no parameter; the target is a number of ours.
    await tx.execute(sql.raw(`set local default_statistics_target = ${Math.trunc(statisticsTarget)}`));
    await tx.execute(analyze);
  });
}

export function startPlannerStatistics(deps: { db: Db; log: Logger }, opts: { everyMs: number; statisticsTarget?: number }): { stop(): void } {
  return repeatWithoutOverlap(
    async () => {
      const analyzed = await refreshPlannerStatistics(deps.db, opts);
      if (analyzed.length) deps.log.debug({ analyzed }, 'planner statistics refreshed');
    },
    { everyMs: opts.everyMs, onError: (err) => deps.log.warn({ err }, 'could not refresh planner statistics; autovacuum still will') },
  );
}
