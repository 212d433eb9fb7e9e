/**
 * The statements every message runs (store/named-statement.ts) find their rows through indexes, as PostgreSQL
 * plans them once a connection has run them a few times, and as PGlite runs them always
 * (store/pglite-prepared.ts): the generic plan, with nothing known of the values. A statement that reads a whole
 * table costs nothing in a test with ten rows and everything at 10,000 contacts (docs/performance.md, hot spot 7:
 * the send path's scan of every queued reply); this catches one on a database big enough for the planner to tell
 * the two apart.
 */
import type { PGlite } from '@electric-sql/pglite';
import { Client } from 'pg';
import { declaredStatements, type NamedStatement } from '../src/store/named-statement';
import { openDatabase, type Database } from '../src/store/database';
import { refreshPlannerStatistics } from '../src/store/planner-statistics';
import { PGLITE_STATISTICS_TARGET } from '../src/store/pglite-autovacuum';
// The modules whose statements are checked: they declare them when loaded.
import '../src/pipeline/drain-conversation';
import '../src/pipeline/send-outbound';
import '../src/pipeline/outbound-lease';
import '../src/pipeline/store-inbound-fast';
import '../src/pipeline/outbox';
import { openMemoryPgliteWithInstance } from './support/memory-pglite';
import { createTestDatabase } from './support/postgres';

/** The tables that grow with every beneficiary and message. */
const BIG_TABLES = ['messages', 'contacts', 'conversations', 'beneficiaries'];

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  Plans?: PlanNode[];
}

function seqScans(node: PlanNode): string[] {
  const own = node['Node Type'] === 'Seq Scan' && node['Relation Name'] && BIG_TABLES.includes(node['Relation Name']) ? [node['Relation Name']] : [];
  return [...own, ...(node.Plans ?? []).flatMap(seqScans)];
}

// Each conversation: three answered messages, three sent replies; one in ten has a message waiting and a reply
// queued, as under load.
const SEED_ROWS = `
  insert into beneficiaries (id) select g from generate_series(1, 20000) g;
  insert into contacts (beneficiary_id, channel, channel_user_id, inbound_seq) select g, 'web', 'u' || g, 3 from generate_series(1, 20000) g;
  insert into conversations (contact_id, beneficiary_id, channel) select id, beneficiary_id, 'web' from contacts;
  insert into messages (conversation_id, direction, channel, seq, provider_message_id, author, text, status)
    select c.id, 'in', 'web', s, c.id || '-' || s, 'beneficiary', 'السلام عليكم', case when s = 3 and c.id % 10 = 0 then 'received' else 'processed' end
    from conversations c, generate_series(1, 3) s;
  insert into messages (conversation_id, direction, channel, author, text, status, provider_message_id)
    select c.id, 'out', 'web', 'bot', 'وعليكم السلام', case when s = 3 and c.id % 10 = 0 then 'queued' else 'sent' end,
           case when s = 3 and c.id % 10 = 0 then null else 'o' || c.id || '-' || s end
    from conversations c, generate_series(1, 3) s;`;
const SEED = `${SEED_ROWS}
  analyze;
  set plan_cache_mode = force_generic_plan;`;

const paramCount = (statement: NamedStatement) => Math.max(0, ...[...statement.text.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])));

type Query = (text: string) => Promise<{ rows: unknown[] }>;

/**
 * The plan `statement` runs on now, prepared as `plan_<name>` with SQL's PREPARE (so the driver's own prepared
 * statement stays apart), on a connection set to force_generic_plan: its generic plan, kept until a table's
 * statistics change.
 */
async function preparedPlan(query: Query, statement: NamedStatement): Promise<PlanNode> {
  const r = await query(`explain (format json) execute plan_${statement.name}(${Array.from({ length: paramCount(statement) }, () => 'null').join(', ')})`);
  const plan = (r.rows[0] as { 'QUERY PLAN': [{ Plan: PlanNode }] | string })['QUERY PLAN'];
  // node-postgres parses the json column; PGlite may hand back its text.
  return (typeof plan === 'string' ? (JSON.parse(plan) as [{ Plan: PlanNode }]) : plan)[0].Plan;
}

/** Prepares `statement` as `plan_<name>` and gives its generic plan (`preparedPlan`). */
async function genericPlan(query: Query, statement: NamedStatement): Promise<PlanNode> {
  await query(`prepare plan_${statement.name} as ${statement.text}`);
  return preparedPlan(query, statement);
}

const statements = declaredStatements();

describe('hot-path statements on a PostgreSQL database of 20,000 conversations', () => {
  let drop: () => Promise<void>;
  let client: Client;

  beforeAll(async () => {
    const created = await createTestDatabase();
    drop = created.drop;
    const database = await openDatabase({ databaseUrl: created.url, dataDir: '/nonexistent' });
    await database.close();
    client = new Client({ connectionString: created.url });
    await client.connect();
    await client.query(SEED);
  }, 120_000);

  afterAll(async () => {
    await client?.end();
    await drop?.();
  });

  it('checks the statements of ingest, drain, outbox and send', () => {
    expect(statements.map((s) => s.name)).toEqual(
      expect.arrayContaining(['wasl_drain_read_many', 'wasl_drain_finish_many', 'wasl_send_mark_sent_many', 'wasl_ingest_into_open_conversation_many']),
    );
  });

  it.each(statements.map((s) => [s.name, s] as const))('%s reads no big table whole', async (_name, statement) => {
    expect(seqScans(await genericPlan((text) => client.query(text), statement))).toEqual([]);
  });
});

describe('hot-path statements on a PGlite database of 20,000 conversations', () => {
  let database: Database;
  let pg: PGlite;

  beforeAll(async () => {
    ({ database, pg } = await openMemoryPgliteWithInstance());
    await pg.exec(SEED);
  }, 120_000);

  afterAll(() => database?.close());

  it.each(statements.map((s) => [s.name, s] as const))('%s reads no big table whole', async (_name, statement) => {
    expect(seqScans(await genericPlan((text) => pg.query(text), statement))).toEqual([]);
  });
});

// A new deployment's first statements are planned before any table has been analyzed, and PGlite keeps the plans
// they make — reading the tables whole, cheapest while they are empty — until a table's statistics change. The
// keeper of planner statistics (store/planner-statistics.ts) analyzes the tables as they grow, and the same
// statements then take the indexes.
describe('hot-path statements planned on a new, empty PGlite database', () => {
  let database: Database;
  let pg: PGlite;
  let plannedEmpty: string[];

  beforeAll(async () => {
    ({ database, pg } = await openMemoryPgliteWithInstance());
    await pg.exec('set plan_cache_mode = force_generic_plan');
    plannedEmpty = [];
    for (const statement of statements) plannedEmpty.push(...seqScans(await genericPlan((text) => pg.query(text), statement)));
    await pg.exec(SEED_ROWS);
    await refreshPlannerStatistics(database.db, { statisticsTarget: PGLITE_STATISTICS_TARGET });
  }, 120_000);

  afterAll(() => database?.close());

  it('read the tables whole while they were empty', () => {
    expect(plannedEmpty).toEqual(expect.arrayContaining(['messages', 'contacts']));
  });

  it.each(statements.map((s) => [s.name, s] as const))('%s reads no big table whole once the keeper has analyzed the grown tables', async (_name, statement) => {
    expect(seqScans(await preparedPlan((text) => pg.query(text), statement))).toEqual([]);
  });
});
