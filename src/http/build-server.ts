/**
 * The web role's HTTP server, built without listening so tests can `inject()` into it. Channels add their
 * routes; one error handler keeps a bad request a 4xx with a clear message, logged, and never a crash.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { TrustProxy } from '../config/env-schema';

export interface ReadinessReport {
  /** The database and Redis answer: this process can take work. */
  ready: boolean;
  /** `degraded`: ready, but a channel cannot reach its provider; `unavailable`: not ready. */
  status: 'ok' | 'degraded' | 'unavailable';
  checks: Record<string, { ready: boolean; state: string }>;
}

const readyzQuery = z.object({
  strict: z
    .enum(['true', 'false', '1', '0'], { message: 'strict is true, false, 1 or 0' })
    .transform((v) => v === 'true' || v === '1')
    .optional(),
});

/** Fastify's types take no hop count (proxy-addr does), so N hops becomes "trust the nearest N". */
function toFastifyTrustProxy(t: TrustProxy): boolean | string[] | ((address: string, hop: number) => boolean) {
  return typeof t === 'number' ? (_address, hop) => hop < t : t;
}

export function buildServer(opts: {
  log: Logger;
  health(): Promise<Record<string, string>>;
  /** Database, Redis and every enabled channel that reaches a provider. */
  readiness(): Promise<ReadinessReport>;
  /** Prometheus text exposition of the process's gauges. */
  metrics(): Promise<string>;
  /**
   * Behind a reverse proxy, `req.ip` and `req.protocol` come from X-Forwarded-For/-Proto only for the proxies
   * trusted here; otherwise a client could pick the address every per-IP limit sees.
   */
  trustProxy?: TrustProxy;
}): FastifyInstance {
  const app = Fastify({
    loggerInstance: opts.log as FastifyBaseLogger,
    bodyLimit: 16 * 1024 * 1024,
    disableRequestLogging: true,
    trustProxy: toFastifyTrustProxy(opts.trustProxy ?? false),
  });
  app.setErrorHandler((err: Error & { statusCode?: number }, req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status >= 500) req.log.error({ err, url: req.url }, 'request failed');
    else req.log.warn({ url: req.url, reason: err.message }, 'bad request');
    return reply.code(status).send({ error: status >= 500 ? 'internal error' : err.message });
  });
  app.get('/api/health', async (_req, reply) => {
    try {
      return { status: 'ok', ...(await opts.health()) };
    } catch (err) {
      return reply.code(503).send({ status: 'unavailable', reason: (err as Error).message });
    }
  });
  // Liveness: the process answers HTTP. No dependency is checked, so a database outage does not get every
  // web process restarted by its supervisor (that is what /readyz is for).
  app.get('/healthz', async () => ({ status: 'ok' }));
  // Liveness says the process answers; readiness says it can do its job — a load balancer stops sending
  // traffic to a web process whose database is gone. A channel whose provider is unreachable is reported
  // (`degraded`, and wasl_ready in /metrics) but answers 200: taking the process out of rotation would stop the
  // website chat and every other channel's webhooks because Telegram is down. `?strict=true` counts channels
  // too, for a monitor that only sees status codes.
  app.get('/readyz', async (req, reply) => {
    const query = readyzQuery.safeParse(req.query);
    if (!query.success) return reply.code(400).send({ error: 'invalid query', details: z.prettifyError(query.error) });
    const report = await opts.readiness();
    const ok = query.data.strict ? report.status === 'ok' : report.ready;
    return reply.code(ok ? 200 : 503).send(report);
  });
  app.get('/metrics', async (_req, reply) => reply.type('text/plain; version=0.0.4').send(await opts.metrics()));
  return app;
}
