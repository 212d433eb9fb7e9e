/**
 * store/planner-statistics.ts on PostgreSQL: a statement prepared while the tables were empty keeps a plan that
 * reads them whole as they fill up, until their statistics change; the keeper's ANALYZE of a table that grew
 * makes the same prepared statement find its rows through an index again.
 */
import { Client } from 'pg';
import { openDatabase, type Database } from '../src/store/database';
import { refreshPlannerStatistics } from '../src/store/planner-statistics';
import { createTestDatabase } from './support/postgres';

describe('planner statistics of the hot tables', () => {
  let drop: () => Promise<void>;
  let database: Database;
  let client: Client;

  beforeAll(async () => {
    const created = await createTestDatabase();
    drop = created.drop;
    database = await openDatabase({ databaseUrl: created.url, dataDir: '/nonexistent' });
    client = new Client({ connectionString: created.url });
    await client.connect();
    // The server's autovacuum, busy with the other test databases, may still reach this one within the test's
    // second and analyze the tables first (a CI run saw the index plan before the keeper ran): keep it out, as
    // the keeper is what is under test.
    await client.query('alter table contacts set (autovacuum_enabled = false); alter table beneficiaries set (autovacuum_enabled = false)');
  });

  afterAll(async () => {
    await client?.end();
    await database?.close();
    await drop?.();
  });

  /** The scans the prepared `lookup` makes now, as this connection would run it. */
  async function scansOfLookup(): Promise<string[]> {
    const r = await client.query<{ 'QUERY PLAN': string }>(`explain execute lookup(array['web', 'web'], array['u1', 'u2'])`);
    return r.rows.map((row) => row['QUERY PLAN']).join('\n').match(/Seq Scan on \w+|Index (Only )?Scan using \w+|Bitmap Heap Scan on \w+/g) ?? [];
  }

  it('replans a statement prepared on empty tables once they have grown', async () => {
    // As a named statement of the hot path is kept: prepared once, its generic plan reused.
    await client.query('set plan_cache_mode = force_generic_plan');
    await client.query(`prepare lookup(text[], text[]) as
      select c.id from unnest($1, $2) as i(channel, channel_user_id)
      join contacts c on c.channel = i.channel and c.channel_user_id = i.channel_user_id`);
    expect(await scansOfLookup()).toContain('Seq Scan on contacts');

    await client.query(`
      insert into beneficiaries (id) select g from generate_series(1, 20000) g;
      insert into contacts (beneficiary_id, channel, channel_user_id) select g, 'web', 'u' || g from generate_series(1, 20000) g`);
    // The counters the keeper reads reach the shared statistics at the end of a transaction, at most once a second.
    await client.query('select pg_stat_force_next_flush()');
    await new Promise((r) => setTimeout(r, 1100));
    await client.query('select 1');
    // Grown forty-fold, and still the plan of the empty table.
    expect(await scansOfLookup()).toContain('Seq Scan on contacts');

    expect(await refreshPlannerStatistics(database.db)).toEqual(expect.arrayContaining(['contacts', 'beneficiaries']));
    const scans = await scansOfLookup();
    expect(scans).not.toContain('Seq Scan on contacts');
    expect(scans).toEqual(['Index Scan using contacts_channel_user_uq']);
  });

  it('leaves alone tables that were changed but did not grow', async () => {
    await refreshPlannerStatistics(database.db);
    // Every row updated, as every message updates its contact: a plan made on 20,000 rows still fits 20,000.
    await client.query(`update contacts set display_name = 'x'`);
    await client.query(`insert into contacts (beneficiary_id, channel, channel_user_id) select g, 'web', 'v' || g from generate_series(1, 5000) g`);
    await client.query('select pg_stat_force_next_flush()');
    await new Promise((r) => setTimeout(r, 1100));
    await client.query('select 1');
    expect(await refreshPlannerStatistics(database.db)).toEqual([]);
  });
});
