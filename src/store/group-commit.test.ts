import { groupCommit } from './group-commit';

/** A batch runner whose statements finish when the test says so, recording what each batch carried. */
function controlledRunner() {
  const batches: number[][] = [];
  const pending: (() => void)[] = [];
  const run = (items: number[]): Promise<number[]> => {
    batches.push(items);
    return new Promise((resolve) => pending.push(() => resolve(items.map((i) => i * 10))));
  };
  const finishNext = async () => {
    pending.shift()!();
    await nextTurn();
    await nextTurn();
  };
  return { batches, run, finishNext };
}

/** After the statement that calls made in this turn of the event loop run in. */
const nextTurn = () => new Promise((r) => setImmediate(r));

describe('groupCommit', () => {
  it('runs a lone call at the end of its turn, alone', async () => {
    const r = controlledRunner();
    const call = groupCommit({ run: r.run, maxBatch: 8 });
    const result = call(1);
    await nextTurn();
    expect(r.batches).toEqual([[1]]);
    await r.finishNext();
    await expect(result).resolves.toBe(10);
  });

  it('gathers the calls made in one turn into one statement', async () => {
    const r = controlledRunner();
    const call = groupCommit({ run: r.run, maxBatch: 8 });
    const results = [1, 2, 3].map((i) => call(i));
    await nextTurn();
    expect(r.batches).toEqual([[1, 2, 3]]);
    await r.finishNext();
    await expect(Promise.all(results)).resolves.toEqual([10, 20, 30]);
  });

  it('gathers the calls made while a statement is in flight into the next one', async () => {
    const r = controlledRunner();
    const call = groupCommit({ run: r.run, maxBatch: 8 });
    const first = call(1);
    await nextTurn();
    const rest = [2, 3, 4].map((i) => call(i));
    await nextTurn();
    expect(r.batches).toEqual([[1]]);
    await r.finishNext();
    expect(r.batches).toEqual([[1], [2, 3, 4]]);
    await r.finishNext();
    await expect(Promise.all([first, ...rest])).resolves.toEqual([10, 20, 30, 40]);
  });

  it('gathers what callers resumed by a batch ask next, in the same turn, into one statement', async () => {
    const r = controlledRunner();
    const call = groupCommit({ run: r.run, maxBatch: 8 });
    // Each caller reads, then writes what it read: the writes of one read batch go together.
    const chains = [1, 2, 3].map(async (i) => call(await call(i)));
    await nextTurn();
    await r.finishNext();
    expect(r.batches).toEqual([[1, 2, 3], [10, 20, 30]]);
    await r.finishNext();
    await expect(Promise.all(chains)).resolves.toEqual([100, 200, 300]);
  });

  it('keeps batches to maxBatch and calls sharing a key in different batches, oldest first', async () => {
    const r = controlledRunner();
    const call = groupCommit({ run: r.run, maxBatch: 3, keysOf: (i: number) => [i % 5] });
    const results = [1, 6, 2, 3, 4].map((i) => call(i));
    await nextTurn();
    // 6 shares 1's key: it waits for a later batch, while 2 and 3 (other keys) go along, up to maxBatch.
    expect(r.batches[0]).toEqual([1, 2, 3]);
    await r.finishNext();
    expect(r.batches[1]).toEqual([6, 4]);
    await r.finishNext();
    await expect(Promise.all(results)).resolves.toEqual([10, 60, 20, 30, 40]);
  });

  it('keeps apart calls sharing any one of their keys', async () => {
    const r = controlledRunner();
    // Keys: the tens digit and the parity.
    const call = groupCommit({ run: r.run, maxBatch: 8, keysOf: (i: number) => [`tens ${Math.floor(i / 10)}`, `odd ${i % 2}`] });
    const results = [0, 11, 13, 20, 22].map((i) => call(i));
    await nextTurn();
    await r.finishNext();
    await r.finishNext();
    await r.finishNext();
    expect(r.batches).toEqual([[0, 11], [13, 20], [22]]);
    await expect(Promise.all(results)).resolves.toEqual([0, 110, 130, 200, 220]);
  });

  it('runs a failed batch again one call at a time, so only the call that fails alone sees the error', async () => {
    const seen: number[][] = [];
    const call = groupCommit<number, number>({
      maxBatch: 8,
      run: async (items) => {
        seen.push(items);
        if (items.includes(3)) throw new Error('statement refused item 3');
        return items;
      },
    });
    const results = [1, 2, 3, 4].map((i) => call(i).then((v) => ({ v }), (e: Error) => ({ e: e.message })));
    expect(await Promise.all(results)).toEqual([{ v: 1 }, { v: 2 }, { e: 'statement refused item 3' }, { v: 4 }]);
    expect(seen).toEqual([[1, 2, 3, 4], [1], [2], [3], [4]]);
  });

  it('refuses an answer with the wrong number of results rather than misassigning them', async () => {
    const call = groupCommit<number, number>({ maxBatch: 8, run: async () => [] });
    await expect(call(1)).rejects.toThrow('a batch of 1 answered 0 results');
  });
});
