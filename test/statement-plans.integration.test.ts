/**
 * The statements every message runs (store/named-statement.ts) find their rows through indexes, as PostgreSQL
 * plans them once a connection has run them a few times: the generic plan, with nothing known of the values.
 * A statement that reads a whole table costs nothing in a test with ten rows and everything at 10,000 contacts
 * (docs/performance.md, hot spot 7: the send path's scan of every queued reply); this catches one on a database
 * big enough for the planner to tell the two apart.
 */
import { Client } from 'pg';
import { declaredStatements } from '../src/store/named-statement';
import { openDatabase } from '../src/store/database';
// The modules whose statements are checked: they declare them when loaded.
import '../src/pipeline/drain-conversation';
import '../src/pipeline/send-outbound';
import '../src/pipeline/outbound-lease';
import '../src/pipeline/store-inbound-fast';
import '../src/pipeline/outbox';
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

describe('hot-path statements on a database of 20,000 conversations', () => {
  let drop: () => Promise<void>;
  let client: Client;

  beforeAll(async () => {
    const created = await createTestDatabase();
    drop = created.drop;
    const database = await openDatabase({ databaseUrl: created.url, dataDir: '/nonexistent' });
    await database.close();
    client = new Client({ connectionString: created.url });
    await client.connect();
    // Each conversation: three answered messages, three sent replies; one in ten has a message waiting and a
    // reply queued, as under load.
    await client.query(`
      insert into beneficiaries (id) select g from generate_series(1, 20000) g;
      insert into contacts (beneficiary_id, channel, channel_user_id, inbound_seq) select g, 'web', 'u' || g, 3 from generate_series(1, 20000) g;
      insert into conversations (contact_id, beneficiary_id, channel) select id, beneficiary_id, 'web' from contacts;
      insert into messages (conversation_id, direction, channel, seq, provider_message_id, author, text, status)
        select c.id, 'in', 'web', s, c.id || '-' || s, 'beneficiary', 'السلام عليكم', case when s = 3 and c.id % 10 = 0 then 'received' else 'processed' end
        from conversations c, generate_series(1, 3) s;
      insert into messages (conversation_id, direction, channel, author, text, status, provider_message_id)
        select c.id, 'out', 'web', 'bot', 'وعليكم السلام', case when s = 3 and c.id % 10 = 0 then 'queued' else 'sent' end,
               case when s = 3 and c.id % 10 = 0 then null else 'o' || c.id || '-' || s end
        from conversations c, generate_series(1, 3) s;
      analyze;
      set plan_cache_mode = force_generic_plan;`);
  }, 120_000);

  afterAll(async () => {
    await client?.end();
    await drop?.();
  });

  const statements = declaredStatements();

  it('checks the statements of ingest, drain, outbox and send', () => {
    expect(statements.map((s) => s.name)).toEqual(
      expect.arrayContaining(['wasl_drain_read_many', 'wasl_drain_finish_many', 'wasl_send_mark_sent_many', 'wasl_ingest_into_open_conversation_many']),
    );
  });

  it.each(statements.map((s) => [s.name, s] as const))('%s reads no big table whole', async (_name, statement) => {
    const params = Math.max(0, ...[...statement.text.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])));
    await client.query(`prepare ${statement.name} as ${statement.text}`);
    const r = await client.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
      `explain (format json) execute ${statement.name}(${Array.from({ length: params }, () => 'null').join(', ')})`,
    );
    expect(seqScans(r.rows[0]!['QUERY PLAN'][0].Plan)).toEqual([]);
  });
});
