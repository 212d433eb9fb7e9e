/**
 * One HTTP call to an SMS provider, with its failure classified for the outbound queue: a network error, a
 * timeout, 429 or 5xx may succeed later (retryable; 429 pauses the queue for Retry-After); any other 4xx will
 * not (permanent: a wrong number, a sender name not registered, no credit, credentials refused). The error carries
 * the HTTP status whenever the provider answered.
 */
import { ChannelDeliveryError } from '../channel-adapter';
import type { SmsProviderName } from './sms-provider';

export interface ProviderResponse {
  status: number;
  body: unknown;
}

const TIMEOUT_MS = 15_000;

/** Calls the provider; returns the parsed body of a 2xx response and throws a classified error otherwise. */
export async function callSmsProvider(
  provider: SmsProviderName,
  url: string,
  init: { method: 'POST'; headers: Record<string, string>; body: string },
): Promise<ProviderResponse> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (cause) {
    throw new ChannelDeliveryError(`${provider}: no answer from ${new URL(url).host} (${(cause as Error).message})`, 'sms', true, undefined, { cause });
  }
  const raw = await res.text();
  let body: unknown = raw;
  try {
    body = raw ? JSON.parse(raw) : {};
  } catch {
    // Some gateways answer errors in plain text; keep it for the message.
  }
  if (res.ok) return { status: res.status, body };
  const detail = describe(body).slice(0, 300);
  if (res.status === 429) {
    const retryAfterMs = retryAfter(res.headers.get('retry-after'));
    throw new ChannelDeliveryError(`${provider}: rate limited (429) ${detail}`, 'sms', true, retryAfterMs, { status: 429 });
  }
  const retryable = res.status >= 500 || res.status === 408;
  // The status travels on the error: a 401/403 (credentials refused, account suspended) marks SMS not ready.
  throw new ChannelDeliveryError(`${provider}: HTTP ${res.status} ${detail}`, 'sms', retryable, undefined, { status: res.status });
}

/** A permanent failure reported inside a 2xx answer (Unifonic's `success: false`). */
export function providerRefused(provider: SmsProviderName, detail: unknown): ChannelDeliveryError {
  return new ChannelDeliveryError(`${provider}: refused ${describe(detail).slice(0, 300)}`, 'sms', false);
}

function describe(body: unknown): string {
  return typeof body === 'string' ? body : JSON.stringify(body);
}

/** Retry-After in seconds or as an HTTP date; at least a second, at most ten minutes. */
function retryAfter(header: string | null): number {
  if (!header) return 5_000;
  const seconds = Number(header);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - Date.now();
  return Math.min(Math.max(Number.isFinite(ms) ? ms : 5_000, 1_000), 600_000);
}
