/**
 * An in-memory PGlite database as Wasl opens it (store/database.ts: migrated, ready for named statements), with
 * its PGlite instance, for tests that speak to PGlite itself: EXPLAIN, SET, pg_prepared_statements.
 */
import type { PGlite } from '@electric-sql/pglite';
import { openMemoryPglite, type Database } from '../../src/store/database';

export async function openMemoryPgliteWithInstance(): Promise<{ database: Database; pg: PGlite }> {
  const database = await openMemoryPglite();
  // drizzle keeps the driver's client on its session, as store/named-statement.ts reads it.
  const pg = (database.db as unknown as { session: { client: PGlite } }).session.client;
  return { database, pg };
}
