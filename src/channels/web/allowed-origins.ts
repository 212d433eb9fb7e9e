/**
 * CORS for the chat API: the widget runs on the charity's own site, so its requests come from another origin.
 * Only origins in WEB_CHAT_ALLOWED_ORIGINS (and Wasl's own address, for the demo page) may call the API; any
 * other site gets 403, so the API cannot be embedded elsewhere to spam the bot or run up SMS costs.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';

export function parseAllowedOrigins(list: string): Set<string> {
  return new Set(
    list
      .split(',')
      .map((s) => s.trim().replace(/\/+$/, '').toLowerCase())
      .filter(Boolean),
  );
}

/** The request's own origin (scheme and host as the browser used them). */
function ownOrigin(req: FastifyRequest): string {
  const proto = String(req.headers['x-forwarded-proto'] ?? req.protocol).split(',')[0]!.trim();
  return `${proto}://${req.headers.host ?? ''}`.toLowerCase();
}

/**
 * Applies the CORS rules; returns false (after answering 403) for a foreign origin. Requests without an
 * `Origin` header are same-origin GETs (an EventSource on the demo page) or not from a browser at all.
 */
export function applyCors(req: FastifyRequest, reply: FastifyReply, allowed: Set<string>): boolean {
  const origin = req.headers.origin;
  if (!origin) return true;
  const normalized = origin.toLowerCase();
  if (normalized !== ownOrigin(req) && !allowed.has(normalized)) {
    req.log.warn({ origin, url: req.url }, 'web chat request from an origin that is not allowed');
    void reply.code(403).send({ error: 'this site may not use the chat; add it to WEB_CHAT_ALLOWED_ORIGINS' });
    return false;
  }
  reply.header('access-control-allow-origin', origin);
  reply.header('vary', 'Origin');
  return true;
}
