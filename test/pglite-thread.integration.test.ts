/**
 * PGlite in its own thread (src/store/pglite-thread.ts): what Wasl opens in DATA_DIR behaves as the PGlite
 * instance did — transactions commit, roll back and nest, a transaction holds the one session while others wait,
 * PostgreSQL's errors keep their codes, values cross intact — while the process's own thread stays free during a
 * statement, its work is on /metrics, and a thread that stops fails its callers instead of leaving them
 * waiting, and says so.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { openDatabase, type Database } from '../src/store/database';
import { executeRows } from '../src/store/execute-rows';
import { namedStatement, runNamed } from '../src/store/named-statement';
import { DatabaseThreadExitedError, PgliteThread } from '../src/store/pglite-thread';
import { startTestWasl, type TestWasl } from './support/harness';

const PROBE_ROW = namedStatement('test_thread_probe_row', 'select note, at, bytes, doc from thread_probe where id = $1');

describe('PGlite in its own thread', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'wasl-pglite-thread-'));
  let database: Database;

  beforeAll(async () => {
    database = await openDatabase({ dataDir });
    await database.db.execute(sql`create table thread_probe (id int primary key, note text, at timestamptz, bytes bytea, doc jsonb)`);
  });
  afterAll(async () => {
    await database?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const notes = async () => (await executeRows<{ id: number; note: string }>(database.db, sql`select id, note from thread_probe order by id`)).map((r) => `${r.id}:${r.note}`);

  it('commits a transaction, rolls one back when its callback throws, and nests savepoints', async () => {
    const { db } = database;
    await db.transaction(async (tx) => {
      await tx.execute(sql`insert into thread_probe (id, note) values (1, 'committed')`);
    });
    await expect(
      db.transaction(async (tx) => {
        await tx.execute(sql`insert into thread_probe (id, note) values (2, 'rolled back')`);
        throw new Error('the caller gives up');
      }),
    ).rejects.toThrow('the caller gives up');
    await db.transaction(async (tx) => {
      await tx.execute(sql`insert into thread_probe (id, note) values (3, 'outer')`);
      await expect(
        tx.transaction(async (inner) => {
          await inner.execute(sql`insert into thread_probe (id, note) values (4, 'inner, rolled back')`);
          throw new Error('inner gives up');
        }),
      ).rejects.toThrow('inner gives up');
      await tx.transaction(async (inner) => {
        await inner.execute(sql`insert into thread_probe (id, note) values (5, 'inner, kept')`);
      });
    });
    expect(await notes()).toEqual(['1:committed', '3:outer', '5:inner, kept']);
  });

  it("keeps PostgreSQL's error code and message, and the session usable after the failure", async () => {
    const failure = await database.db.execute(sql`insert into thread_probe (id, note) values (1, 'again')`).catch((err: unknown) => err);
    const cause = (failure as { cause?: { code?: string; message?: string } }).cause;
    expect(cause?.code).toBe('23505');
    expect(cause?.message).toMatch(/duplicate key value violates unique constraint "thread_probe_pkey"/);
    // A failed statement inside a transaction aborts it; COMMIT then fails, and nothing of it is kept.
    await expect(
      database.db.transaction(async (tx) => {
        await tx.execute(sql`insert into thread_probe (id, note) values (6, 'before the failure')`);
        await tx.execute(sql`insert into thread_probe (id, note) values (1, 'duplicate')`).catch(() => undefined);
      }),
    ).rejects.toThrow();
    expect(await notes()).toEqual(['1:committed', '3:outer', '5:inner, kept']);
  });

  it('makes others wait while a transaction holds the session, as PGlite itself does', async () => {
    const { db } = database;
    const order: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    const transaction = db.transaction(async (tx) => {
      await tx.execute(sql`insert into thread_probe (id, note) values (7, 'in the held transaction')`);
      entered();
      await held;
      order.push('commit');
    });
    await inside;
    const outside = executeRows<{ n: number }>(db, sql`select count(*)::int as n from thread_probe where id = 7`).then((rows) => {
      order.push('outside read');
      return rows[0]!.n;
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(order).toEqual([]);
    release();
    await transaction;
    // The read waited for the transaction and so sees its row.
    expect(await outside).toBe(1);
    expect(order).toEqual(['commit', 'outside read']);
  });

  it('carries dates, bytes, JSON and Arabic text across the thread intact', async () => {
    const at = new Date('2026-12-05T21:30:00.123Z');
    const bytes = Buffer.from([0, 1, 2, 250, 255]);
    const doc = { name: 'نورة', nested: { list: [1, 'ب', null] } };
    await database.db.execute(sql`insert into thread_probe (id, note, at, bytes, doc) values (8, ${'‏مرحبا‎ 😀'}, ${at.toISOString()}, ${bytes}, ${JSON.stringify(doc)}::jsonb)`);
    // A named statement: its rows are parsed by PGlite's own parsers, in the database's thread (drizzle's raw
    // queries keep dates as text).
    const [row] = (await runNamed(database.db, PROBE_ROW, [8])) as { note: string; at: Date; bytes: Uint8Array; doc: unknown }[];
    expect(row!.note).toBe('‏مرحبا‎ 😀');
    expect(row!.at).toBeInstanceOf(Date);
    expect(row!.at.getTime()).toBe(at.getTime());
    expect(Buffer.from(row!.bytes)).toEqual(bytes);
    expect(row!.doc).toEqual(doc);
  });

  it("leaves the process's own thread free while a statement runs", async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 20);
    try {
      await database.db.execute(sql`select pg_sleep(0.6)`);
    } finally {
      clearInterval(timer);
    }
    // In the caller's thread, PGlite would have held it for the whole 600 ms: no tick could run.
    expect(ticks).toBeGreaterThanOrEqual(5);
  });
});

describe("the database thread's work on /metrics", () => {
  /** The counter as Wasl's /metrics reports it; undefined when it is not reported. */
  const busy = async (wasl: TestWasl) => {
    const text = await (await fetch(`${wasl.url}/metrics`)).text();
    const value = /^wasl_database_thread_busy_seconds_total ([\d.]+)$/m.exec(text)?.[1];
    return value === undefined ? undefined : Number(value);
  };

  it('on PGlite, grows with the work the thread does', async () => {
    const wasl = await startTestWasl({ db: 'pglite' });
    try {
      const before = (await busy(wasl))!;
      expect(before).toBeGreaterThan(0); // opening and migrating the database
      await wasl.database.db.execute(sql`select pg_sleep(0.3)`);
      expect((await busy(wasl))! - before).toBeGreaterThanOrEqual(0.25);
    } finally {
      await wasl.stop();
    }
  });

  it("on PostgreSQL, is not reported: its work is the server's, in processes of its own", async () => {
    const wasl = await startTestWasl({ db: 'postgres' });
    try {
      expect(await busy(wasl)).toBeUndefined();
    } finally {
      await wasl.stop();
    }
  });
});

describe('a PGlite thread that stops', () => {
  it('fails the calls waiting on it and every later one, naming what happened, and says so once', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'wasl-pglite-thread-stop-'));
    const stopped: Error[] = [];
    const thread = await PgliteThread.open(dir, (err) => stopped.push(err));
    try {
      const waiting = thread.query('select pg_sleep(5)');
      // What a WebAssembly abort or an out-of-memory does to the thread, from the process's side.
      await (thread as unknown as { channel: { worker: { terminate(): Promise<number> } } }).channel.worker.terminate();
      await expect(waiting).rejects.toBeInstanceOf(DatabaseThreadExitedError);
      await expect(thread.query('select 1')).rejects.toThrow(/the embedded database's thread stopped/);
      expect(stopped).toHaveLength(1);
      expect(stopped[0]).toBeInstanceOf(DatabaseThreadExitedError);
      await thread.close();
      expect(stopped).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is not reported as stopped when it is closed', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'wasl-pglite-thread-close-'));
    const stopped: Error[] = [];
    const thread = await PgliteThread.open(dir, (err) => stopped.push(err));
    try {
      await thread.query('select 1');
      await thread.close();
      await expect(thread.query('select 1')).rejects.toBeInstanceOf(DatabaseThreadExitedError);
      expect(stopped).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
