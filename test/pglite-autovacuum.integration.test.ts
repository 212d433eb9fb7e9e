/**
 * store/pglite-autovacuum.ts: PGlite runs no autovacuum of its own, so the space of the row versions every
 * message leaves behind, and of the messages retention deletes, was never free again. The pass vacuums what
 * autovacuum's rules say is due, and the space is used again; Wasl on PGlite runs it by itself.
 */
import { sql } from 'drizzle-orm';
import { openMemoryPglite, type Database, type Db } from '../src/store/database';
import { executeRows } from '../src/store/execute-rows';
import { vacuumWhereDue } from '../src/store/pglite-autovacuum';
import { startTestWasl, type TestWasl } from './support/harness';

async function tableStats(db: Db, table: string): Promise<{ dead: number; pages: number }> {
  // The counters reach the statistics the query reads once the backend flushes them, which it may defer by up to
  // a second; force it.
  await db.execute(sql`select pg_stat_force_next_flush()`);
  const [row] = await executeRows<{ dead: number; pages: number }>(db, sql`
    select s.n_dead_tup::int as dead, (pg_relation_size(s.relid) / current_setting('block_size')::int)::int as pages
    from pg_stat_user_tables s where s.relname = ${table}`);
  return { dead: Number(row!.dead), pages: Number(row!.pages) };
}

async function seedContacts(db: Db, count: number): Promise<void> {
  await db.execute(sql`insert into beneficiaries (id) select g from generate_series(1, ${count}::int) g`);
  await db.execute(sql`insert into contacts (beneficiary_id, channel, channel_user_id) select g, 'web', 'u' || g from generate_series(1, ${count}::int) g`);
}

/**
 * `rounds` batches of `each` messages and their replies, living as they do in Wasl — received then processed,
 * queued then sent — with the retention job deleting all but the newest `keep`. Returns the size of the
 * messages table with its indexes after each round, in kB; `afterRound` runs at the end of every round.
 */
async function messagesUnderRetention(db: Db, opts: { rounds: number; each: number; keep: number; afterRound?: () => Promise<unknown> }): Promise<number[]> {
  await db.execute(sql`insert into beneficiaries (id) values (1)`);
  await db.execute(sql`insert into contacts (beneficiary_id, channel, channel_user_id) values (1, 'web', 'u1')`);
  await db.execute(sql`insert into conversations (contact_id, beneficiary_id, channel) values (1, 1, 'web')`);
  const sizes: number[] = [];
  for (let round = 0; round < opts.rounds; round++) {
    const [from, to] = [round * opts.each + 1, (round + 1) * opts.each];
    await db.execute(sql`insert into messages (conversation_id, direction, channel, seq, provider_message_id, author, text, status)
      select 1, 'in', 'web', g, 'p' || g, 'beneficiary', 'متى موعد صرف المساعدة الشهرية؟ ' || g, 'received' from generate_series(${from}::int, ${to}::int) g`);
    await db.execute(sql`update messages set status = 'processed', processed_at = now() where direction = 'in' and status = 'received'`);
    await db.execute(sql`insert into messages (conversation_id, direction, channel, author, text, status)
      select 1, 'out', 'web', 'bot', 'يصرف الدعم في الأسبوع الأول من كل شهر ' || g, 'queued' from generate_series(${from}::int, ${to}::int) g`);
    await db.execute(sql`update messages set status = 'sent', sent_at = now(), provider_message_id = 'o' || id where direction = 'out' and status = 'queued'`);
    await db.execute(sql`delete from messages where id <= (select max(id) from messages) - ${opts.keep}::int`);
    await opts.afterRound?.();
    const [row] = await executeRows<{ bytes: number }>(db, sql`select pg_total_relation_size('messages')::int as bytes`);
    sizes.push(Number(row!.bytes) / 1024);
  }
  return sizes;
}

describe('vacuuming the embedded database', () => {
  let database: Database;

  beforeEach(async () => {
    database = await openMemoryPglite();
  });
  afterEach(async () => {
    await database.close();
  });

  it('without it, the messages table grows without end though retention deletes as much as arrives', async () => {
    const sizes = await messagesUnderRetention(database.db, { rounds: 16, each: 500, keep: 4_000 });
    // From round 8 the table holds the same 4,000 live messages; its size doubles all the same.
    expect(sizes[15]!).toBeGreaterThan(sizes[7]! * 1.6);
  });

  it('with a pass after each round, the messages table levels off', async () => {
    const passes: string[][] = [];
    const sizes = await messagesUnderRetention(database.db, {
      rounds: 16,
      each: 500,
      keep: 4_000,
      afterRound: async () => passes.push((await vacuumWhereDue(database.db)).vacuumed),
    });
    expect(passes.flat()).toContain('messages');
    expect(sizes[15]!).toBeLessThanOrEqual(sizes[7]! * 1.2);
    expect((await tableStats(database.db, 'messages')).dead).toBe(0);
  });

  it('vacuums a table whose dead rows pass the threshold, leaving no dead row behind', async () => {
    await seedContacts(database.db, 2_000);
    await vacuumWhereDue(database.db); // the seed's inserts
    await database.db.execute(sql`update contacts set verified_mobile = '9665' || id`); // an indexed column: no HOT update
    expect((await tableStats(database.db, 'contacts')).dead).toBe(2_000);
    expect((await vacuumWhereDue(database.db)).vacuumed).toEqual(['contacts']);
    expect((await tableStats(database.db, 'contacts')).dead).toBe(0);
    // Analyzed after it, at the pass's statistics target (20): a histogram of 2,000 distinct ids has 21 bounds,
    // where a server's default (100) would give it 101.
    const [row] = await executeRows<{ bounds: number }>(database.db, sql`
      select array_length(histogram_bounds::text::text[], 1) as bounds from pg_stats where tablename = 'contacts' and attname = 'channel_user_id'`);
    expect(row!.bounds).toBe(21);
  });

  it('leaves alone a table whose changes are below the thresholds, and analyzes one whose changes are not', async () => {
    await seedContacts(database.db, 2_000);
    await vacuumWhereDue(database.db);
    // 100 of 2,000 rows changed: under vacuum's 50 + 20 % and analyze's 50 + 10 %.
    await database.db.execute(sql`update contacts set display_name = 'x' where id <= 100`);
    expect(await vacuumWhereDue(database.db)).toEqual({ vacuumed: [], analyzed: [] });
    // 300 inserted: past analyze's 250, not past vacuum's insert threshold (1,000 + 20 %).
    await database.db.execute(sql`insert into beneficiaries (id) select g from generate_series(2001, 2300) g`);
    expect(await vacuumWhereDue(database.db)).toEqual({ vacuumed: [], analyzed: ['beneficiaries'] });
  });
});

describe('Wasl on PGlite', () => {
  let wasl: TestWasl;

  afterEach(async () => {
    await wasl?.stop();
  });

  it('vacuums its database by itself', async () => {
    wasl = await startTestWasl({ db: 'pglite', options: { pgliteHousekeeping: { everyMs: 200 } } });
    const db = wasl.database.db;
    await seedContacts(db, 500);
    await db.execute(sql`update contacts set verified_mobile = '9665' || id`);
    const vacuums = async () => {
      const [row] = await executeRows<{ n: number }>(db, sql`select vacuum_count::int as n from pg_stat_user_tables where relname = 'contacts'`);
      return Number(row!.n);
    };
    const deadline = Date.now() + 20_000;
    while ((await vacuums()) === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await vacuums()).toBeGreaterThan(0);
    expect((await tableStats(db, 'contacts')).dead).toBe(0);
  });
});
