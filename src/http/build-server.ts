/**
 * The web role's HTTP server, built without listening so tests can `inject()` into it. Channels add their
 * routes; one error handler keeps a bad request a 4xx with a clear message, logged, and never a crash.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { TrustProxy } from '../config/env-schema';

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, { ready: boolean; state: string }>;
}

/** Fastify's types take no hop count (proxy-addr does), so N hops becomes "trust the nearest N". */
function toFastifyTrustProxy(t: TrustProxy): boolean | string[] | ((address: string, hop: number) => boolean) {
  return typeof t === 'number' ? (_address, hop) => hop < t : t;
}

export function buildServer(opts: {
  log: Logger;
  health(): Promise<Record<string, string>>;
  /** Database, Redis and every channel with a session of its own. */
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
  // traffic to a web process whose database is gone, and operators see a WhatsApp session that dropped.
  app.get('/readyz', async (_req, reply) => {
    const report = await opts.readiness();
    return reply.code(report.ready ? 200 : 503).send(report);
  });
  app.get('/metrics', async (_req, reply) => reply.type('text/plain; version=0.0.4').send(await opts.metrics()));
  return app;
}
