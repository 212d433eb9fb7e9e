import type { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import type { Database } from './database';
import { namedStatement, runNamed } from './named-statement';
import { vacuumWhereDue } from './pglite-autovacuum';
import { openMemoryPgliteWithInstance } from '../../test/support/memory-pglite';

const everyType = namedStatement(
  'test_prepared_types',
  `select $1::bigint[] as ids, $2::text as t, $3::timestamptz as at, $4::jsonb as j, $5::boolean as b, $6::int as missing,
     12345678901::bigint as big, array['a', 'b'] as words, null::text as nothing`,
);
const divide = namedStatement('test_prepared_divide', 'select 100 / $1::int as x');
const values = [[1, 2, 3], 'مرحبا "x" \\ \'y\'', new Date('2026-12-05T10:00:00Z'), JSON.stringify({ a: [1, { b: 'ي' }] }), true, null];

describe('named statements on PGlite, prepared once', () => {
  let database: Database;
  let pg: PGlite;
  beforeAll(async () => {
    ({ database, pg } = await openMemoryPgliteWithInstance());
  }, 60_000);
  afterAll(() => database?.close());

  it("reads rows exactly as PGlite's query() does, outside and inside a transaction", async () => {
    const expected = (await pg.query(everyType.text, values)).rows;
    expect(expected).toHaveLength(1);
    expect(await runNamed(database.db, everyType, values)).toEqual(expected);
    await database.db.transaction(async (tx) => {
      expect(await runNamed(tx, everyType, values)).toEqual(expected);
    });
    // Prepared under its name once, whoever asked.
    const prepared = await pg.query<{ name: string }>(`select name from pg_prepared_statements where name = $1`, [everyType.name]);
    expect(prepared.rows).toHaveLength(1);
  });

  it('waits for a transaction that is open instead of running inside it', async () => {
    const events: string[] = [];
    let inside!: () => void;
    const opened = new Promise<void>((resolve) => (inside = resolve));
    const transaction = database.db.transaction(async (tx) => {
      await tx.execute(sql`create temporary table scratch (n int)`);
      inside();
      await new Promise((r) => setTimeout(r, 150));
      events.push('transaction ends');
      throw new Error('roll back');
    });
    await opened;
    // Run inside the open transaction, the statement would see the temporary table; after its rollback it does not.
    const outside = runNamed(database.db, namedStatement('test_prepared_scratch', `select to_regclass('pg_temp.scratch') is not null as seen`), []).then((rows) => {
      events.push('outside runs');
      return rows;
    });
    await expect(transaction).rejects.toThrow('roll back');
    expect(await outside).toEqual([{ seen: false }]);
    expect(events).toEqual(['transaction ends', 'outside runs']);
  });

  const showPlans = async () => (await pg.query<{ plan_cache_mode: string }>('show plan_cache_mode')).rows[0]!.plan_cache_mode;

  it("runs on its generic plan, made once, while drizzle's queries keep being planned for their parameters", async () => {
    const byId = namedStatement('test_prepared_generic', `select c.id from contacts c where c.id = any($1::bigint[])`);
    for (let i = 0; i < 4; i++) await runNamed(database.db, byId, [[i]]);
    await database.db.transaction(async (tx) => {
      await runNamed(tx, byId, [[7]]);
    });
    const counts = await pg.query<{ generic_plans: number; custom_plans: number }>(
      'select generic_plans, custom_plans from pg_prepared_statements where name = $1',
      [byId.name],
    );
    expect(counts.rows).toEqual([{ generic_plans: 5, custom_plans: 0 }]);
    expect(await showPlans()).toBe('force_custom_plan');
  });

  it('leaves the plan setting as it was when a named statement fails, in a transaction or not', async () => {
    await expect(runNamed(database.db, divide, [0])).rejects.toThrow(/division by zero/);
    expect(await showPlans()).toBe('force_custom_plan');
    await expect(
      database.db.transaction(async (tx) => {
        await runNamed(tx, divide, [1]);
        await runNamed(tx, divide, [0]);
      }),
    ).rejects.toThrow(/division by zero/);
    expect(await showPlans()).toBe('force_custom_plan');
  });

  it('a lookup planned while its table was small takes the index once the table has grown and the autovacuum pass has run', async () => {
    const lookup = namedStatement(
      'test_prepared_lookup',
      `select c.id from unnest($1::text[], $2::text[]) as i(channel, channel_user_id)
       join contacts c on c.channel = i.channel and c.channel_user_id = i.channel_user_id`,
    );
    await pg.exec('analyze contacts');
    await runNamed(database.db, lookup, [['web'], ['nobody']]);
    const planNow = async () => {
      // EXPLAIN EXECUTE plans by the setting at the time; the named statement's own runs are generic.
      await pg.exec('set plan_cache_mode = force_generic_plan');
      try {
        const plan = await pg.query<{ 'QUERY PLAN': string }>(`explain execute ${lookup.name}('{web}', '{grown-1000005}')`);
        return plan.rows.map((r) => r['QUERY PLAN']).join('\n');
      } finally {
        await pg.exec('set plan_cache_mode = force_custom_plan');
      }
    };
    // Planned on an almost empty table, the lookup reads it whole: the risk a generic plan carries.
    expect(await planNow()).toContain('Seq Scan on contacts');
    await pg.exec(`insert into beneficiaries (id) select g from generate_series(1000001, 1020000) g;
      insert into contacts (beneficiary_id, channel, channel_user_id) select g, 'web', 'grown-' || g from generate_series(1000001, 1020000) g`);
    const pass = await vacuumWhereDue(database.db);
    expect([...pass.vacuumed, ...pass.analyzed]).toContain('contacts'); // a vacuumed table is analyzed after it
    expect(await runNamed(database.db, lookup, [['web'], ['grown-1000005']])).toHaveLength(1);
    const plan = await planNow();
    expect(plan).toContain('Index Scan using contacts_channel_user_uq');
    expect(plan).not.toContain('Seq Scan on contacts');
  });

  it('reports an error with the statement name and leaves the session usable, in and out of transactions', async () => {
    await expect(runNamed(database.db, divide, [0])).rejects.toThrow(/statement wasl_test_prepared_divide failed: division by zero/);
    expect(await runNamed(database.db, divide, [4])).toEqual([{ x: 25 }]);
    await expect(
      database.db.transaction(async (tx) => {
        await runNamed(tx, divide, [0]);
      }),
    ).rejects.toThrow(/division by zero/);
    expect(await runNamed(database.db, divide, [5])).toEqual([{ x: 20 }]);
  });
});
