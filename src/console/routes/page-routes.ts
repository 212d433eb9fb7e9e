/**
 * The console's HTML pages. Each is rendered on the server with escaping by default (console/html.ts); the small
 * script in public/console/console.js posts actions to the JSON API and refreshes parts of the page live.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { conversationListQuerySchema, getConversationDetail, listConversations } from '../../conversations/conversation-queries';
import { parseConversationState } from '../../engine/conversation-state';
import { recordAudit } from '../../staff/record-audit';
import { endSession } from '../../staff/staff-sessions';
import type { LoginThrottle } from '../../staff/login-throttle';
import { auditLog, conversations, staff } from '../../store/schema';
import { and, eq, gt } from 'drizzle-orm';
import { authenticate, checkCsrf, checkSameOrigin, clearSessionCookie, isHttps, LANG_COOKIE, type Authenticated } from '../console-auth';
import type { ConsoleDeps } from '../console-deps';
import { ConsoleError, CsrfError, TooManyAttemptsError } from '../console-errors';
import { parseCookies, serializeCookie } from '../cookies';
import { beneficiaryPage, searchPage } from '../pages/beneficiary-pages';
import { conversationPage, historyList } from '../pages/conversation-page';
import { inboxPage } from '../pages/inbox-page';
import { t, type PageContext } from '../pages/layout';
import { loginPage } from '../pages/login-page';
import { requestPage, requestsPage } from '../pages/request-pages';
import { getBeneficiaryDetail, searchBeneficiaries } from '../beneficiary-queries';
import { getRequestDetail, listRequests, localToday, requestListQuerySchema } from '../request-queries';
import { uiLanguages, type UiLanguage } from '../ui-text';
import { loginBodySchema, signIn } from './auth-routes';
import type { FastifyInstance } from 'fastify';

const LOGIN_CSRF_COOKIE = 'wasl_login_csrf';

/** Canned replies offered in the reply box: templates (both languages) the organisation edits like any other. */
export const cannedReplyKeys = ['canned.greeting', 'canned.ask-documents', 'canned.follow-up', 'canned.closing'] as const;

export function uiLanguage(req: FastifyRequest, reply: FastifyReply, secure: boolean): UiLanguage {
  const asked = (req.query as { lang?: string } | undefined)?.lang;
  if (asked && (uiLanguages as readonly string[]).includes(asked)) {
    reply.header('set-cookie', serializeCookie(LANG_COOKIE, asked, { secure, maxAgeSeconds: 365 * 86400, sameSite: 'Lax' }));
    return asked as UiLanguage;
  }
  const saved = parseCookies(req.headers.cookie)[LANG_COOKIE];
  return saved === 'en' ? 'en' : 'ar';
}

export function registerPageRoutes(app: FastifyInstance, deps: ConsoleDeps, throttle: LoginThrottle): void {
  const clock = deps.clock ?? (() => new Date());
  const secure = (req: FastifyRequest) => isHttps(req, deps.env);
  const ctxOf = (req: FastifyRequest, reply: FastifyReply, auth: Authenticated | null): PageContext => ({
    lang: uiLanguage(req, reply, secure(req)),
    me: auth?.me ?? null,
    csrfToken: auth?.csrfToken ?? null,
    path: req.url.replace(/([?&])lang=[a-z]+&?/, '$1').replace(/[?&]$/, ''),
  });
  const page = (handler: (req: FastifyRequest, reply: FastifyReply, ctx: PageContext & { me: NonNullable<PageContext['me']> }) => Promise<string>) =>
    async (req: FastifyRequest, reply: FastifyReply) => {
      const auth = await authenticate(deps.db, req);
      if (!auth || auth.me.via !== 'session') return reply.redirect('/console/login', 303);
      const ctx = ctxOf(req, reply, auth) as PageContext & { me: NonNullable<PageContext['me']> };
      const body = await handler(req, reply, ctx);
      return reply.type('text/html; charset=utf-8').send(body);
    };
  /**
   * Live refreshes fetch the page again every few seconds; they are not recorded again while the same person's
   * view of the same subject is less than 30 minutes old. The header alone never skips the record: a view with
   * no recent audit row is always written, so nobody can read a record unaudited by sending it.
   */
  const isRefresh = async (req: FastifyRequest, staffId: number, kind: string, id: number) => {
    if (req.headers['x-console-refresh'] !== '1') return false;
    const [recent] = await deps.db
      .select({ id: auditLog.id })
      .from(auditLog)
      .where(
        and(
          eq(auditLog.staffId, staffId),
          eq(auditLog.action, `${kind}.view`),
          eq(auditLog.subjectId, String(id)),
          gt(auditLog.at, new Date(clock().getTime() - 30 * 60_000)),
        ),
      )
      .limit(1);
    return Boolean(recent);
  };

  app.get('/console/login', async (req, reply) => {
    const token = randomBytes(24).toString('base64url');
    reply.header('set-cookie', serializeCookie(LOGIN_CSRF_COOKIE, token, { secure: secure(req), maxAgeSeconds: 3600 }));
    return reply.type('text/html; charset=utf-8').send(loginPage(ctxOf(req, reply, null), token, null));
  });

  app.post('/console/login', async (req, reply) => {
    const body = (req.body ?? {}) as Record<string, string>;
    const ctx = ctxOf(req, reply, null);
    // Login CSRF: a double-submit cookie plus the Origin check, so another site cannot sign a browser into our console.
    checkSameOrigin(req);
    const cookie = parseCookies(req.headers.cookie)[LOGIN_CSRF_COOKIE] ?? '';
    const sent = String(body._csrf ?? '');
    if (!cookie || cookie.length !== sent.length || !timingSafeEqual(Buffer.from(cookie), Buffer.from(sent))) throw new CsrfError();
    const creds = loginBodySchema.safeParse(body);
    const again = (status: number, message: string) =>
      reply.code(status).type('text/html; charset=utf-8').send(loginPage(ctx, cookie, message, String(body.email ?? '')));
    if (!creds.success) return again(400, t(ctx, 'badCredentials'));
    try {
      await signIn(deps, throttle, req, reply, creds.data);
    } catch (err) {
      if (err instanceof TooManyAttemptsError) return again(429, `${t(ctx, 'lockedOut')} (${Math.ceil(err.retryAfterSeconds / 60)} ${t(ctx, 'minutes')})`);
      if (err instanceof ConsoleError && err.statusCode === 401) return again(401, t(ctx, 'badCredentials'));
      throw err;
    }
    return reply.redirect('/console', 303);
  });

  app.post('/console/logout', async (req, reply) => {
    const auth = await authenticate(deps.db, req);
    if (auth?.sessionToken) {
      checkCsrf(req, auth);
      await endSession(deps.db, auth.sessionToken);
      await recordAudit(deps.db, { staffId: auth.me.id, action: 'session.logout', subjectKind: 'session', subjectId: auth.me.id });
    }
    clearSessionCookie(reply, secure(req));
    return reply.redirect('/console/login', 303);
  });

  app.get(
    '/console',
    page(async (req, _reply, ctx) => {
      const q = conversationListQuerySchema.parse(req.query ?? {});
      const rows = await listConversations(deps.db, ctx.me, q, clock());
      return inboxPage(ctx, q.view, rows);
    }),
  );

  app.get(
    '/console/conversations/:id',
    page(async (req, _reply, ctx) => {
      const { id } = z.object({ id: z.coerce.number().int().positive() }).parse(req.params);
      const detail = await getConversationDetail(deps.db, ctx.me, id, clock());
      if (!(await isRefresh(req, ctx.me.id, 'conversation', id))) {
        await recordAudit(deps.db, { staffId: ctx.me.id, action: 'conversation.view', subjectKind: 'conversation', subjectId: id, beneficiaryId: detail.conversation.beneficiary.id });
      }
      const colleagues = await deps.db.select({ id: staff.id, name: staff.name }).from(staff).where(eq(staff.active, true)).orderBy(staff.name);
      const [conv] = await deps.db.select({ state: conversations.state, channel: conversations.channel }).from(conversations).where(and(eq(conversations.id, id)));
      const lang = parseConversationState(conv?.state).language ?? deps.content.organisation.defaultLanguage;
      const canned = cannedReplyKeys.map((key) => ({ key, text: deps.renderer.text(key, lang, conv?.channel ?? 'cli') }));
      return conversationPage(ctx, detail, { staff: colleagues, flows: [...deps.content.flows.current.keys()].sort(), canned });
    }),
  );

  app.get(
    '/console/requests',
    page(async (req, _reply, ctx) => {
      const raw = Object.fromEntries(Object.entries((req.query ?? {}) as Record<string, string>).filter(([k, v]) => v !== '' && k !== 'lang'));
      const q = requestListQuerySchema.parse(raw);
      return requestsPage(ctx, q, await listRequests(deps.db, q, localToday(clock(), deps.content.organisation.timezone)));
    }),
  );

  app.get(
    '/console/requests/:id',
    page(async (req, _reply, ctx) => {
      const { id } = z.object({ id: z.coerce.number().int().positive() }).parse(req.params);
      const detail = await getRequestDetail(deps.db, deps.sealer, id, localToday(clock(), deps.content.organisation.timezone));
      if (!(await isRefresh(req, ctx.me.id, 'request', id))) await recordAudit(deps.db, { staffId: ctx.me.id, action: 'request.view', subjectKind: 'request', subjectId: id, beneficiaryId: detail.beneficiaryId });
      return requestPage(ctx, detail);
    }),
  );

  app.get(
    '/console/beneficiaries/:id',
    page(async (req, _reply, ctx) => {
      const { id } = z.object({ id: z.coerce.number().int().positive() }).parse(req.params);
      const detail = await getBeneficiaryDetail(deps.db, deps.sealer, id);
      if (!(await isRefresh(req, ctx.me.id, 'beneficiary', id))) await recordAudit(deps.db, { staffId: ctx.me.id, action: 'beneficiary.view', subjectKind: 'beneficiary', subjectId: id, beneficiaryId: id });
      return beneficiaryPage(ctx, detail, deps.content.organisation.timezone);
    }),
  );

  app.get(
    '/console/search',
    page(async (req, _reply, ctx) => {
      const q = String((req.query as { q?: string }).q ?? '').trim();
      if (q.length < 2) return searchPage(ctx, q, null);
      const found = await searchBeneficiaries(deps.db, deps.sealer, q);
      await recordAudit(deps.db, { staffId: ctx.me.id, action: 'beneficiary.search', subjectKind: 'beneficiary', subjectId: '-', details: { results: found.length } });
      return searchPage(ctx, q, found);
    }),
  );

  app.get('/console/whatsapp', async (_req, reply) => reply.redirect('/console/channels/whatsapp', 301));
}

export { historyList };
