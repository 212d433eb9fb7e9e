/**
 * A background task of a role (the sweeper, the planner statistics) run every `everyMs`, never two at once: a
 * run still going when the next is due makes that one skip. A failed run is logged and the next one tries again.
 * The timer does not keep the process alive; `stop` ends it (a run in progress finishes).
 */
export function repeatWithoutOverlap(task: () => Promise<void>, opts: { everyMs: number; onError(err: unknown): void }): { stop(): void } {
  let running = false;
  const timer = setInterval(async () => {
    if (running) return;
    running = true;
    try {
      await task();
    } catch (err) {
      opts.onError(err);
    } finally {
      running = false;
    }
  }, opts.everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
