/**
 * The staff console (`/console`) and its JSON API (`/api/…`), in one encapsulated Fastify context with its own
 * error handler, form parser and security headers (a Content-Security-Policy without inline scripts). Also
 * starts what the console needs behind the scenes: live events over Redis, the escalation watcher (engine signals
 * pushed over Redis, with a slow poll as a safety net) and the
 * `staff-notify` queue. Registered by the web role: `const c = await registerConsole(server, deps)` before
 * `listen`, and `c.close()` on shutdown.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyError, FastifyInstance } from 'fastify';
import { createConversationOps } from '../conversations/conversation-ops';
import { createFlowStarter } from '../pipeline/start-flow';
import { createLoginThrottle } from '../staff/login-throttle';
import { startEscalationWatcher } from '../staff/escalation-watcher';
import { createStaffNotifier, staffNotifyConfigured } from '../staff/staff-notify';
import { registerReportRoutes } from '../reports/report-routes';
import { authenticate } from './console-auth';
import type { RequestWithStaff } from '../reports/viewer';
import { scheduleSurvey } from '../surveys/schedule-survey';
import { ApiRegistry } from './api-route';
import type { ConsoleDeps } from './console-deps';
import { chartJsBody, CHART_SCRIPT_PATH } from './chart-asset';
import { ConsoleError } from './console-errors';
import { createLiveEvents } from './live-events';
import { registerAuthRoutes } from './routes/auth-routes';
import { registerBeneficiaryRoutes } from './routes/beneficiary-routes';
import { registerConversationRoutes } from './routes/conversation-routes';
import { registerLiveRoutes } from './routes/live-routes';
import { registerFollowUpRoutes } from './routes/follow-up-routes';
import { registerPageRoutes } from './routes/page-routes';
import { registerReportPageRoutes } from './routes/report-page-routes';
import { registerStaffAdminRoutes } from './routes/staff-admin-routes';
import { registerRequestRoutes } from './routes/request-routes';
import { registerPrivacyRoutes } from './routes/privacy-routes';
import { registerPrivacyPageRoutes } from './routes/privacy-page-routes';
import { registerStaffRoutes } from './routes/staff-routes';

export const publicConsoleDir = path.join(__dirname, '..', '..', 'public', 'console');

const assets: Record<string, string> = {
  'console.js': 'text/javascript; charset=utf-8',
  'console.css': 'text/css; charset=utf-8',
  'reports.js': 'text/javascript; charset=utf-8',
};

/** No inline script or style anywhere: injected markup that slipped past escaping still could not run. */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export interface ConsoleRuntime {
  close(): Promise<void>;
}

export async function registerConsole(app: FastifyInstance, deps: ConsoleDeps): Promise<ConsoleRuntime> {
  const clock = deps.clock ?? (() => new Date());
  const prefix = deps.env.QUEUE_PREFIX;
  const events = await createLiveEvents(deps.redis, prefix);
  const connection = { url: deps.env.REDIS_URL, maxRetriesPerRequest: null } as const;
  const notifier = staffNotifyConfigured(deps.env) ? createStaffNotifier({ env: deps.env, db: deps.db, log: deps.log, connection, prefix }) : null;
  const watcher = await startEscalationWatcher({
    db: deps.db,
    redis: deps.redis,
    prefix,
    log: deps.log,
    events,
    ...(notifier ? { notify: (n) => notifier.notify(n) } : {}),
    ...(deps.watchEveryMs ? { everyMs: deps.watchEveryMs } : {}),
    clock,
  });
  const survey =
    deps.scheduleSurvey ??
    ((subject) => scheduleSurvey({ db: deps.db, queues: deps.queues, log: deps.log, organisation: deps.content.organisation, clock }, subject));
  const fullDeps: ConsoleDeps = { ...deps, scheduleSurvey: survey };
  const ops = createConversationOps({
    db: deps.db,
    queues: deps.queues,
    content: deps.content,
    renderer: deps.renderer,
    log: deps.log,
    clock,
    scheduleSurvey: survey,
    documents: deps.documents,
    ...(deps.engine ? { startFlow: createFlowStarter(deps.engine) } : {}),
    ...(deps.counters ? { counters: deps.counters } : {}),
  });
  const throttle = createLoginThrottle(deps.redis, prefix, deps.loginLimits);

  await app.register(async (ctx) => {
    ctx.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 64 * 1024 }, (_req, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(String(body))));
    });
    ctx.addHook('onSend', async (req, reply, payload) => {
      reply.header('content-security-policy', CONSOLE_CSP);
      reply.header('x-content-type-options', 'nosniff');
      reply.header('referrer-policy', 'same-origin');
      reply.header('x-frame-options', 'DENY');
      if (!req.url.startsWith('/console/assets/')) reply.header('cache-control', 'no-store');
      return payload;
    });
    ctx.setErrorHandler((err: FastifyError | ConsoleError, req, reply) => {
      if (err instanceof ConsoleError) {
        if (err.statusCode >= 500) req.log.error({ err }, 'console request failed');
        return reply.code(err.statusCode).send({ error: err.message, code: err.code, details: err.details });
      }
      const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
      if (status >= 500) req.log.error({ err, url: req.url }, 'console request failed');
      return reply.code(status).send({ error: status >= 500 ? 'internal error' : err.message, code: status >= 500 ? 'CONSOLE_ERR_INTERNAL' : 'CONSOLE_ERR_INVALID' });
    });

    const api = new ApiRegistry(ctx, deps.db);
    registerAuthRoutes(api, fullDeps, throttle);
    registerConversationRoutes(api, fullDeps, ops, events);
    registerRequestRoutes(api, fullDeps, events);
    registerBeneficiaryRoutes(api, fullDeps, ops);
    registerStaffRoutes(api, fullDeps);
    registerPrivacyRoutes(api, fullDeps);
    registerLiveRoutes(ctx, api, fullDeps, events);
    registerPageRoutes(ctx, fullDeps, throttle);
    registerReportPageRoutes(ctx, fullDeps);
    registerFollowUpRoutes(ctx, api, fullDeps);
    registerStaffAdminRoutes(ctx, api, fullDeps);
    registerPrivacyPageRoutes(ctx, fullDeps);
    // Survey reports sit behind the same sign-in; the reports decide what each role may see.
    registerReportRoutes(ctx, { db: deps.db, timezone: deps.content.organisation.timezone }, async (req, reply) => {
      const auth = await authenticate(deps.db, req);
      if (!auth) return reply.code(401).send({ error: 'not signed in', code: 'CONSOLE_ERR_UNAUTHENTICATED' });
      (req as RequestWithStaff).staff = { id: auth.me.id, role: auth.me.role };
    });
    const openApi = api.openApi({ title: 'Wasl staff console API', version: '1' });
    ctx.get('/api/openapi.json', async () => openApi);

    // Versioned by its URL's `?v=` (chart-asset.ts), so it may be cached for a year.
    ctx.get(CHART_SCRIPT_PATH, async (_req, reply) =>
      reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=31536000, immutable').send(chartJsBody()),
    );
    ctx.get('/console/assets/:file', async (req, reply) => {
      const file = (req.params as { file: string }).file;
      const type = assets[file];
      if (!type) return reply.code(404).send({ error: 'not found', code: 'CONSOLE_ERR_NOT_FOUND' });
      return reply.type(type).header('cache-control', 'no-cache').send(await readFile(path.join(publicConsoleDir, file)));
    });
  });

  return {
    async close() {
      await watcher.stop();
      await notifier?.close();
      await events.close();
    },
  };
}
