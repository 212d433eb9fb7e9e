/**
 * How much work a process keeps in flight, by database (ADR 0012). On PostgreSQL the statements of the hot path
 * are gathered (ADR 0011), and a batch can only hold what is in flight when it starts: with eight drains and
 * eight sends a process a statement carried 1.2–2.7 messages, with 64 it carries enough that PostgreSQL's CPU a
 * message halves (docs/performance.md). On PGlite every role and the database share one thread and nothing is
 * gathered, so more jobs at once would only queue for that thread.
 */
import type { Env } from '../config/env-schema';
import type { Database } from '../store/database';

export interface InFlightLimits {
  /** Conversations one engine process drains at once. */
  engineConcurrency: number;
  /** Send jobs one outbound process runs at once per channel; each channel's own rate limit applies on top. */
  outboundConcurrency: number;
  /** The most calls one gathered statement carries; 1 gathers nothing. */
  statementBatch: number;
}

const BY_DATABASE: Record<Database['kind'], InFlightLimits> = {
  postgres: { engineConcurrency: 64, outboundConcurrency: 64, statementBatch: 64 },
  pglite: { engineConcurrency: 8, outboundConcurrency: 8, statementBatch: 1 },
};

/** The limits for a database, with ENGINE_CONCURRENCY and OUTBOUND_CONCURRENCY, when set, taking precedence. */
export function inFlightLimits(kind: Database['kind'], env: Pick<Env, 'ENGINE_CONCURRENCY' | 'OUTBOUND_CONCURRENCY'>): InFlightLimits {
  const defaults = BY_DATABASE[kind];
  return {
    engineConcurrency: env.ENGINE_CONCURRENCY ?? defaults.engineConcurrency,
    outboundConcurrency: env.OUTBOUND_CONCURRENCY ?? defaults.outboundConcurrency,
    statementBatch: defaults.statementBatch,
  };
}
