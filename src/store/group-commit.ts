/**
 * Group commit: calls made while a statement of the same kind is in flight are gathered and run together, as one
 * statement, when it returns (ADR 0011). With nothing in flight a call runs at once, alone, so a quiet Wasl waits
 * for nothing; under load the batches grow by themselves with the queue, and the round trips, per-statement
 * work and commits of the database are paid once a batch instead of once a call.
 *
 * Not DataLoader: it gathers by event-loop tick and merges equal keys, where this gathers for as long as the
 * database is busy and must keep equal keys apart (two saves of one conversation in one statement would be one
 * update too few).
 */

/** What a batch statement answers for one call: its result, or the error that call alone should see. */
export type BatchOutcome<O> = { ok: true; value: O } | { ok: false; error: Error };

export interface GroupCommitOptions<I, O> {
  /** Runs a batch as one statement; one outcome per item, in the items' order. */
  run(items: I[]): Promise<BatchOutcome<O>[]>;
  /** The most items in one statement; 1 gathers nothing (each call waits for the one before, as on PGlite). */
  maxBatch: number;
  /** Items sharing a key never share a batch; a later one waits for the next. */
  keysOf?(item: I): readonly (string | number)[];
}

interface Waiting<I, O> {
  item: I;
  resolve(value: O): void;
  reject(error: Error): void;
}

export interface GroupCommit<I, O> {
  (item: I): Promise<O>;
  /** Batches run so far and the items they carried: how much the gathering saved. */
  stats(): { batches: number; items: number };
}

export function groupCommit<I, O>(opts: GroupCommitOptions<I, O>): GroupCommit<I, O> {
  const queue: Waiting<I, O>[] = [];
  let inFlight = false;
  let batches = 0;
  let items = 0;

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
    batches++;
    items += batch.length;
    let outcomes: BatchOutcome<O>[];
    try {
      outcomes = await opts.run(batch.map((w) => w.item));
      if (outcomes.length !== batch.length) throw new Error(`a batch of ${batch.length} answered ${outcomes.length} outcomes`);
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
    outcomes.forEach((o, i) => (o.ok ? batch[i]!.resolve(o.value) : batch[i]!.reject(o.error)));
  }

  function flush(): void {
    if (inFlight || queue.length === 0) return;
    inFlight = true;
    void runBatch(takeBatch()).finally(() => {
      inFlight = false;
      flush();
    });
  }

  const call = ((item: I) =>
    new Promise<O>((resolve, reject) => {
      queue.push({ item, resolve, reject });
      flush();
    })) as GroupCommit<I, O>;
  call.stats = () => ({ batches, items });
  return call;
}
