/**
 * Who is asking: a browser with a session cookie, or an integration with `Authorization: Bearer wasl_…`.
 * Browser requests that change anything must also carry the session's CSRF token in `X-CSRF-Token` and, when
 * the browser sends an Origin, come from this same origin.
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Env } from '../config/env-schema';
import { staffIdForApiToken } from '../staff/api-tokens';
import { findActiveStaff, type StaffRow } from '../staff/staff-repo';
import { findSession } from '../staff/staff-sessions';
import type { StaffPrincipal } from '../staff/staff-roles';
import type { Db } from '../store/database';
import { CsrfError } from './console-errors';
import { parseCookies, serializeCookie } from './cookies';

export const SESSION_COOKIE = 'wasl_session';
export const LANG_COOKIE = 'wasl_lang';

export interface Authenticated {
  me: StaffPrincipal;
  csrfToken: string | null;
  sessionToken: string | null;
}

export function principalOf(row: StaffRow, via: StaffPrincipal['via']): StaffPrincipal {
  return { id: row.id, email: row.email, name: row.name, role: row.role, gender: row.gender, team: row.team, caseloadLimit: row.caseloadLimit, via };
}

/** The signed-in staff member, or null. */
export async function authenticate(db: Db, req: FastifyRequest): Promise<Authenticated | null> {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) {
    const staffId = await staffIdForApiToken(db, auth.slice('Bearer '.length).trim());
    const row = staffId ? await findActiveStaff(db, staffId) : undefined;
    return row ? { me: principalOf(row, 'token'), csrfToken: null, sessionToken: null } : null;
  }
  const token = parseCookies(req.headers.cookie)[SESSION_COOKIE];
  if (!token) return null;
  const session = await findSession(db, token);
  const row = session ? await findActiveStaff(db, session.staffId) : undefined;
  return row && session ? { me: principalOf(row, 'session'), csrfToken: session.csrfToken, sessionToken: token } : null;
}

const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Refuses a cross-site request: an Origin (or Referer) from another host. */
export function checkSameOrigin(req: FastifyRequest): void {
  const origin = req.headers.origin ?? (req.headers.referer ? safeOrigin(req.headers.referer) : undefined);
  if (!origin || origin === 'null') return;
  const host = req.headers['x-forwarded-host'] ?? req.headers.host;
  if (safeHost(origin) !== host) throw new CsrfError();
}

function safeOrigin(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}
function safeHost(origin: string): string | undefined {
  try {
    return new URL(origin).host;
  } catch {
    return undefined;
  }
}

/** CSRF check for a cookie-authenticated request that changes state (bearer tokens are not sent by browsers on their own). */
export function checkCsrf(req: FastifyRequest, auth: Authenticated): void {
  if (safeMethods.has(req.method) || auth.me.via === 'token') return;
  checkSameOrigin(req);
  const sent = req.headers['x-csrf-token'] ?? (req.body as { _csrf?: unknown } | undefined)?._csrf;
  if (typeof sent !== 'string' || !auth.csrfToken || !sameToken(sent, auth.csrfToken)) throw new CsrfError();
}

/** Whether the browser reached us over HTTPS (directly, or via a trusted proxy's X-Forwarded-Proto). */
export function isHttps(req: FastifyRequest, env: Pick<Env, 'CONSOLE_SECURE_COOKIES' | 'CONSOLE_TRUST_PROXY'>): boolean {
  if (env.CONSOLE_SECURE_COOKIES) return true;
  if (req.protocol === 'https') return true;
  return env.CONSOLE_TRUST_PROXY && String(req.headers['x-forwarded-proto'] ?? '').split(',')[0]?.trim() === 'https';
}

/**
 * The client's address, for sign-in limits. Fastify reads X-Forwarded-For only from the proxies TRUST_PROXY (or
 * CONSOLE_TRUST_PROXY) names, so this is the forwarded address exactly when the proxy is trusted.
 */
export function clientIp(req: FastifyRequest): string {
  return req.ip || (req.socket.remoteAddress ?? 'unknown');
}

export function setSessionCookie(reply: FastifyReply, token: string, maxAgeSeconds: number, secure: boolean): void {
  reply.header('set-cookie', serializeCookie(SESSION_COOKIE, token, { secure, maxAgeSeconds, sameSite: 'Strict' }));
}

export function clearSessionCookie(reply: FastifyReply, secure: boolean): void {
  reply.header('set-cookie', serializeCookie(SESSION_COOKIE, '', { secure, maxAgeSeconds: 0 }));
}
