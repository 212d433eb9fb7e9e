/**
 * PGlite in a thread of its own. PGlite is PostgreSQL compiled to WebAssembly and runs in the thread that calls
 * it; in Wasl's one-process deployment that thread also runs every role — the HTTP endpoints, the engine, the
 * sends — so the database's work (half of the process's CPU in the load benchmark's profile) and everything else
 * took turns on one core while the other stayed idle. Here the database runs in a worker thread
 * (pglite-worker.ts), and this object stands where the PGlite instance stood: it answers what drizzle's PGlite
 * driver calls (`query`, `exec`, `transaction`) and runs named statements, each as a message to that thread.
 *
 * The thread is one PGlite instance as before, so its semantics are PGlite's own: one backend session, a
 * transaction holds it until it ends, and every other caller waits. What crosses the thread is structured-cloned:
 * parameters and rows are plain values (strings, numbers, booleans, objects, byte arrays), which clone as they
 * are. Parsers are functions, which do not cross: callers may only ask for types to be left as PostgreSQL's text
 * (the only parsers drizzle passes, for dates and intervals).
 */
import { Worker } from 'node:worker_threads';
import path from 'node:path';
import type { QueryOptions, Results } from '@electric-sql/pglite';
import type { NamedStatement } from './named-statement';
import { fromThreadError, type ThreadReply, type ThreadRequest } from './pglite-thread-protocol';

type Request = ThreadRequest extends infer R ? (R extends ThreadRequest ? Omit<R, 'id'> : never) : never;

/** What drizzle and the named statements call, on the instance and on each of its transactions. */
export interface PgliteThreadClient {
  query<T>(sql: string, params?: unknown[], options?: QueryOptions): Promise<Results<T>>;
  exec(sql: string): Promise<Results[]>;
  runNamed(statement: NamedStatement, values: unknown[]): Promise<Record<string, unknown>[]>;
}

/** The database thread stopped (a WebAssembly abort, an out-of-memory): nothing more can be asked of it. */
export class DatabaseThreadExitedError extends Error {
  constructor(readonly detail: string) {
    super(`the embedded database's thread stopped (${detail}); restart Wasl`);
    this.name = 'DatabaseThreadExitedError';
  }
}

export class PgliteThread implements PgliteThreadClient {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(value: unknown): void; reject(err: Error): void }>();
  private exited: Error | undefined;
  private closing = false;

  /**
   * Whether rows' dates must be made again in this realm. They arrive as the process's own Dates, except when
   * this code runs inside a `vm` context (jest runs tests so), whose Date is not the process's.
   */
  private foreignDates = false;

  private constructor(
    private readonly worker: Worker,
    onStopped: (err: DatabaseThreadExitedError) => void,
  ) {
    worker.on('message', (m: ThreadReply) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if ('error' in m) p.reject(fromThreadError(m.error));
      else p.resolve(m.value);
    });
    const stop = (detail: string) => {
      if (this.exited) return;
      const err = new DatabaseThreadExitedError(detail);
      this.exited = err;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
      if (!this.closing) onStopped(err);
    };
    worker.on('error', (err) => stop(err.message));
    worker.on('exit', (code) => stop(`exit code ${code}`));
  }

  /**
   * Starts the thread and opens PGlite in `dir`; rejects with PGlite's own error when it cannot. `onStopped` is
   * told when the thread stops other than by `close()`, once opened.
   */
  static async open(dir: string, onStopped: (err: DatabaseThreadExitedError) => void = () => undefined): Promise<PgliteThread> {
    const worker = new Worker(bootstrap(path.join(__dirname, 'pglite-worker')), { eval: true, workerData: { dir } });
    let opened = false;
    const thread = new PgliteThread(worker, (err) => opened && onStopped(err));
    try {
      thread.foreignDates = !((await thread.ask(0)) instanceof Date);
      opened = true;
    } catch (err) {
      await worker.terminate();
      throw err;
    }
    return thread;
  }

  query<T>(sql: string, params: unknown[] = [], options: QueryOptions = {}): Promise<Results<T>> {
    return this.queryIn(undefined, sql, params, options);
  }

  exec(sql: string): Promise<Results[]> {
    return this.execIn(undefined, sql);
  }

  runNamed(statement: NamedStatement, values: unknown[]): Promise<Record<string, unknown>[]> {
    return this.runNamedIn(undefined, statement, values);
  }

  /** @internal the calls of the instance and of its transactions (`tx`). */
  async queryIn<T>(tx: number | undefined, sql: string, params: unknown[], options: QueryOptions): Promise<Results<T>> {
    const result = (await this.send({ ...queryRequest(sql, params, options), ...(tx === undefined ? {} : { tx }) })) as Results<T>;
    this.localDates(result.rows);
    return result;
  }

  /** @internal */
  async execIn(tx: number | undefined, sql: string): Promise<Results[]> {
    const results = (await this.send({ op: 'exec', sql, ...(tx === undefined ? {} : { tx }) })) as Results[];
    for (const r of results) this.localDates(r.rows);
    return results;
  }

  /** @internal */
  async runNamedIn(tx: number | undefined, statement: NamedStatement, values: unknown[]): Promise<Record<string, unknown>[]> {
    const rows = (await this.send({ op: 'named', statement, values, ...(tx === undefined ? {} : { tx }) })) as Record<string, unknown>[];
    this.localDates(rows);
    return rows;
  }

  private localDates(rows: unknown[]): void {
    if (!this.foreignDates) return;
    for (const row of rows as Record<string, unknown>[]) {
      for (const [key, value] of Object.entries(row)) {
        if (Object.prototype.toString.call(value) === '[object Date]') row[key] = new Date((value as Date).getTime());
      }
    }
  }

  /** Runs `callback` in a transaction: committed when it resolves, rolled back when it throws. */
  async transaction<T>(callback: (tx: PgliteThreadClient) => Promise<T>): Promise<T> {
    const tx = (await this.send({ op: 'begin' })) as number;
    let result: T;
    try {
      result = await callback(new ThreadTransaction(this, tx));
    } catch (err) {
      await this.send({ op: 'end', tx, commit: false }).catch(() => undefined);
      throw err;
    }
    await this.send({ op: 'end', tx, commit: true });
    return result;
  }

  private busiest = 0;

  /**
   * How long the thread has spent working since it started, in seconds (its event loop's active time). Never
   * less than before: a stopped thread reads 0, and a counter must not go back.
   */
  busySeconds(): number {
    this.busiest = Math.max(this.busiest, this.worker.performance.eventLoopUtilization().active / 1000);
    return this.busiest;
  }

  async close(): Promise<void> {
    this.closing = true;
    if (!this.exited) await this.send({ op: 'close' });
    await this.worker.terminate();
  }

  /** @internal for ThreadTransaction */
  send(request: Request): Promise<unknown> {
    const id = this.nextId++;
    const answer = this.ask(id);
    this.worker.postMessage({ ...request, id } as ThreadRequest);
    return answer;
  }

  private ask(id: number): Promise<unknown> {
    if (this.exited) return Promise.reject(this.exited);
    return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
  }
}

class ThreadTransaction implements PgliteThreadClient {
  constructor(private readonly thread: PgliteThread, private readonly tx: number) {}

  query<T>(sql: string, params: unknown[] = [], options: QueryOptions = {}): Promise<Results<T>> {
    return this.thread.queryIn(this.tx, sql, params, options);
  }

  exec(sql: string): Promise<Results[]> {
    return this.thread.execIn(this.tx, sql);
  }

  runNamed(statement: NamedStatement, values: unknown[]): Promise<Record<string, unknown>[]> {
    return this.thread.runNamedIn(this.tx, statement, values);
  }
}

function queryRequest(sql: string, params: unknown[], options: QueryOptions): Extract<Request, { op: 'query' }> {
  if (options.serializers || options.blob || options.paramTypes) {
    throw new Error('the embedded database thread takes no serializers, blob or paramTypes (they cannot cross threads)');
  }
  return { op: 'query', sql, params, rowMode: options.rowMode ?? 'object', rawTypes: Object.keys(options.parsers ?? {}).map(Number) };
}

/**
 * The worker's entry: Wasl runs its TypeScript through tsx, whose hooks a worker thread does not inherit on
 * Node 20, so the thread registers them before loading its module.
 */
function bootstrap(moduleWithoutExtension: string): string {
  return `require(${JSON.stringify(require.resolve('tsx/cjs/api'))}).register(); require(${JSON.stringify(moduleWithoutExtension)});`;
}
