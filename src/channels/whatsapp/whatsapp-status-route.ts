/**
 * `GET /api/channels/whatsapp` → `{ state, qr, since, reason }`, `qr` being a PNG data URL while the gateway
 * waits for the phone to scan it, for the staff console to show.
 *
 * There is no staff authentication yet (the console issue brings it): until then the route is protected by a
 * shared Bearer token, WHATSAPP_STATUS_TOKEN, and is not served at all (404) when that is unset — the QR code
 * is the key to the charity's WhatsApp number.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import QRCode from 'qrcode';
import { readGatewayStatus } from './gateway-status';

export const whatsappStatusPath = '/api/channels/whatsapp';

export interface StatusRouteDeps {
  token: string | undefined;
  redis: Redis;
  prefix: string;
  clientId: string;
}

export async function registerWhatsappStatusRoute(app: FastifyInstance, deps: StatusRouteDeps): Promise<void> {
  const { token } = deps;
  app.get(whatsappStatusPath, async (req, reply) => {
    if (!token) return reply.code(404).send({ error: 'not found' });
    if (!bearerMatches(req.headers.authorization, token)) {
      req.log.warn({ url: req.url, ip: req.ip }, 'WhatsApp status refused: missing or wrong token');
      return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'unauthorized' });
    }
    const status = await readGatewayStatus(deps.redis, deps.prefix, deps.clientId);
    reply.header('cache-control', 'no-store');
    return {
      state: status.state,
      qr: status.qr ? await QRCode.toDataURL(status.qr, { errorCorrectionLevel: 'M', margin: 2, width: 320 }) : null,
      since: status.since,
      reason: status.reason,
    };
  });
}

/** Constant-time comparison; hashing first makes the lengths equal, as timingSafeEqual requires. */
function bearerMatches(header: string | undefined, token: string): boolean {
  const given = /^Bearer\s+(\S+)$/i.exec(header ?? '')?.[1];
  if (!given) return false;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(token));
}
