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

/** A request before the channel numbers it (`Omit` applied to each kind of request, not to their union). */
type Unnumbered<R> = R extends unknown ? Omit<R, 'id'> : never;
type Request = Unnumbered<ThreadRequest>;

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

/** The messages to and from the worker: each request numbered, its reply matched back to it. */
class ThreadChannel {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(value: unknown): void; reject(err: Error): void }>();
  private exited: Error | undefined;
  /** Set once opened: a stop before that is the opening's own failure, and a stop by `close()` is no news. */
  private onStopped: ((err: DatabaseThreadExitedError) => void) | undefined;
  /**
   * Whether rows' dates must be made again in this realm. They arrive as the process's own Dates, except when
   * this code runs inside a `vm` context (jest runs tests so), whose Date is not the process's.
   */
  private foreignDates = false;

  constructor(readonly worker: Worker) {
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
      this.onStopped?.(err);
    };
    worker.on('error', (err) => stop(err.message));
    worker.on('exit', (code) => stop(`exit code ${code}`));
  }

  /** Waits for the worker to open PGlite (the reply with id 0); from then on `onStopped` hears of a stop. */
  async opened(onStopped: (err: DatabaseThreadExitedError) => void): Promise<void> {
    this.foreignDates = !((await this.answer(0)) instanceof Date);
    this.onStopped = onStopped;
  }

  send(request: Request): Promise<unknown> {
    const id = this.nextId++;
    const answer = this.answer(id);
    this.worker.postMessage({ ...request, id } as ThreadRequest);
    return answer;
  }

  /** Rows as this realm's own values (see `foreignDates`). */
  localDates<R>(rows: R[]): R[] {
    if (!this.foreignDates) return rows;
    for (const row of rows as Record<string, unknown>[]) {
      for (const [key, value] of Object.entries(row)) {
        if (Object.prototype.toString.call(value) === '[object Date]') row[key] = new Date((value as Date).getTime());
      }
    }
    return rows;
  }

  async close(): Promise<void> {
    this.onStopped = undefined;
    if (!this.exited) await this.send({ op: 'close' });
    await this.worker.terminate();
  }

  private answer(id: number): Promise<unknown> {
    if (this.exited) return Promise.reject(this.exited);
    return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
  }
}

/** The calls of the instance (`tx` undefined) or of one of its open transactions. */
class ThreadSession implements PgliteThreadClient {
  constructor(
    protected readonly channel: ThreadChannel,
    private readonly tx?: number,
  ) {}

  async query<T>(sql: string, params: unknown[] = [], options: QueryOptions = {}): Promise<Results<T>> {
    const result = (await this.channel.send({ ...queryRequest(sql, params, options), tx: this.tx })) as Results<T>;
    this.channel.localDates(result.rows);
    return result;
  }

  async exec(sql: string): Promise<Results[]> {
    const results = (await this.channel.send({ op: 'exec', sql, tx: this.tx })) as Results[];
    for (const r of results) this.channel.localDates(r.rows);
    return results;
  }

  async runNamed(statement: NamedStatement, values: unknown[]): Promise<Record<string, unknown>[]> {
    return this.channel.localDates((await this.channel.send({ op: 'named', statement, values, tx: this.tx })) as Record<string, unknown>[]);
  }
}

export class PgliteThread extends ThreadSession {
  private busiest = 0;

  /**
   * Starts the thread and opens PGlite in `dir`; rejects with PGlite's own error when it cannot. `onStopped` is
   * told when the thread stops other than by `close()`, once opened.
   */
  static async open(dir: string, onStopped: (err: DatabaseThreadExitedError) => void = () => undefined): Promise<PgliteThread> {
    const channel = new ThreadChannel(new Worker(bootstrap(path.join(__dirname, 'pglite-worker')), { eval: true, workerData: { dir } }));
    try {
      await channel.opened(onStopped);
    } catch (err) {
      await channel.worker.terminate();
      throw err;
    }
    return new PgliteThread(channel);
  }

  /** Runs `callback` in a transaction: committed when it resolves, rolled back when it throws. */
  async transaction<T>(callback: (tx: PgliteThreadClient) => Promise<T>): Promise<T> {
    const tx = (await this.channel.send({ op: 'begin' })) as number;
    let result: T;
    try {
      result = await callback(new ThreadSession(this.channel, tx));
    } catch (err) {
      await this.channel.send({ op: 'end', tx, commit: false }).catch(() => undefined);
      throw err;
    }
    await this.channel.send({ op: 'end', tx, commit: true });
    return result;
  }

  /**
   * How long the thread has spent working since it started, in seconds (its event loop's active time). Never
   * less than before: a stopped thread reads 0, and a counter must not go back.
   */
  busySeconds(): number {
    this.busiest = Math.max(this.busiest, this.channel.worker.performance.eventLoopUtilization().active / 1000);
    return this.busiest;
  }

  close(): Promise<void> {
    return this.channel.close();
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
