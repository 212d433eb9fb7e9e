/**
 * What the process and the embedded database's thread (pglite-thread.ts, pglite-worker.ts) say to each other.
 * Every request carries an id its reply repeats; `tx` names an open transaction, absent for the instance itself.
 * Both sides are this build's own code, so messages are typed here rather than validated.
 */
import type { NamedStatement } from './named-statement';

export type ThreadRequest =
  | { id: number; op: 'query'; tx?: number; sql: string; params: unknown[]; rowMode: 'array' | 'object'; rawTypes: number[] }
  | { id: number; op: 'exec'; tx?: number; sql: string }
  | { id: number; op: 'named'; tx?: number; statement: NamedStatement; values: unknown[] }
  /** Opens a transaction; the reply's value is its `tx`. */
  | { id: number; op: 'begin' }
  /** Commits or rolls back `tx`; replied to once PGlite has done so (a failed COMMIT is the reply's error). */
  | { id: number; op: 'end'; tx: number; commit: boolean }
  | { id: number; op: 'close' };

/** An error as it crossed the thread: the message, and PostgreSQL's fields (`code`, `detail`, `constraint`, …). */
export interface ThreadError {
  name: string;
  message: string;
  fields: Record<string, string | number | boolean>;
}

/** id 0 answers the opening of the database, before any request. */
export type ThreadReply = { id: number; value: unknown } | { id: number; error: ThreadError };

export function toThreadError(err: unknown): ThreadError {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err), fields: {} };
  const fields: ThreadError['fields'] = {};
  for (const [key, value] of Object.entries(err)) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') fields[key] = value;
  }
  return { name: err.name, message: err.message, fields };
}

/**
 * The error again on this side, with PostgreSQL's fields where callers look for them (`err.code === '23505'`), and
 * this side's stack, which names the caller (the database thread's would name only its message loop).
 */
export function fromThreadError(e: ThreadError): Error {
  const err = Object.assign(new Error(e.message), e.fields);
  err.name = e.name;
  return err;
}
