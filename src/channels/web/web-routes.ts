/**
 * HTTP side of the website chat:
 * - `GET /widget/wasl-widget.js` — the embeddable widget (one `<script>` tag on the charity's site);
 * - `GET /api/web/config` — the organisation's name and the optional "continue on WhatsApp" link;
 * - `POST /api/web/messages` — what the beneficiary typed or tapped, ingested like any channel's message;
 * - `GET /api/web/stream?deviceId=…` — replies (and, on a new page, the conversation so far) as server-sent
 *   events, resumed with `Last-Event-ID`;
 * - `GET /` — a demo page of the seed charity with the widget, when WEB_CHAT_DEMO_PAGE is on.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Organisation } from '../../config/organisation-schema';
import type { InboundMessageInput } from '../../messages/inbound-message';
import type { IngestResult } from '../../pipeline/ingest';
import type { Db } from '../../store/database';
import { parseLastEventId, streamReplies, type ReplyHub } from '../reply-stream';
import { applyCors } from './allowed-origins';
import { renderDemoPage } from './demo-page';
import { deviceIdSchema, webUserIdOf } from './device-id';
import type { RequestLimiter } from './request-limiter';

/** Longest message the widget may send; the widget enforces it too. */
export const WEB_MAX_TEXT = 2000;

export const webMessageBodySchema = z.object({
  deviceId: deviceIdSchema,
  /** Chosen by the widget per message, so a retried POST is stored once. */
  clientMessageId: z.string().regex(/^[A-Za-z0-9-]{8,64}$/),
  text: z.string().trim().min(1).max(WEB_MAX_TEXT),
});

export interface WebRouteDeps {
  db: Db;
  hub: ReplyHub;
  limiter: RequestLimiter;
  organisation: Organisation;
  allowedOrigins: Set<string>;
  whatsappNumber?: string;
  demoPage: boolean;
  limits: { messagesPerMinute: number; ipRequestsPerMinute: number };
  /** Where `public/widget` is. */
  widgetDir: string;
  ingest(message: InboundMessageInput): Promise<IngestResult>;
}

const MINUTE = 60_000;

export async function registerWebRoutes(app: FastifyInstance, deps: WebRouteDeps): Promise<void> {
  const widgetJs = readFileSync(path.join(deps.widgetDir, 'wasl-widget.js'), 'utf8');
  const demoTemplate = deps.demoPage ? readFileSync(path.join(deps.widgetDir, 'demo.html'), 'utf8') : '';

  /** 429 with Retry-After when a key is over its limit; true when the request may go on. */
  const within = async (reply: FastifyReply, ...limits: { key: string; max: number }[]): Promise<boolean> => {
    const verdict = await deps.limiter.take(limits, MINUTE);
    if (verdict.allowed) return true;
    void reply
      .code(429)
      .header('retry-after', String(Math.ceil(verdict.retryAfterMs / 1000)))
      .send({ error: 'too many messages; wait a moment and try again' });
    return false;
  };
  const ipLimit = (req: FastifyRequest) => ({ key: `web-ip:${req.ip}`, max: deps.limits.ipRequestsPerMinute });
  const ipWithin = (req: FastifyRequest, reply: FastifyReply) => within(reply, ipLimit(req));

  app.get('/widget/wasl-widget.js', async (_req, reply) =>
    reply
      .type('application/javascript; charset=utf-8')
      .header('cache-control', 'public, max-age=300')
      .header('cross-origin-resource-policy', 'cross-origin')
      .send(widgetJs),
  );

  if (deps.demoPage) {
    app.get('/', async (req, reply) =>
      reply
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-cache')
        .send(renderDemoPage(demoTemplate, deps.organisation, `${req.protocol}://${req.headers.host ?? 'localhost:3000'}`)),
    );
  }

  await app.register(async (api) => {
    api.addHook('onRequest', async (req, reply) => {
      if (!applyCors(req, reply, deps.allowedOrigins)) return reply;
      if (req.method === 'OPTIONS') {
        return reply
          .code(204)
          .header('access-control-allow-methods', 'GET, POST, OPTIONS')
          .header('access-control-allow-headers', 'content-type, last-event-id')
          .header('access-control-max-age', '600')
          .send();
      }
      return undefined;
    });
    api.options('/api/web/*', async (_req, reply) => reply.code(204).send());

    api.get('/api/web/config', async () => ({
      organisation: { name: deps.organisation.name, hotline: deps.organisation.hotline },
      whatsappUrl: deps.whatsappNumber ? `https://wa.me/${deps.whatsappNumber.replace(/\D/g, '')}` : null,
      maxTextLength: WEB_MAX_TEXT,
    }));

    api.post('/api/web/messages', { bodyLimit: 16 * 1024 }, async (req, reply) => {
      const parsed = webMessageBodySchema.safeParse(req.body);
      if (!parsed.success) {
        // Counted against the address all the same: a stream of malformed bodies is still a stream.
        if (!(await ipWithin(req, reply))) return reply;
        req.log.warn({ issues: parsed.error.issues.map((i) => i.path.join('.')) }, 'rejected web chat message');
        return reply.code(400).send({ error: 'invalid message', details: z.prettifyError(parsed.error) });
      }
      const { deviceId, clientMessageId, text } = parsed.data;
      const userId = webUserIdOf(deviceId);
      // Both limits in one round trip: the address (against someone minting device ids) and the device.
      if (!(await within(reply, ipLimit(req), { key: `web-device:${userId}`, max: deps.limits.messagesPerMinute }))) return reply;
      const result = await deps.ingest({ channel: 'web', channelUserId: userId, providerMessageId: `${userId}:${clientMessageId}`, text });
      return reply.code(202).send({ messageId: result.messageId, duplicate: result.duplicate });
    });

    api.get('/api/web/stream', async (req, reply) => {
      if (!(await ipWithin(req, reply))) return reply;
      const q = z.object({ deviceId: deviceIdSchema }).safeParse(req.query);
      if (!q.success) return reply.code(400).send({ error: 'invalid query', details: z.prettifyError(q.error) });
      const last = parseLastEventId(req.headers['last-event-id']);
      if (!last.ok) return reply.code(400).send({ error: 'invalid Last-Event-ID header', details: last.details });
      await streamReplies(req, reply, {
        db: deps.db,
        hub: deps.hub,
        channel: 'web',
        userId: webUserIdOf(q.data.deviceId),
        lastEventId: last.id,
        includeInbound: true,
        replayLimit: 200,
        format: (e) => ({
          direction: e.direction,
          text: e.text,
          choices: e.choices.map((c) => ({ number: c.number, label: c.label })),
          ...(e.stars ? { stars: true } : {}),
          ...(e.attachment ? { attachment: e.attachment } : {}),
        }),
      });
      return reply;
    });
  });
}
