import { createReadinessTracker, redact } from './channel-readiness';

function setup(probe: (signal: AbortSignal) => Promise<unknown>, opts: { probeTimeoutMs?: number } = {}) {
  let t = 1_000_000;
  const calls = { probes: 0 };
  const tracker = createReadinessTracker({
    freshForMs: 30_000,
    probeTimeoutMs: opts.probeTimeoutMs ?? 2_000,
    probe: (signal) => {
      calls.probes++;
      return probe(signal);
    },
    describe: (err) => `unreachable: ${(err as Error).message}`,
    secrets: ['s3cret-token'],
    now: () => t,
  });
  return { tracker, calls, advance: (ms: number) => (t += ms) };
}

describe('channel readiness tracker', () => {
  it('answers from the last call while it is fresh, without probing', async () => {
    const { tracker, calls, advance } = setup(async () => undefined);
    tracker.succeeded();
    advance(29_000);
    expect(await tracker.check()).toEqual({ ready: true, state: 'ok' });
    tracker.failed('unreachable: ECONNRESET');
    expect(await tracker.check()).toEqual({ ready: false, state: 'unreachable: ECONNRESET' });
    expect(calls.probes).toBe(0);
  });

  it('probes once for many concurrent checks when there is nothing to go on', async () => {
    const { tracker, calls } = setup(() => new Promise((r) => setTimeout(r, 20)));
    const answers = await Promise.all(Array.from({ length: 10 }, () => tracker.check()));
    expect(answers.every((a) => a.ready)).toBe(true);
    expect(calls.probes).toBe(1);
  });

  it('answers a slightly stale outcome at once and refreshes it in the background', async () => {
    const { tracker, calls, advance } = setup(async () => {
      throw new Error('ECONNREFUSED');
    });
    tracker.succeeded();
    advance(45_000);
    expect(await tracker.check()).toEqual({ ready: true, state: 'ok' });
    await new Promise((r) => setImmediate(r));
    expect(calls.probes).toBe(1);
    expect(await tracker.check()).toEqual({ ready: false, state: 'unreachable: ECONNREFUSED' });
  });

  it('waits for the probe after a long silence, and gives up at its timeout', async () => {
    let aborted = false;
    const { tracker, advance } = setup(
      (signal) =>
        new Promise((resolve) =>
          signal.addEventListener('abort', () => {
            aborted = true;
            resolve(undefined);
          }),
        ),
      { probeTimeoutMs: 30 },
    );
    tracker.succeeded();
    advance(120_000);
    expect(await tracker.check()).toEqual({ ready: false, state: 'unreachable: no answer within 30 ms' });
    expect(aborted).toBe(true);
  });

  it('keeps secrets out of every reason', async () => {
    const { tracker } = setup(async () => undefined);
    tracker.failed('GET https://api.example/bots3cret-token/getMe failed');
    expect((await tracker.check()).state).toBe('GET https://api.example/bot[redacted]/getMe failed');
    expect(redact('a s3cret b', ['s3cret', undefined, ''])).toBe('a [redacted] b');
  });
});
