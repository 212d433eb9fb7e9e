/**
 * store/pglite-checkpointer.ts: PGlite takes no checkpoint of its own while open, so its write-ahead log only
 * grows and a crash replays all of it. The checkpointer takes one when the policy says, and the log behind it is
 * recycled.
 */
import { sql } from 'drizzle-orm';
import { Redis } from 'ioredis';
import { metrics } from '../src/observability/probes';
import { openMemoryPglite, type Database, type Db } from '../src/store/database';
import { executeRows } from '../src/store/execute-rows';
import { checkpointIfDue, checkpointPolicy } from '../src/store/pglite-checkpointer';
import { startTestWasl, waitFor, type TestWasl } from './support/harness';

const MB = 1024 * 1024;

async function lastCheckpoint(db: Db): Promise<{ redo: string; at: Date }> {
  const [row] = await executeRows<{ redo: string; at: string | Date }>(db, sql`select redo_lsn::text as redo, checkpoint_time as at from pg_control_checkpoint()`);
  return { redo: row!.redo, at: new Date(row!.at) };
}

async function walOnDisk(db: Db): Promise<number> {
  const [row] = await executeRows<{ bytes: number }>(db, sql`select coalesce(sum(size), 0)::float8 as bytes from pg_ls_waldir()`);
  return Number(row!.bytes);
}

/** About `mb` megabytes of log: rows written and deleted again. */
async function writeLog(db: Db, mb: number): Promise<void> {
  await db.execute(sql`create table if not exists scratch (id int, s text)`);
  for (let i = 0; i < mb; i++) {
    await db.execute(sql`insert into scratch select g, repeat('x', 500) from generate_series(1, 1500) g`);
    await db.execute(sql`delete from scratch`);
  }
}

describe('checkpoints of the embedded database', () => {
  let database: Database;

  beforeEach(async () => {
    database = await openMemoryPglite();
  });
  afterEach(async () => {
    await database.close();
  });

  it('reads its policy from the settings: checkpoint_timeout, half of max_wal_size', async () => {
    expect(await checkpointPolicy(database.db)).toEqual({ afterS: 300, afterWalBytes: 512 * MB });
  });

  it('without it, PGlite keeps the checkpoint it started with, and its log grows with every write', async () => {
    const before = await lastCheckpoint(database.db);
    const wal = await walOnDisk(database.db);
    await writeLog(database.db, 100);
    expect(await lastCheckpoint(database.db)).toEqual(before);
    expect(await walOnDisk(database.db)).toBeGreaterThan(wal + 80 * MB);
  });

  it('checkpoints once the timeout has passed since the last one and something was written', async () => {
    const policy = { afterS: 300, afterWalBytes: 512 * MB };
    const start = await lastCheckpoint(database.db);
    await writeLog(database.db, 1);
    expect(await checkpointIfDue(database.db, policy, new Date(start.at.getTime() + 200_000))).toBeNull();
    expect(await lastCheckpoint(database.db)).toEqual(start);

    const covered = await checkpointIfDue(database.db, policy, new Date(start.at.getTime() + 301_000));
    expect(covered).toBeGreaterThan(0.5 * MB);
    const taken = await lastCheckpoint(database.db);
    expect(taken.redo).not.toBe(start.redo);
    // Nothing written since: not due again, however long ago.
    expect(await checkpointIfDue(database.db, policy, new Date(taken.at.getTime() + 3_600_000))).toBeNull();
  });

  it('checkpoints once the log since the last one reaches the size, and the log on disk stays level', async () => {
    const policy = { afterS: 3_600, afterWalBytes: 16 * MB };
    const taken: number[] = [];
    for (let round = 0; round < 10; round++) {
      await writeLog(database.db, 20);
      const covered = await checkpointIfDue(database.db, policy);
      if (covered !== null) taken.push(covered);
    }
    expect(taken).toHaveLength(10);
    expect(taken.every((bytes) => bytes >= 16 * MB)).toBe(true);
    // 200 MB written; what is kept is PostgreSQL's min_wal_size (80 MB) and about a checkpoint's distance.
    expect(await walOnDisk(database.db)).toBeLessThan(120 * MB);
  });

  it('reports the log on disk on /metrics, where an operator can alert on it', async () => {
    await writeLog(database.db, 20);
    const redis = new Redis(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');
    try {
      const text = await metrics({ db: database.db, redis, queues: [], channels: new Map() });
      expect(Number(/^wasl_database_wal_bytes (\d+)$/m.exec(text)?.[1])).toBe(await walOnDisk(database.db));
      expect(text).toMatch(/^wasl_database_bytes [1-9]\d*$/m);
    } finally {
      redis.disconnect();
    }
  });
});

describe('Wasl on PGlite', () => {
  let wasl: TestWasl | undefined;
  afterEach(async () => {
    await wasl?.stop();
  });

  it('takes its checkpoints by itself', async () => {
    wasl = await startTestWasl({ db: 'pglite', options: { pgliteHousekeeping: { everyMs: 200, checkpoint: { afterS: 3_600, afterWalBytes: 2 * MB } } } });
    const db = wasl.database.db;
    const start = await lastCheckpoint(db);
    await writeLog(db, 4);
    await waitFor('a checkpoint', async () => (await lastCheckpoint(db)).redo !== start.redo, 20_000);
  });
});
