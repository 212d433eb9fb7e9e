/**
 * store/planner-statistics.ts, on PostgreSQL and on PGlite: a statement prepared while the tables were empty
 * keeps a plan that reads them whole as they fill up, until their statistics change; the keeper's ANALYZE of a
 * table that grew makes the same prepared statement find its rows through an index again.
 */
import { Client } from 'pg';
import { openDatabase, type Database } from '../src/store/database';
import { refreshPlannerStatistics } from '../src/store/planner-statistics';
import { PGLITE_STATISTICS_TARGET } from '../src/store/pglite-autovacuum';
import { openMemoryPgliteWithInstance } from './support/memory-pglite';
import { createTestDatabase } from './support/postgres';

interface Subject {
  database: Database;
  /** Runs SQL on the connection the prepared statement lives on. */
  query(text: string): Promise<{ rows: Record<string, unknown>[] }>;
  statisticsTarget?: number;
  close(): Promise<void>;
}

async function onPostgres(): Promise<Subject> {
  const created = await createTestDatabase();
  const database = await openDatabase({ databaseUrl: created.url, dataDir: '/nonexistent' });
  const client = new Client({ connectionString: created.url });
  await client.connect();
  // The server's autovacuum, busy with the other test databases, may still reach this one within the test's
  // second and analyze the tables first (a CI run saw the index plan before the keeper ran): keep it out, as
  // the keeper is what is under test.
  await client.query('alter table contacts set (autovacuum_enabled = false); alter table beneficiaries set (autovacuum_enabled = false)');
  return {
    database,
    query: (text) => client.query(text),
    close: async () => {
      await client.end();
      await database.close();
      await created.drop();
    },
  };
}

async function onPglite(): Promise<Subject> {
  const { database, pg } = await openMemoryPgliteWithInstance();
  // exec, not query: the seed is several statements in one text.
  const query = async (text: string) => (await pg.exec(text)).at(-1) ?? { rows: [] };
  return { database, query, statisticsTarget: PGLITE_STATISTICS_TARGET, close: () => database.close() };
}

describe.each([
  ['PostgreSQL', onPostgres],
  ['PGlite', onPglite],
] as const)('planner statistics of the hot tables, on %s', (_kind, open) => {
  let subject: Subject;

  beforeAll(async () => {
    subject = await open();
  }, 60_000);

  afterAll(() => subject?.close());

  /** The scans the prepared `lookup` makes now, as this connection would run it. */
  async function scansOfLookup(): Promise<string[]> {
    const r = await subject.query(`explain execute lookup(array['web', 'web'], array['u1', 'u2'])`);
    return r.rows.map((row) => String(row['QUERY PLAN'])).join('\n').match(/Seq Scan on \w+|Index (Only )?Scan using \w+|Bitmap Heap Scan on \w+/g) ?? [];
  }

  /** Waits until the counters of what was just written can be read (a backend hands them over at most once a second). */
  async function countersFlushed(): Promise<void> {
    await subject.query('select pg_stat_force_next_flush()');
    await new Promise((r) => setTimeout(r, 1100));
    await subject.query('select 1');
  }

  it('replans a statement prepared on empty tables once they have grown', async () => {
    // As a named statement of the hot path is kept: prepared once, its generic plan reused.
    await subject.query('set plan_cache_mode = force_generic_plan');
    await subject.query(`prepare lookup(text[], text[]) as
      select c.id from unnest($1, $2) as i(channel, channel_user_id)
      join contacts c on c.channel = i.channel and c.channel_user_id = i.channel_user_id`);
    expect(await scansOfLookup()).toContain('Seq Scan on contacts');

    await subject.query(`
      insert into beneficiaries (id) select g from generate_series(1, 20000) g;
      insert into contacts (beneficiary_id, channel, channel_user_id) select g, 'web', 'u' || g from generate_series(1, 20000) g`);
    await countersFlushed();
    // Grown forty-fold, and still the plan of the empty table.
    expect(await scansOfLookup()).toContain('Seq Scan on contacts');

    expect(await refreshPlannerStatistics(subject.database.db, { statisticsTarget: subject.statisticsTarget })).toEqual(
      expect.arrayContaining(['contacts', 'beneficiaries']),
    );
    const scans = await scansOfLookup();
    expect(scans).not.toContain('Seq Scan on contacts');
    expect(scans).toEqual(['Index Scan using contacts_channel_user_uq']);
    // Sampled at the target asked for: a histogram of 20,000 distinct values has one bound more than the target.
    const bounds = await subject.query(
      `select array_length(histogram_bounds::text::text[], 1) as n from pg_stats where tablename = 'contacts' and attname = 'channel_user_id'`,
    );
    expect(Number(bounds.rows[0]!.n)).toBe((subject.statisticsTarget ?? 100) + 1);
  });

  it('leaves alone tables that were changed but did not grow', async () => {
    await refreshPlannerStatistics(subject.database.db);
    // Every row updated, as every message updates its contact: a plan made on 20,000 rows still fits 20,000.
    await subject.query(`update contacts set display_name = 'x'`);
    await subject.query(`insert into contacts (beneficiary_id, channel, channel_user_id) select g, 'web', 'v' || g from generate_series(1, 5000) g`);
    await countersFlushed();
    expect(await refreshPlannerStatistics(subject.database.db)).toEqual([]);
  });
});
