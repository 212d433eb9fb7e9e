/**
 * The embedded database's own thread: opens PGlite in the directory it is given and runs what the process asks
 * (pglite-thread-protocol.ts). Loaded only by pglite-thread.ts, as a worker thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite, type ParserOptions, type Transaction } from '@electric-sql/pglite';
import { readyForNamedStatements, runPreparedOnPglite } from './pglite-prepared';
import { toThreadError, type ThreadReply, type ThreadRequest } from './pglite-thread-protocol';

const port = parentPort!;
const reply = (message: ThreadReply) => port.postMessage(message);

/** The rejection that tells PGlite's `transaction()` to roll back: not an error, so not reported as one. */
const ROLL_BACK = Symbol('roll back');

interface OpenTransaction {
  tx: Transaction;
  commit(): void;
  rollBack(): void;
  /** Settles once PGlite has committed or rolled back. */
  ended: Promise<void>;
}

const identity = (value: string) => value;
/** Parsers that leave these types as PostgreSQL's text: the only parsers callers pass (drizzle's, for dates). */
const rawParsers = new Map<string, ParserOptions>();
function parsersKeeping(types: number[]): ParserOptions {
  const key = types.join(',');
  let parsers = rawParsers.get(key);
  if (!parsers) rawParsers.set(key, (parsers = Object.fromEntries(types.map((t) => [t, identity]))));
  return parsers;
}

async function serve(pg: PGlite): Promise<void> {
  const open = new Map<number, OpenTransaction>();
  const clientFor = (tx: number | undefined): PGlite | Transaction => {
    if (tx === undefined) return pg;
    const t = open.get(tx);
    if (!t) throw new Error(`transaction ${tx} is not open (already ended, or never begun)`);
    return t.tx;
  };

  const handle = async (req: ThreadRequest): Promise<unknown> => {
    switch (req.op) {
      case 'query':
        return await clientFor(req.tx).query(req.sql, req.params, { rowMode: req.rowMode, parsers: parsersKeeping(req.rawTypes) });
      case 'exec':
        return await clientFor(req.tx).exec(req.sql);
      case 'named':
        return await runPreparedOnPglite(clientFor(req.tx), req.statement, req.values);
      case 'begin':
        return await begin(pg, req.id, open);
      case 'end': {
        const t = open.get(req.tx);
        if (!t) throw new Error(`transaction ${req.tx} is not open (already ended, or never begun)`);
        open.delete(req.tx);
        if (req.commit) t.commit();
        else t.rollBack();
        await t.ended;
        return null;
      }
      case 'close':
        await pg.close();
        return null;
    }
  };

  port.on('message', (req: ThreadRequest) => {
    handle(req).then(
      (value) => reply({ id: req.id, value }),
      (err: unknown) => reply({ id: req.id, error: toThreadError(err) }),
    );
  });
}

/**
 * Opens a transaction under PGlite's own `transaction()` (its lock, BEGIN, COMMIT or ROLLBACK), held open until
 * the process ends it. Resolves with the transaction's id once BEGIN has run.
 */
function begin(pg: PGlite, id: number, open: Map<number, OpenTransaction>): Promise<number> {
  return new Promise<number>((opened, failed) => {
    const ended: Promise<void> = pg
      .transaction(
        (tx) =>
          new Promise<void>((resolve, reject) => {
            open.set(id, { tx, commit: resolve, rollBack: () => reject(ROLL_BACK), ended });
            opened(id);
          }),
      )
      .catch((err: unknown) => {
        if (err !== ROLL_BACK) throw err;
      });
    // BEGIN itself failed: the callback never ran. Later failures (COMMIT) reach whoever awaits `ended`.
    ended.catch(failed);
  });
}

async function main(): Promise<void> {
  const { dir } = workerData as { dir: string };
  let pg: PGlite;
  try {
    pg = await PGlite.create(dir);
    await readyForNamedStatements(pg);
  } catch (err) {
    reply({ id: 0, error: toThreadError(err) });
    return;
  }
  await serve(pg);
  // A date, so the process can tell whether what crosses the thread arrives as its own Date (pglite-thread.ts).
  reply({ id: 0, value: new Date(0) });
}

void main();
