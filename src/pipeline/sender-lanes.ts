/**
 * One ingest at a time per sender, in this process. `ingest` locks the sender's contact row while the message
 * takes its arrival number (ADR 0006), so a burst from one sender is serial in the database anyway — but each
 * of its waiting statements held a pool connection while it waited. A flood of 1,000 SMS a second took every
 * connection and the other beneficiaries' messages waited behind it (their p95 went from 0.25 s to 16 s).
 * Queued here instead, a flooder holds one connection per web process; everyone else's messages go straight
 * through. Nothing is dropped: a request waits its turn, and past `maxWaiting` it is refused with a 429 the
 * provider or widget retries (there is no 2xx for a message that was not stored).
 *
 * 200 waiting is far beyond any person (a phone delivering a day of queued SMS sends dozens) and, at the
 * ~50 stores a second of a loaded 2-core machine, still answered within about 4 s — inside the webhook
 * timeouts of providers (Twilio gives up after 15 s and would resend anyway).
 */
export class SenderBusyError extends Error {
  readonly statusCode = 429;
  // Carries no sender: the key is a channel user id (an SMS or WhatsApp number), and this error reaches logs.
  constructor() {
    super('too many messages from this sender are waiting to be stored; retry later');
    this.name = 'SenderBusyError';
  }
}

export interface SenderLanes {
  /** Runs `task` after every earlier task of `sender` has settled. */
  run<T>(sender: string, task: () => Promise<T>): Promise<T>;
}

export function createSenderLanes(opts: { maxWaiting: number } = { maxWaiting: 200 }): SenderLanes {
  const lanes = new Map<string, { tail: Promise<unknown>; waiting: number }>();
  return {
    run(sender, task) {
      const lane = lanes.get(sender) ?? { tail: Promise.resolve(), waiting: 0 };
      if (lane.waiting >= opts.maxWaiting) return Promise.reject(new SenderBusyError());
      lane.waiting += 1;
      lanes.set(sender, lane);
      const result = lane.tail.then(task);
      lane.tail = result.then(
        () => undefined,
        () => undefined,
      );
      const settled = lane.tail;
      void settled.then(() => {
        lane.waiting -= 1;
        if (lane.waiting === 0 && lane.tail === settled) lanes.delete(sender);
      });
      return result;
    },
  };
}
