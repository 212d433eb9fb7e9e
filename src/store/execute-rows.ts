/**
 * The rows of a raw SQL statement. node-postgres and PGlite both answer `db.execute` with `{ rows }`, but
 * drizzle's type for a database of either driver does not say so; this says it once.
 */
import type { SQL } from 'drizzle-orm';
import type { DbOrTx } from './database';

export async function executeRows<T>(db: DbOrTx, query: SQL): Promise<T[]> {
  return ((await db.execute(query)) as unknown as { rows: T[] }).rows;
}
