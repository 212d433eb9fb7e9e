/**
 * Named statements on PGlite, parsed and planned once per instance. PGlite's `query()` parses and plans its SQL
 * on every call and talks to the backend in six protocol exchanges (parse, describe, bind, describe, execute,
 * sync). Here a statement is prepared under its name on first use, with its parameter and result types kept,
 * and each call is one exchange: bind, execute, sync — planned anew each time (see `readyForNamedStatements`).
 *
 * PGlite has one backend session, so a prepared statement serves every caller, in a transaction or not — and
 * survives a rolled-back transaction, as prepared statements do in PostgreSQL. PGlite's `execProtocol` takes
 * none of the locks `query()` takes, so this takes them as `query()` does: outside a transaction both PGlite's
 * transaction and query locks (a call must not land inside another caller's open transaction), inside one the
 * query lock only. Parameters are serialised and results parsed with PGlite's own serializers and parsers, so a
 * row reads exactly as `query()` would return it.
 */
import { PGlite, types, type Transaction } from '@electric-sql/pglite';
import { serialize } from 'pg-protocol';
import type { NamedStatement } from './named-statement';

/** PGlite's lock helpers: not in its typings, but what its own `query()` and `transaction()` run under. */
interface PgliteLocks {
  _runExclusiveQuery<T>(fn: () => Promise<T>): Promise<T>;
  _runExclusiveTransaction<T>(fn: () => Promise<T>): Promise<T>;
}

/** What a PGlite backend message carries that is read here (PGlite parses the wire format into these). */
interface BackendMessage {
  name: string;
  dataTypeIDs?: number[];
  fields?: ({ name: string; dataTypeID: number } | string | null)[];
}

interface Prepared {
  paramTypes: number[];
  fields: { name: string; dataTypeID: number }[];
}

/** The PGlite instance a transaction object belongs to: PGlite's transaction object has no way back to it. */
const ROOT = Symbol('wasl.pglite-root');
const preparedByInstance = new WeakMap<PGlite, Map<string, Prepared>>();

/**
 * Readies `pg` for named statements. Its transactions learn their instance, so a named statement run inside one
 * can be prepared and executed on it (without this, a transaction's named statements fall back to `query()`).
 * And every execution is planned for its own parameters and the tables as they are now: PostgreSQL would
 * otherwise keep, after five runs, a generic plan made while the tables were small, until an ANALYZE replaced it
 * — on PGlite only the autovacuum pass's (store/pglite-autovacuum.ts), at a tenth of a table changed, slower to
 * follow a new deployment's growth than store/planner-statistics.ts is on PostgreSQL. A contact lookup prepared
 * on an empty database read 20,000 contacts whole, 3.0 ms, where a fresh plan takes the index, 0.17 ms. What is
 * saved is the parse and the protocol exchanges, not the planning (generic plans, tried, were within the load
 * benchmark's noise: 89.5 and 90.7 msg/s against 87.2).
 */
export async function readyForNamedStatements(pg: PGlite): Promise<void> {
  await pg.exec('set plan_cache_mode = force_custom_plan');
  const transaction = pg.transaction.bind(pg);
  pg.transaction = ((callback: (tx: Transaction) => Promise<unknown>) =>
    transaction((tx) => {
      Object.defineProperty(tx, ROOT, { value: pg });
      return callback(tx);
    })) as PGlite['transaction'];
}

/** Runs `statement` on PGlite (the instance, or one of its transactions); rows as PGlite's `query()` returns them. */
export async function runPreparedOnPglite(client: PGlite | Transaction, statement: NamedStatement, values: unknown[]): Promise<Record<string, unknown>[]> {
  const inTransaction = !(client instanceof PGlite);
  const pg = inTransaction ? (client as Transaction & { [ROOT]?: PGlite })[ROOT] : client;
  if (!pg) return (await client.query<Record<string, unknown>>(statement.text, values)).rows;
  const locks = pg as unknown as PgliteLocks;
  const run = () => locks._runExclusiveQuery(() => execute(pg, statement, values, inTransaction));
  return inTransaction ? run() : locks._runExclusiveTransaction(run);
}

async function execute(pg: PGlite, statement: NamedStatement, values: unknown[], inTransaction: boolean): Promise<Record<string, unknown>[]> {
  const prepared = await preparedOn(pg, statement);
  const params = values.map((value, i) => {
    if (value === null || value === undefined) return null;
    const serializer = pg.serializers[prepared.paramTypes[i]!];
    return serializer ? (serializer(value) as string) : String(value);
  });
  // Outside a transaction PGlite writes its files after each statement, as `query()` does; inside, at commit.
  const { messages } = await pg.execProtocol(
    Buffer.concat([serialize.bind({ statement: statement.name, values: params }), serialize.execute({}), serialize.sync()]),
    { syncToFs: !inTransaction },
  );
  const rows: Record<string, unknown>[] = [];
  for (const m of messages as BackendMessage[]) {
    if (m.name !== 'dataRow') continue;
    const row: Record<string, unknown> = {};
    prepared.fields.forEach((f, i) => {
      row[f.name] = types.parseType(m.fields![i] as string | null, f.dataTypeID, pg.parsers);
    });
    rows.push(row);
  }
  return rows;
}

async function preparedOn(pg: PGlite, statement: NamedStatement): Promise<Prepared> {
  let cache = preparedByInstance.get(pg);
  if (!cache) preparedByInstance.set(pg, (cache = new Map()));
  const known = cache.get(statement.name);
  if (known) return known;
  const { messages } = await pg.execProtocol(
    Buffer.concat([serialize.parse({ name: statement.name, text: statement.text, types: [] }), serialize.describe({ type: 'S', name: statement.name }), serialize.sync()]),
    { syncToFs: false },
  );
  const described = messages as BackendMessage[];
  const prepared: Prepared = {
    paramTypes: described.find((m) => m.name === 'parameterDescription')?.dataTypeIDs ?? [],
    fields: ((described.find((m) => m.name === 'rowDescription')?.fields ?? []) as { name: string; dataTypeID: number }[]).map((f) => ({ name: f.name, dataTypeID: f.dataTypeID })),
  };
  cache.set(statement.name, prepared);
  return prepared;
}
