/**
 * Opens the database Wasl runs on — PGlite in DATA_DIR when no DATABASE_URL is set (nothing to install), a
 * PostgreSQL server otherwise — and applies the migrations in `drizzle/`. Both drivers share one schema, one
 * migrations folder and one repository layer.
 */
import { mkdirSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { readyForNamedStatements } from './pglite-prepared';
import { PgliteThread } from './pglite-thread';
import { sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import { Pool } from 'pg';
import * as schema from './schema';

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;
/** A transaction handle; repositories accept either. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
export type DbOrTx = Db | Tx;

export interface Database {
  db: Db;
  kind: 'pglite' | 'postgres';
  /** PGlite in its own thread: how long that thread has worked, in seconds; at a rate near 1 it is the limit. */
  threadBusySeconds?: () => number;
  close(): Promise<void>;
}

export const migrationsFolder = path.join(__dirname, '..', '..', 'drizzle');

/** Arbitrary constant: the advisory lock that serialises migrations of several instances starting at once. */
const MIGRATION_LOCK = 7_411_001;

export async function openDatabase(opts: {
  databaseUrl?: string | undefined;
  dataDir: string;
  /** Told when PostgreSQL drops an idle pooled connection (a restart, a failover). */
  onConnectionLost?: (err: Error) => void;
  /** Told when the embedded database's thread stops while open: nothing more can be stored until a restart. */
  onEmbeddedDatabaseStopped?: (err: Error) => void;
}): Promise<Database> {
  if (opts.databaseUrl) return openPostgres(opts.databaseUrl, opts.onConnectionLost);
  return openPglite(path.join(opts.dataDir, 'pglite'), opts.onEmbeddedDatabaseStopped);
}

async function openPostgres(url: string, onConnectionLost?: (err: Error) => void): Promise<Database> {
  const pool = new Pool({ connectionString: url, max: 10 });
  // An idle pooled client whose server went away (restart, failover) emits 'error' on the pool; with no
  // listener that is an uncaught exception and the whole process dies. The pool drops that client and opens a
  // new one on the next query, so noting it is all there is to do.
  pool.on('error', (err) => onConnectionLost?.(err));
  const db = drizzlePg({ client: pool, schema });
  const client = await pool.connect();
  try {
    // drizzle's migrator takes no lock; two instances booting together must not both apply a migration.
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await migratePg(drizzlePg({ client, schema }), { migrationsFolder });
  } finally {
    await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    client.release();
  }
  return { db: db as unknown as Db, kind: 'postgres', close: () => pool.end() };
}

/**
 * PGlite in DATA_DIR, run in a thread of its own (pglite-thread.ts). PGlite keeps no lock on its directory: two
 * processes opening it silently lose writes (ENGINEERING.md §4.2). We hold our own lock file and refuse a
 * directory another live process holds.
 */
async function openPglite(dir: string, onStopped?: (err: Error) => void): Promise<Database> {
  mkdirSync(dir, { recursive: true });
  const release = acquireDirectoryLock(path.join(dir, '..', 'pglite.lock'));
  const thread = await PgliteThread.open(dir, onStopped).catch((err: unknown) => {
    release();
    throw new EmbeddedDatabaseUnreadableError(dir, err);
  });
  try {
    const db = drizzlePglite({ client: thread as unknown as PGlite, schema });
    await migratePglite(db, { migrationsFolder });
    return {
      db: db as unknown as Db,
      kind: 'pglite',
      threadBusySeconds: () => thread.busySeconds(),
      close: async () => {
        await thread.close();
        release();
      },
    };
  } catch (err) {
    // A migration failed: the thread would otherwise keep the process alive.
    await thread.close().catch(() => undefined);
    release();
    throw err;
  }
}

/** An in-memory PGlite, migrated; for tests and tools. */
export async function openMemoryPglite(): Promise<Database> {
  const client = await PGlite.create();
  await readyForNamedStatements(client);
  const db = drizzlePglite({ client, schema });
  await migratePglite(db, { migrationsFolder });
  return { db: db as unknown as Db, kind: 'pglite', close: () => client.close() };
}

export class DataDirectoryLockedError extends Error {
  constructor(readonly lockFile: string, readonly pid: number) {
    super(
      `the embedded database is in use by process ${pid} (lock ${lockFile}). PGlite allows one process only: ` +
        'stop the other Wasl, or set DATABASE_URL to a PostgreSQL server to run several processes.',
    );
    this.name = 'DataDirectoryLockedError';
  }
}

/**
 * PGlite could not open its directory. Its own errors name neither the directory nor a cause ("PGlite failed to
 * initialize properly", or a WebAssembly "Aborted()"); what causes them in practice is a directory damaged by a
 * power loss (PGlite never calls fsync) or a full disk, or one written by another PostgreSQL major version.
 */
export class EmbeddedDatabaseUnreadableError extends Error {
  constructor(readonly dir: string, cause: unknown) {
    super(
      `the embedded database in ${dir} could not be opened (PGlite: ${cause instanceof Error ? cause.message : String(cause)}). ` +
        'If the machine lost power or its disk filled, the directory may be damaged: restore the last backup into DATA_DIR ' +
        '(README, "Backup and restore"), or start on PostgreSQL with DATABASE_URL. The directory is left as it is.',
      { cause },
    );
    this.name = 'EmbeddedDatabaseUnreadableError';
  }
}

function acquireDirectoryLock(lockFile: string): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockFile, 'wx');
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(lockFile, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(readFileSync(lockFile, 'utf8').trim());
      if (pid && pid !== process.pid && isAlive(pid)) throw new DataDirectoryLockedError(lockFile, pid);
      // A lock left by a crashed process: take it over.
      rmSync(lockFile, { force: true });
    }
  }
  throw new Error(`could not take the lock ${lockFile}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Cheap liveness probe used by health checks. */
export async function pingDatabase(db: Db): Promise<void> {
  await db.execute(sql`select 1`);
}
