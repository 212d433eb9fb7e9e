/**
 * How much work a process keeps in flight (ADR 0012). The statements of the hot path are gathered (ADR 0011),
 * and a batch can only hold what is in flight when it starts: with eight drains and eight sends a process a
 * statement carried 1.2–2.7 messages, with 64 it carries enough that the database's CPU a message halves
 * (docs/performance.md). The same on PGlite since it runs in a thread of its own (ADR 0016): there too the
 * statement, not the message, is what costs.
 */
import type { Env } from '../config/env-schema';

export interface InFlightLimits {
  /** Conversations one engine process drains at once. */
  engineConcurrency: number;
  /** Send jobs one outbound process runs at once per channel; each channel's own rate limit applies on top. */
  outboundConcurrency: number;
  /** The most calls one gathered statement carries; 1 gathers nothing. */
  statementBatch: number;
}

const DEFAULTS: InFlightLimits = { engineConcurrency: 64, outboundConcurrency: 64, statementBatch: 64 };

/** The limits, with ENGINE_CONCURRENCY and OUTBOUND_CONCURRENCY, when set, taking precedence. */
export function inFlightLimits(env: Pick<Env, 'ENGINE_CONCURRENCY' | 'OUTBOUND_CONCURRENCY'>): InFlightLimits {
  return {
    engineConcurrency: env.ENGINE_CONCURRENCY ?? DEFAULTS.engineConcurrency,
    outboundConcurrency: env.OUTBOUND_CONCURRENCY ?? DEFAULTS.outboundConcurrency,
    statementBatch: DEFAULTS.statementBatch,
  };
}
