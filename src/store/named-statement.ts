/**
 * Statements on the path every message takes, written once as SQL text and run by the driver itself, inside a
 * transaction or not. drizzle compiles a query's SQL anew on every call — about half a millisecond a query on
 * this hardware, the largest single cost in the engine and outbound roles' CPU profiles (docs/performance.md,
 * fix 8) — and PostgreSQL parsed and planned each one anew too. A named statement is parsed and planned once
 * per pooled connection, and on PGlite once per instance (pglite-prepared.ts; in its own thread, pglite-thread.ts).
 *
 * drizzle's own `.prepare()` does this for a query on the pool but not inside a transaction, where the drain
 * runs; this reaches the transaction's client the same way drizzle's session does.
 *
 * A connection pooler in front of PostgreSQL must keep prepared statements per client (PgBouncer 1.21 or later
 * with `max_prepared_statements`, or session pooling).
 */
import { getTableColumns, type Table } from 'drizzle-orm';
import type { PGlite, Transaction } from '@electric-sql/pglite';
import type { DbOrTx } from './database';
import { runPreparedOnPglite } from './pglite-prepared';
import type { PgliteThreadClient } from './pglite-thread';

export interface NamedStatement {
  /** Unique per statement text: PostgreSQL refuses a name prepared on a connection with a different text. */
  readonly name: string;
  readonly text: string;
}

const registered = new Map<string, string>();

/** Declares a statement; a second declaration of the name with another text fails at load, not on a connection. */
export function namedStatement(name: string, text: string): NamedStatement {
  const full = `wasl_${name}`;
  const earlier = registered.get(full);
  if (earlier !== undefined && earlier !== text) throw new Error(`named statement ${full} is declared twice with different SQL`);
  registered.set(full, text);
  return { name: full, text };
}

interface DriverResult {
  rows: Record<string, unknown>[];
}
/** node-postgres's Pool or PoolClient: a query config with a name is prepared once per connection. */
interface PgQueryable {
  query(config: { name: string; text: string; values: unknown[] }): Promise<DriverResult>;
}
/** PGlite, or a PGlite transaction: `exec` is what tells it from node-postgres. */
interface PgliteQueryable {
  exec: unknown;
}

function clientOf(db: DbOrTx): PgQueryable | PgliteQueryable | PgliteThreadClient {
  // drizzle keeps the driver's client on the session of a database and of each transaction (node-postgres: the
  // pool or the transaction's PoolClient; PGlite: the instance or its transaction).
  const client = (db as unknown as { session?: { client?: unknown } }).session?.client;
  if (!client || typeof (client as { query?: unknown }).query !== 'function') {
    throw new Error('named statements need a drizzle node-postgres or PGlite database (no driver client found on its session)');
  }
  return client as PgQueryable | PgliteQueryable | PgliteThreadClient;
}

/** Every statement declared so far (the modules that declare them loaded): for the test that checks their plans. */
export function declaredStatements(): NamedStatement[] {
  return [...registered].map(([name, text]) => ({ name, text }));
}

/** Runs `statement` with `values` for $1, $2, …; rows come back as the driver parsed them (snake_case columns). */
export async function runNamed(db: DbOrTx, statement: NamedStatement, values: unknown[]): Promise<Record<string, unknown>[]> {
  const client = clientOf(db);
  try {
    if ('runNamed' in client) return await client.runNamed(statement, values);
    if ('exec' in client) return await runPreparedOnPglite(client as unknown as PGlite | Transaction, statement, values);
    return (await client.query({ name: statement.name, text: statement.text, values })).rows;
  } catch (err) {
    throw Object.assign(new Error(`statement ${statement.name} failed: ${(err as Error).message}`, { cause: err }), { statement: statement.name });
  }
}

/**
 * The table's columns as this build's schema knows them, for a statement's select list. Not `*`: a migration
 * adding a column while an older process still runs (a rolling upgrade) would change the result type of its
 * prepared statements, which PostgreSQL then refuses on that connection for good. `from` qualifies the columns
 * (a join); `prefix` renames them, so two tables' columns can share one row (read back with `rowOf`'s prefix).
 */
export function columnList(table: Table, opts: { from?: string; prefix?: string } = {}): string {
  return Object.values(getTableColumns(table))
    .map((c) => `${opts.from ? `${opts.from}.` : ''}"${c.name}"${opts.prefix ? ` as "${opts.prefix}${c.name}"` : ''}`)
    .join(', ');
}

/**
 * A row of a `columnList` select as drizzle would have returned it: JavaScript keys, values mapped by each
 * column (bigint ids to numbers, jsonb parsed, timestamps as Dates), whichever driver produced it.
 */
export function rowOf<T extends Table>(table: T, raw: Record<string, unknown>, prefix = ''): T['$inferSelect'] {
  const out: Record<string, unknown> = {};
  for (const [key, column] of Object.entries(getTableColumns(table))) {
    const value = raw[prefix + column.name];
    out[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
  }
  return out as T['$inferSelect'];
}
