/**
 * Pages and HTML form posts that need a least role (reports for everyone, follow-ups for supervisors, staff
 * management for admins). Like the other console pages they need a browser session; a role too low gets a 403
 * page, never the content. Form posts also pass the session's CSRF check (`_csrf` field) and Origin check.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { hasRole, type StaffPrincipal, type StaffRole } from '../../staff/staff-roles';
import { authenticate, checkCsrf, isHttps, type Authenticated } from '../console-auth';
import type { ConsoleDeps } from '../console-deps';
import { html } from '../html';
import { layout, t, type PageContext } from '../pages/layout';
import { uiLanguage } from './page-routes';

export type SignedInPage = PageContext & { me: StaffPrincipal };
export type PageHandler = (req: FastifyRequest, reply: FastifyReply, ctx: SignedInPage, auth: Authenticated) => Promise<string | FastifyReply>;

export function rolePages(deps: ConsoleDeps) {
  const contextOf = (req: FastifyRequest, reply: FastifyReply, auth: Authenticated): SignedInPage => ({
    lang: uiLanguage(req, reply, isHttps(req, deps.env)),
    me: auth.me,
    csrfToken: auth.csrfToken,
    path: req.url.replace(/([?&])lang=[a-z]+&?/, '$1').replace(/[?&]$/, ''),
  });
  const wrap = (role: StaffRole, form: boolean, handler: PageHandler) => async (req: FastifyRequest, reply: FastifyReply) => {
    const auth = await authenticate(deps.db, req);
    if (!auth || auth.me.via !== 'session') return reply.redirect('/console/login', 303);
    if (form) checkCsrf(req, auth);
    const ctx = contextOf(req, reply, auth);
    if (!hasRole(auth.me.role, role)) {
      return reply.code(403).type('text/html; charset=utf-8').send(layout(ctx, t(ctx, 'forbidden'), html`<h1>${t(ctx, 'forbidden')}</h1>`, { pageId: 'forbidden' }));
    }
    // Set before the handler, so a form's re-rendered page (sent by the handler with its own status) is HTML too.
    reply.type('text/html; charset=utf-8');
    const out = await handler(req, reply, ctx, auth);
    if (typeof out !== 'string') return out;
    return reply.type('text/html; charset=utf-8').send(out);
  };
  return {
    /** A GET page for `role` and above. */
    page: (role: StaffRole, handler: PageHandler) => wrap(role, false, handler),
    /** A POST form for `role` and above: CSRF-checked before the handler runs. */
    form: (role: StaffRole, handler: PageHandler) => wrap(role, true, handler),
  };
}
