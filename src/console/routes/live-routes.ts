/**
 * `GET /api/events` (server-sent events for the console), and the WhatsApp session's state and pairing QR for
 * supervisors and admins only: `GET /api/channels/whatsapp` (signed in or with an API token, for monitoring) and
 * the page `/console/channels/whatsapp`.
 */
import type { FastifyInstance } from 'fastify';
import { createHash } from 'node:crypto';
import { and, desc, eq } from 'drizzle-orm';
import { whatsappStatusView, whatsappStatusViewSchema, type WhatsappStatusView } from '../../channels/whatsapp/whatsapp-status-view';
import { recordAudit } from '../../staff/record-audit';
import { auditLog } from '../../store/schema';
import type { ApiRegistry } from '../api-route';
import { authenticate } from '../console-auth';
import type { ConsoleDeps } from '../console-deps';
import { UnauthenticatedError } from '../console-errors';
import type { LiveEvents } from '../live-events';
import { whatsappPage } from '../pages/whatsapp-page';
import { rolePages } from './role-pages';

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
  api.document({ method: 'GET', url: '/api/events', summary: 'Server-sent events: conversation.escalated, conversation.updated, message.received, message.sent, request.updated, whatsapp.down, whatsapp.up', tag: 'live', role: 'researcher', status: 200 });

  api.add({
    method: 'GET',
    url: '/api/channels/whatsapp',
    summary: "The WhatsApp session: state, pairing QR (PNG data URL) while waiting for a scan, last connected time. Views are audited.",
    tag: 'channels',
    role: 'supervisor',
    response: whatsappStatusViewSchema,
    handler: async ({ me, reply }) => {
      const view = await readWhatsappView(deps);
      await auditWhatsappView(deps, me.id, view);
      reply.header('cache-control', 'no-store');
      return view;
    },
  });

  const { page } = rolePages(deps);
  app.get(
    '/console/channels/whatsapp',
    page('supervisor', async (_req, _reply, ctx) => {
      const view = await readWhatsappView(deps);
      await auditWhatsappView(deps, ctx.me.id, view);
      return whatsappPage(ctx, view);
    }),
  );
}

/** The WhatsApp view for the console; `enabled` says whether this deployment runs the channel. */
export function readWhatsappView(deps: Pick<ConsoleDeps, 'env' | 'redis'>): Promise<WhatsappStatusView> {
  const { env } = deps;
  return whatsappStatusView({
    redis: deps.redis,
    prefix: env.QUEUE_PREFIX,
    clientId: env.WHATSAPP_CLIENT_ID,
    enabled: env.WHATSAPP_ENABLED || env.ROLES.includes('whatsapp'),
  });
}

/**
 * Who looked at the session, and which pairing QR they were shown (a hash: the QR itself is the key to the
 * number). The page polls every few seconds, so a view repeating the same staff member's last one within 30
 * minutes (same QR, or none) is not written again.
 */
export async function auditWhatsappView(deps: Pick<ConsoleDeps, 'db' | 'env'>, staffId: number, view: WhatsappStatusView): Promise<void> {
  const qr = view.qr ? createHash('sha256').update(view.qr).digest('hex').slice(0, 16) : null;
  const subjectId = `whatsapp:${deps.env.WHATSAPP_CLIENT_ID}`;
  const [last] = await deps.db
    .select({ details: auditLog.details, at: auditLog.at })
    .from(auditLog)
    .where(and(eq(auditLog.staffId, staffId), eq(auditLog.action, 'channel.view'), eq(auditLog.subjectId, subjectId)))
    .orderBy(desc(auditLog.id))
    .limit(1);
  const lastQr = (last?.details as { qr?: string | null } | undefined)?.qr ?? null;
  if (last && lastQr === qr && last.at.getTime() > Date.now() - 30 * 60_000) return;
  await recordAudit(deps.db, { staffId, action: 'channel.view', subjectKind: 'channel', subjectId, details: { state: view.state, qr } });
}
