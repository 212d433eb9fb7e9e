/**
 * SMS's part of `/readyz`. SMS gateways have no cheap call that proves a message would go out (balance and
 * account endpoints differ per provider, and some count against a quota), so "ready" means: a provider is
 * configured, and no send in the last `failureStandsForMs` failed because the provider could not be reached,
 * timed out or answered 5xx, and none was refused with 401/403 (our credentials refused, the account suspended:
 * nothing can go out). A provider that answered otherwise — even refusing one number, or 429 — is reachable.
 *
 * Sends run in the outbound role, often another process than the web role answering `/readyz`, so the last such
 * failure is kept in Redis, where it expires on its own; any send the provider answers clears it.
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { ChannelDeliveryError, type ChannelAdapter } from '../channel-adapter';
import { redact, reportingSends, type ChannelReadiness } from '../channel-readiness';

export interface SmsReadinessOptions {
  /** How long a failed send keeps the channel not ready unless a later send goes through. @defaultValue 300000 */
  failureStandsForMs?: number;
}

export interface SmsReadiness {
  /** The adapter, reporting each send's outcome. */
  observe(adapter: ChannelAdapter): ChannelAdapter;
  check(): Promise<ChannelReadiness>;
}

/** A failure that says the provider cannot take messages now: network, timeout, 408 or 5xx (provider-http.ts). */
function providerDown(err: unknown): boolean {
  return err instanceof ChannelDeliveryError && err.retryable && err.retryAfterMs === undefined;
}

/** The reason a 401/403 keeps the channel not ready; from the status alone, never the body (it may echo a key). */
function credentialsRefused(err: unknown): string | undefined {
  if (!(err instanceof ChannelDeliveryError) || (err.status !== 401 && err.status !== 403)) return undefined;
  return `SMS provider refused our credentials (${err.status})`;
}

export function createSmsReadiness(
  deps: { redis: Redis; prefix: string; log: Logger; secrets: readonly (string | undefined)[] },
  options: SmsReadinessOptions = {},
): SmsReadiness {
  const key = `${deps.prefix}:readiness:sms`;
  const standsForMs = options.failureStandsForMs ?? 300_000;
  // Bookkeeping must never fail or delay a send: a send that went out but reported an error would go out twice.
  const remember = (write: Promise<unknown>) => void write.catch((err: unknown) => deps.log.warn({ err }, 'could not record the SMS send outcome for /readyz'));

  return {
    observe: (adapter) =>
      reportingSends(adapter, (err) => {
        // Any answer from the provider clears a failure; only an unreachable provider or refused credentials set one.
        const refused = credentialsRefused(err);
        if (refused) remember(deps.redis.set(key, refused, 'PX', standsForMs));
        else if (providerDown(err)) remember(deps.redis.set(key, redact((err as Error).message, deps.secrets).slice(0, 200), 'PX', standsForMs));
        else if (err === undefined || err instanceof ChannelDeliveryError) remember(deps.redis.del(key));
      }),
    async check() {
      // Commands wait for a reconnect while Redis is down; /readyz reports that instead of waiting.
      if (deps.redis.status !== 'ready') return { ready: false, state: 'last send unknown: Redis unreachable' };
      const failure = await deps.redis.get(key);
      return failure === null ? { ready: true, state: 'ok' } : { ready: false, state: `last send failed: ${failure}` };
    },
  };
}
