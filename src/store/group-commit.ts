/**
 * Group commit: calls made while a statement of the same kind is in flight, or in the same turn of the event
 * loop, are gathered and run together, as one statement (ADR 0011, 0012). With nothing in flight a call runs at
 * the end of its turn, so a quiet Wasl waits for nothing; under load the batches grow by themselves with the
 * queue, and the round trips, per-statement work and commits of the database are paid once a batch instead of
 * once a call.
 *
 * Not DataLoader: it gathers by event-loop turn only and merges equal keys, where this also gathers for as long
 * as the database is busy and must keep equal keys apart (two saves of one conversation in one statement would be one
 * update too few).
 */

export interface GroupCommitOptions<I, O> {
  /**
   * Runs a batch as one statement; one result per item, in the items' order. What concerns one item only (a row
   * changed since it was read, a reply already recorded) is its result, not an error.
   */
  run(items: I[]): Promise<O[]>;
  /** The most items in one statement; 1 gathers nothing (each call waits for the one before). */
  maxBatch: number;
  /** Items sharing a key never share a batch; a later one waits for the next. */
  keysOf?(item: I): readonly (string | number)[];
}

interface Waiting<I, O> {
  item: I;
  resolve(value: O): void;
  reject(error: Error): void;
}

export function groupCommit<I, O>(opts: GroupCommitOptions<I, O>): (item: I) => Promise<O> {
  const queue: Waiting<I, O>[] = [];
  let inFlight = false;
  let scheduled = false;

  /** The next batch: oldest first, at most maxBatch, skipping an item with a key already in it. */
  function takeBatch(): Waiting<I, O>[] {
    const batch: Waiting<I, O>[] = [];
    const taken = new Set<string | number>();
    for (let i = 0; i < queue.length && batch.length < opts.maxBatch; ) {
      const keys = opts.keysOf?.(queue[i]!.item) ?? [];
      if (keys.some((k) => taken.has(k))) {
        i++;
        continue;
      }
      for (const k of keys) taken.add(k);
      batch.push(queue.splice(i, 1)[0]!);
    }
    return batch;
  }

  async function runBatch(batch: Waiting<I, O>[]): Promise<void> {
    let results: O[];
    try {
      results = await opts.run(batch.map((w) => w.item));
      if (results.length !== batch.length) throw new Error(`a batch of ${batch.length} answered ${results.length} results`);
    } catch (err) {
      // The statement failed as a whole, so it wrote nothing: each item runs again alone, and only the item that
      // fails alone sees the error.
      if (batch.length === 1) {
        batch[0]!.reject(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      for (const w of batch) await runBatch([w]);
      return;
    }
    results.forEach((value, i) => batch[i]!.resolve(value));
  }

  /**
   * Runs the next batch once this turn of the event loop is over. A batch's results resume its callers together,
   * and each goes on to its next statement in the same turn: run at the first call, that statement would carry
   * one of them and the next the rest — two round trips where one does. A lone call waits for nothing but the
   * end of the turn.
   */
  function flush(): void {
    if (inFlight || scheduled || queue.length === 0) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      inFlight = true;
      void runBatch(takeBatch()).finally(() => {
        inFlight = false;
        flush();
      });
    });
  }

  return (item: I) =>
    new Promise<O>((resolve, reject) => {
      queue.push({ item, resolve, reject });
      flush();
    });
}
