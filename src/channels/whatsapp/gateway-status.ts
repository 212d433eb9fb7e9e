/**
 * The gateway's state, shared through Redis: the gateway process writes it, any web process serves it at
 * `GET /api/channels/whatsapp` (whatsapp-status-view.ts). The key expires unless the gateway refreshes it, so a dead gateway reads as
 * `offline` rather than as its last hopeful state.
 */
import type { Redis } from 'ioredis';
import { z } from 'zod';

export const gatewayStates = [
  /** No gateway process holds this number (none running, or it died). */
  'offline',
  /** Another process holds the number; this one waits to take over. */
  'standby',
  'starting',
  /** Waiting for the phone to scan the QR code. */
  'qr',
  'authenticated',
  'ready',
  /** Lost the connection; reconnecting with backoff. */
  'disconnected',
  /** Unlinked from the phone (LOGOUT/UNPAIRED): a new QR scan is needed. */
  'logged-out',
] as const;

export const gatewayStatusSchema = z.object({
  state: z.enum(gatewayStates),
  /** The raw QR payload while `state` is `qr`. */
  qr: z.string().nullable(),
  /** When the gateway entered this state (ISO 8601). */
  since: z.iso.datetime().nullable(),
  /** Why it is not ready (a disconnect reason, an error message), for staff. */
  reason: z.string().nullable().default(null),
});
export type GatewayStatus = z.infer<typeof gatewayStatusSchema>;
export type GatewayState = GatewayStatus['state'];

export const offlineStatus: GatewayStatus = { state: 'offline', qr: null, since: null, reason: null };

export const gatewayStatusKey = (prefix: string, clientId: string) => `${prefix}:whatsapp:status:${clientId}`;
/** When the session was last ready; unlike the status it never expires, so staff see it after a crash too. */
const lastReadyKey = (prefix: string, clientId: string) => `${prefix}:whatsapp:last-ready:${clientId}`;

export async function writeLastReady(redis: Redis, prefix: string, clientId: string, at: Date): Promise<void> {
  await redis.set(lastReadyKey(prefix, clientId), at.toISOString());
}

export async function readLastReady(redis: Redis, prefix: string, clientId: string): Promise<string | null> {
  const raw = await redis.get(lastReadyKey(prefix, clientId));
  return raw && z.iso.datetime().safeParse(raw).success ? raw : null;
}

export async function readGatewayStatus(redis: Redis, prefix: string, clientId: string): Promise<GatewayStatus> {
  const raw = await redis.get(gatewayStatusKey(prefix, clientId));
  if (!raw) return offlineStatus;
  const parsed = gatewayStatusSchema.safeParse(JSON.parse(raw));
  return parsed.success ? parsed.data : offlineStatus;
}

export async function writeGatewayStatus(redis: Redis, prefix: string, clientId: string, status: GatewayStatus, ttlMs: number): Promise<void> {
  await redis.set(gatewayStatusKey(prefix, clientId), JSON.stringify(status), 'PX', ttlMs);
}

/**
 * The WhatsApp part of a readiness probe (`GET /readyz`, owned by the web role): ready only when the session is.
 * A deployment without WhatsApp should not call it; `standby` is healthy for a spare gateway process but not ready.
 */
export async function whatsappReadiness(redis: Redis, prefix: string, clientId: string): Promise<{ ready: boolean; whatsapp: GatewayState }> {
  const { state } = await readGatewayStatus(redis, prefix, clientId);
  return { ready: state === 'ready', whatsapp: state };
}
