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
    await new Promise((r) => setImmediate(r));
  };
  return { batches, run, finishNext };
}

describe('groupCommit', () => {
  it('runs a lone call at once, alone', async () => {
    const r = controlledRunner();
    const call = groupCommit({ run: r.run, maxBatch: 8 });
    const result = call(1);
    expect(r.batches).toEqual([[1]]);
    await r.finishNext();
    await expect(result).resolves.toBe(10);
  });

  it('gathers the calls made while a statement is in flight into the next one', async () => {
    const r = controlledRunner();
    const call = groupCommit({ run: r.run, maxBatch: 8 });
    const results = [1, 2, 3, 4].map((i) => call(i));
    expect(r.batches).toEqual([[1]]);
    await r.finishNext();
    expect(r.batches).toEqual([[1], [2, 3, 4]]);
    await r.finishNext();
    await expect(Promise.all(results)).resolves.toEqual([10, 20, 30, 40]);
  });

  it('keeps batches to maxBatch and calls sharing a key in different batches, oldest first', async () => {
    const r = controlledRunner();
    const call = groupCommit({ run: r.run, maxBatch: 3, keysOf: (i: number) => [i % 5] });
    const results = [0, 1, 2, 6, 3, 4, 7].map((i) => call(i));
    await r.finishNext();
    // 6 shares 1's key: it waits for a later batch, while 3 (another key) goes along.
    expect(r.batches[1]).toEqual([1, 2, 3]);
    await r.finishNext();
    expect(r.batches[2]).toEqual([6, 4, 7]);
    await r.finishNext();
    await expect(Promise.all(results)).resolves.toEqual([0, 10, 20, 60, 30, 40, 70]);
  });

  it('keeps apart calls sharing any one of their keys', async () => {
    const r = controlledRunner();
    // Keys: the tens digit and the parity. 11 and 13 share both with nothing before them but each other.
    const call = groupCommit({ run: r.run, maxBatch: 8, keysOf: (i: number) => [`tens ${Math.floor(i / 10)}`, `odd ${i % 2}`] });
    const results = [0, 11, 13, 20, 22].map((i) => call(i));
    await r.finishNext();
    expect(r.batches[1]).toEqual([11, 20]);
    await r.finishNext();
    expect(r.batches[2]).toEqual([13, 22]);
    await r.finishNext();
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
    const first = call(1);
    const rest = [2, 3, 4].map((i) => call(i).then((v) => ({ v }), (e: Error) => ({ e: e.message })));
    await first;
    expect(await Promise.all(rest)).toEqual([{ v: 2 }, { e: 'statement refused item 3' }, { v: 4 }]);
    expect(seen).toEqual([[1], [2, 3, 4], [2], [3], [4]]);
  });

  it('refuses an answer with the wrong number of results rather than misassigning them', async () => {
    const call = groupCommit<number, number>({ maxBatch: 8, run: async () => [] });
    await expect(call(1)).rejects.toThrow('a batch of 1 answered 0 results');
  });
});
