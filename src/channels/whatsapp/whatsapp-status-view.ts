/**
 * What the staff console shows of the WhatsApp session at `GET /api/channels/whatsapp` and on the pairing page
 * (`/console/channels/whatsapp`): the state the gateway publishes in Redis, the pairing QR as a PNG data URL
 * while the gateway waits for the phone to scan it, and when the session was last connected. The QR code is
 * the key to the charity's number: only the console serves it, behind its sign-in, to supervisors and admins.
 */
import type { Redis } from 'ioredis';
import QRCode from 'qrcode';
import { z } from 'zod';
import { gatewayStates, readGatewayStatus, readLastReady } from './gateway-status';

export const whatsappStatusViewSchema = z.object({
  /** Whether this deployment runs WhatsApp at all. */
  enabled: z.boolean(),
  state: z.enum(gatewayStates),
  /** PNG data URL of the pairing QR while `state` is `qr`. */
  qr: z.string().nullable(),
  /** When the session entered this state (ISO 8601). */
  since: z.string().nullable(),
  reason: z.string().nullable(),
  /** When the session was last ready (ISO 8601), kept across restarts. */
  lastConnectedAt: z.string().nullable(),
});
export type WhatsappStatusView = z.infer<typeof whatsappStatusViewSchema>;

export async function whatsappStatusView(deps: { redis: Redis; prefix: string; clientId: string; enabled: boolean }): Promise<WhatsappStatusView> {
  const [status, lastReady] = await Promise.all([readGatewayStatus(deps.redis, deps.prefix, deps.clientId), readLastReady(deps.redis, deps.prefix, deps.clientId)]);
  return {
    enabled: deps.enabled,
    state: status.state,
    qr: status.state === 'qr' && status.qr ? await QRCode.toDataURL(status.qr, { errorCorrectionLevel: 'M', margin: 2, width: 320 }) : null,
    since: status.since,
    reason: status.reason,
    lastConnectedAt: status.state === 'ready' ? (status.since ?? lastReady) : lastReady,
  };
}
