import { repeatWithoutOverlap } from './repeat-without-overlap';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('repeatWithoutOverlap', () => {
  it('never runs the task twice at once, and stops', async () => {
    let running = 0;
    let most = 0;
    let runs = 0;
    const repeat = repeatWithoutOverlap(
      async () => {
        running++;
        most = Math.max(most, running);
        await sleep(35);
        running--;
        runs++;
      },
      { everyMs: 10, onError: () => undefined },
    );
    await sleep(200);
    repeat.stop();
    await sleep(50);
    const afterStop = runs;
    await sleep(60);
    expect(most).toBe(1);
    expect(runs).toBeGreaterThanOrEqual(2);
    expect(runs).toBe(afterStop);
  });

  it('hands a failed run to onError and tries again at the next tick', async () => {
    const errors: unknown[] = [];
    let calls = 0;
    const repeat = repeatWithoutOverlap(
      async () => {
        calls++;
        if (calls === 1) throw new Error('database away');
      },
      { everyMs: 10, onError: (err) => errors.push(err) },
    );
    await sleep(60);
    repeat.stop();
    expect(errors).toEqual([new Error('database away')]);
    expect(calls).toBeGreaterThan(1);
  });
});
