/**
 * A channel's part of `/readyz` for a provider reached over the network (Telegram's Bot API, an SMTP server):
 * the outcome of the channel's own latest call says whether the provider answers. When no call was made for a
 * while (a quiet night), one cheap probe (Telegram `getMe`, SMTP `verify`) is made instead — at most once per
 * `freshForMs` however often `/readyz` and `/metrics` are polled, shared by concurrent polls, and cut short
 * after `probeTimeoutMs`, so orchestrators polling every few seconds neither hammer the provider nor wait on it:
 * while the last outcome is less than twice `freshForMs` old, it is answered at once and the probe refreshes it
 * in the background (an orchestrator's 1 s probe timeout is shorter than a slow provider). Only a first check,
 * or one after a long silence, waits for the probe.
 *
 * Each process sees its own calls only; the probe makes the answer right in a web process that sends nothing.
 */
import type { ChannelAdapter } from './channel-adapter';

export interface ChannelReadiness {
  ready: boolean;
  /** `ok`, or why not, for operators; never carries a credential. */
  state: string;
}

export interface ReadinessTiming {
  /** How long a call's outcome stands before a probe is due. @defaultValue 30000 */
  freshForMs?: number;
  /** A probe slower than this counts as a failure. @defaultValue 2000 */
  probeTimeoutMs?: number;
}

export interface ReadinessTracker {
  /** The provider answered a call as it should (a refusal about one recipient counts: it answered). */
  succeeded(): void;
  /** The provider could not be reached, or refuses the channel as a whole (a revoked token). */
  failed(reason: string): void;
  check(): Promise<ChannelReadiness>;
}

export interface ReadinessTrackerOptions extends ReadinessTiming {
  /** A cheap call that throws when the provider is not usable; its abort signal fires at the timeout. */
  probe(signal: AbortSignal): Promise<unknown>;
  /** Turns a probe's error into the reason shown; the tracker removes `secrets` from it either way. */
  describe(err: unknown): string;
  /** Credentials that must never appear in a reason (a token, a password), whatever an error message says. */
  secrets?: readonly (string | undefined)[];
  now?: () => number;
}

const REASON_MAX = 200;

/** Replaces each secret in `text` (a library may echo a URL with credentials in an error message). */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join('[redacted]');
  return out;
}

export function createReadinessTracker(opts: ReadinessTrackerOptions): ReadinessTracker {
  const now = opts.now ?? Date.now;
  const freshForMs = opts.freshForMs ?? 30_000;
  const probeTimeoutMs = opts.probeTimeoutMs ?? 2_000;
  const secrets = opts.secrets ?? [];
  let last: { at: number; readiness: ChannelReadiness } | undefined;
  let probing: Promise<void> | undefined;

  const record = (readiness: ChannelReadiness) => {
    last = { at: now(), readiness };
  };
  const failed = (reason: string) => record({ ready: false, state: redact(reason, secrets).slice(0, REASON_MAX) });

  const probe = async () => {
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        // Rejected before the abort, so a probe that settles on abort cannot pass for an answer.
        reject(new Error(`no answer within ${probeTimeoutMs} ms`));
        controller.abort();
      }, probeTimeoutMs);
    });
    try {
      // A probe that cannot be aborted (SMTP verify) still stops holding /readyz at the timeout.
      await Promise.race([opts.probe(controller.signal), timeout]);
      record({ ready: true, state: 'ok' });
    } catch (err) {
      failed(opts.describe(err));
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    succeeded: () => record({ ready: true, state: 'ok' }),
    failed,
    async check() {
      const age = last ? now() - last.at : Infinity;
      if (age < freshForMs) return last!.readiness;
      probing ??= probe().finally(() => {
        probing = undefined;
      });
      if (age >= 2 * freshForMs) await probing;
      return last!.readiness;
    },
  };
}

/**
 * `adapter` with each send's outcome told to `report` — nothing when it went out, what it threw otherwise — before
 * the caller sees it. `report` must not throw: a send that went out but reported an error would go out twice.
 */
export function reportingSends<A extends ChannelAdapter>(adapter: A, report: (err?: unknown) => void): A {
  return {
    ...adapter,
    async send(message) {
      let receipt: Awaited<ReturnType<A['send']>>;
      try {
        receipt = (await adapter.send(message)) as Awaited<ReturnType<A['send']>>;
      } catch (err) {
        report(err);
        throw err;
      }
      report();
      return receipt;
    },
  };
}
