/**
 * Signing in and out. A sign-in always starts a fresh session (the cookie the browser brought, if any, is
 * ended: no session fixation) and is limited per IP and per account.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { dummyVerify, verifyPassword } from '../../staff/password-hash';
import { recordAudit } from '../../staff/record-audit';
import { findActiveStaffByEmail } from '../../staff/staff-repo';
import { endSession, rotateSession } from '../../staff/staff-sessions';
import { staffPrincipalSchema, type StaffPrincipal } from '../../staff/staff-roles';
import type { LoginThrottle } from '../../staff/login-throttle';
import type { ApiRegistry } from '../api-route';
import { clearSessionCookie, clientIp, isHttps, principalOf, SESSION_COOKIE, setSessionCookie } from '../console-auth';
import type { ConsoleDeps } from '../console-deps';
import { ConsoleError, InvalidInputError, TooManyAttemptsError } from '../console-errors';
import { parseCookies } from '../cookies';

export const loginBodySchema = z.object({ email: z.string().trim().min(3).max(200), password: z.string().min(1).max(200) });
const meResponseSchema = z.object({ me: staffPrincipalSchema, csrfToken: z.string().nullable() });

export class BadCredentialsError extends ConsoleError {
  constructor() {
    super('wrong e-mail or password', 'CONSOLE_ERR_BAD_CREDENTIALS', 401);
  }
}

/** Checks the password and starts a new session; shared by the JSON API and the HTML form. */
export async function signIn(
  deps: ConsoleDeps,
  throttle: LoginThrottle,
  req: FastifyRequest,
  reply: FastifyReply,
  creds: z.infer<typeof loginBodySchema>,
): Promise<{ me: StaffPrincipal; csrfToken: string }> {
  const ip = clientIp(req);
  const wait = await throttle.blockedFor(ip, creds.email);
  if (wait > 0) {
    reply.header('retry-after', String(wait));
    throw new TooManyAttemptsError(wait);
  }
  const row = await findActiveStaffByEmail(deps.db, creds.email);
  const ok = row ? await verifyPassword(row.passwordHash, creds.password) : await dummyVerify(creds.password);
  if (!row || !ok) {
    await throttle.recordFailure(ip, creds.email);
    await recordAudit(deps.db, { staffId: row?.id ?? null, action: 'session.login-failed', subjectKind: 'session', subjectId: creds.email.toLowerCase(), details: { ip } });
    throw new BadCredentialsError();
  }
  await throttle.recordSuccess(creds.email);
  const previous = parseCookies(req.headers.cookie)[SESSION_COOKIE];
  const ttlMs = deps.env.CONSOLE_SESSION_HOURS * 3600_000;
  const session = await rotateSession(deps.db, row.id, previous, ttlMs);
  setSessionCookie(reply, session.token, ttlMs / 1000, isHttps(req, deps.env));
  await recordAudit(deps.db, { staffId: row.id, action: 'session.login', subjectKind: 'session', subjectId: row.id, details: { ip } });
  return { me: principalOf(row, 'session'), csrfToken: session.csrfToken };
}

export function registerAuthRoutes(api: ApiRegistry, deps: ConsoleDeps, throttle: LoginThrottle): void {
  const app = api.app;
  app.post('/api/auth/login', async (req, reply) => {
    // JSON only: a cross-site page cannot send JSON without a CORS preflight, which this server never grants.
    if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) {
      throw new ConsoleError('send the credentials as application/json', 'CONSOLE_ERR_UNSUPPORTED_MEDIA', 415);
    }
    const parsed = loginBodySchema.safeParse(req.body);
    if (!parsed.success) throw new InvalidInputError(z.prettifyError(parsed.error));
    return signIn(deps, throttle, req, reply, parsed.data);
  });
  api.document({ method: 'POST', url: '/api/auth/login', summary: 'Sign in; sets the session cookie and returns the CSRF token', tag: 'auth', role: 'public', status: 200, body: loginBodySchema, response: meResponseSchema });

  api.add({
    method: 'POST',
    url: '/api/auth/logout',
    summary: 'Sign out (ends the session)',
    tag: 'auth',
    status: 204,
    handler: async ({ auth, reply, req, me }) => {
      if (auth.sessionToken) await endSession(deps.db, auth.sessionToken);
      clearSessionCookie(reply, isHttps(req, deps.env));
      await recordAudit(deps.db, { staffId: me.id, action: 'session.logout', subjectKind: 'session', subjectId: me.id });
    },
  });

  api.add({
    method: 'GET',
    url: '/api/me',
    summary: 'The signed-in staff member and the CSRF token for this session',
    tag: 'auth',
    response: meResponseSchema,
    handler: async ({ me, auth }) => ({ me, csrfToken: auth.csrfToken }),
  });
}
