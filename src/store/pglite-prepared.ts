/**
 * Named statements on PGlite, parsed and planned once per instance. PGlite's `query()` parses and plans its SQL
 * on every call and talks to the backend in six protocol exchanges (parse, describe, bind, describe, execute,
 * sync). Here a statement is prepared under its name on first use, with its parameter and result types kept,
 * and each call is one exchange: bind, execute, sync — on a generic plan, kept until the tables' statistics
 * change (see `readyForNamedStatements`).
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
 * The plan setting, switched around each named statement in the same exchange. PostgreSQL chooses between the
 * generic and a custom plan at bind, by the setting then. Should the statement fail, the switch back is skipped
 * with the rest of the exchange — and the switch to generic is undone with the failed (implicit or explicit)
 * transaction, as every SET is.
 */
const TO_GENERIC = 'wasl_plans_generic';
const TO_CUSTOM = 'wasl_plans_custom';

/**
 * Readies `pg` for named statements. Its transactions learn their instance, so a named statement run inside one
 * can be prepared and executed on it (without this, a transaction's named statements fall back to `query()`).
 *
 * Plans. Everything else (drizzle's queries) is planned for its own parameters, as on a server. A named statement
 * runs on its generic plan, made once and kept: planning one of the hot statements' joins in WebAssembly cost
 * about as much as running it, and every message runs five or six (docs/performance.md, "Generic plans for the
 * hot statements"). PostgreSQL makes the plan again when a table it reads is analyzed. A plan made while the
 * tables were empty reads them whole; the keeper of planner statistics (store/planner-statistics.ts) analyzes
 * the hot tables at 500 rows and at each doubling, checking every five seconds, and the autovacuum pass
 * (store/pglite-autovacuum.ts) at a tenth changed. test/statement-plans.integration.test.ts checks that each
 * statement's generic plan takes the indexes, and takes them again after planning on empty tables.
 */
export async function readyForNamedStatements(pg: PGlite): Promise<void> {
  await pg.exec('set plan_cache_mode = force_custom_plan');
  // Prepared through the protocol: SQL's PREPARE takes no SET.
  await pg.execProtocol(
    Buffer.concat([
      serialize.parse({ name: TO_GENERIC, text: 'set plan_cache_mode = force_generic_plan', types: [] }),
      serialize.parse({ name: TO_CUSTOM, text: 'set plan_cache_mode = force_custom_plan', types: [] }),
      serialize.sync(),
    ]),
    { syncToFs: false },
  );
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
    Buffer.concat([
      serialize.bind({ statement: TO_GENERIC }),
      serialize.execute({}),
      serialize.bind({ statement: statement.name, values: params }),
      serialize.execute({}),
      serialize.bind({ statement: TO_CUSTOM }),
      serialize.execute({}),
      serialize.sync(),
    ]),
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
