/**
 * `GET /api/events` (server-sent events for the console) and `GET /api/console/whatsapp` (the WhatsApp channel's
 * state and pairing QR, fetched server-side with the channel's own status token so the browser never holds it).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { whatsappStatusPathForConsole } from '../whatsapp-status';
import type { ApiRegistry } from '../api-route';
import { authenticate } from '../console-auth';
import type { ConsoleDeps } from '../console-deps';
import { UnauthenticatedError } from '../console-errors';
import type { LiveEvents } from '../live-events';

export function registerLiveRoutes(app: FastifyInstance, api: ApiRegistry, deps: ConsoleDeps, events: LiveEvents): void {
  const open = new Set<{ end(): void }>();
  // Event streams never end on their own: close them first, or shutting the server down would wait for them.
  app.addHook('preClose', async () => {
    for (const res of open) res.end();
  });
  app.get('/api/events', async (req, reply) => {
    const auth = await authenticate(deps.db, req);
    if (!auth) throw new UnauthenticatedError();
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write(': connected\n\n');
    const off = events.subscribe((e) => res.write(`event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`));
    const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
    open.add(res);
    req.raw.on('close', () => {
      clearInterval(ping);
      off();
      open.delete(res);
    });
  });
  api.document({ method: 'GET', url: '/api/events', summary: 'Server-sent events: conversation.escalated, conversation.updated, message.received, message.sent, request.updated', tag: 'live', role: 'researcher', status: 200 });

  api.add({
    method: 'GET',
    url: '/api/console/whatsapp',
    summary: "The WhatsApp channel's state and pairing QR (as GET /api/channels/whatsapp returns them)",
    tag: 'channels',
    role: 'supervisor',
    response: z.object({ available: z.boolean(), status: z.number().optional(), body: z.unknown().optional() }),
    handler: async ({ req }) => {
      const address = req.server.server.address();
      const port = typeof address === 'object' && address ? address.port : deps.env.PORT;
      try {
        const res = await fetch(`http://127.0.0.1:${port}${whatsappStatusPathForConsole}`, {
          headers: deps.env.WHATSAPP_STATUS_TOKEN ? { authorization: `Bearer ${deps.env.WHATSAPP_STATUS_TOKEN}` } : {},
        });
        if (res.status === 404) return { available: false, status: 404 };
        const text = await res.text();
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // Not JSON: shown as text.
        }
        return { available: res.ok, status: res.status, body };
      } catch (err) {
        return { available: false, body: (err as Error).message };
      }
    },
  });
}
