/**
 * Console sign-in security over real HTTP: cookie attributes (Secure behind a trusted HTTPS proxy), a fresh
 * session at every sign-in (no fixation), CSRF refusal, brute-force lockout per account, sign-out.
 */
import { eq } from 'drizzle-orm';
import { createStaff } from '../src/staff/staff-repo';
import { staffSessions } from '../src/store/schema';
import { startTestWasl, type TestWasl } from './support/harness';
import { ConsoleClient, PASSWORD, signedIn } from './console-client';

describe('console sign-in', () => {
  let wasl: TestWasl;
  const db = () => wasl.database.db;
  beforeAll(async () => {
    wasl = await startTestWasl({ db: 'postgres', extraEnv: { CONSOLE_TRUST_PROXY: 'true' } });
    // Start-up loads flows and trains the Arabic understanding: slow on a busy two-core CI machine.
  }, 180_000);
  afterAll(() => wasl?.stop());

  it('sets an HttpOnly, SameSite=Strict session cookie, Secure only over HTTPS, and stores only its hash', async () => {
    await createStaff(db(), { email: 'amal@example.org', name: 'أمل', password: PASSWORD, role: 'researcher' });
    const res = await fetch(`${wasl.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'AMAL@example.org', password: PASSWORD }) });
    expect(res.status).toBe(200);
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('wasl_session='))!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).not.toMatch(/Secure/);
    const token = decodeURIComponent(cookie.split(';')[0]!.split('=')[1]!);
    const rows = await db().select().from(staffSessions);
    expect(JSON.stringify(rows)).not.toContain(token);

    const behindTls = await fetch(`${wasl.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-proto': 'https' },
      body: JSON.stringify({ email: 'amal@example.org', password: PASSWORD }),
    });
    expect(behindTls.headers.getSetCookie().find((c) => c.startsWith('wasl_session='))).toMatch(/; Secure/);
  });

  it('rotates the session at sign-in: a planted or previous cookie is never reused', async () => {
    const { client, email } = await signedIn(db(), wasl.url!, { role: 'researcher' });
    const first = client.cookies.get('wasl_session')!;
    expect((await client.get('/api/me')).status).toBe(200);
    await client.login(email, PASSWORD);
    const second = client.cookies.get('wasl_session')!;
    expect(second).not.toBe(first);
    const old = new ConsoleClient(wasl.url!);
    old.cookies.set('wasl_session', first);
    expect((await old.get('/api/me')).status).toBe(401);

    // Session fixation: an attacker plants a cookie; signing in issues a different one.
    const victim = new ConsoleClient(wasl.url!);
    victim.cookies.set('wasl_session', 'planted-by-attacker');
    await victim.login(email, PASSWORD);
    expect(victim.cookies.get('wasl_session')).not.toBe('planted-by-attacker');
    const attacker = new ConsoleClient(wasl.url!);
    attacker.cookies.set('wasl_session', 'planted-by-attacker');
    expect((await attacker.get('/api/me')).status).toBe(401);
  });

  it('refuses state changes without the CSRF token, with a wrong one, or from another origin', async () => {
    const { client } = await signedIn(db(), wasl.url!, { role: 'researcher' });
    const none = await client.post('/api/me/api-tokens', { name: 'x' }, { csrf: null });
    expect(none.status).toBe(403);
    expect(none.body.code).toBe('CONSOLE_ERR_CSRF');
    expect((await client.post('/api/me/api-tokens', { name: 'x' }, { csrf: 'forged' })).status).toBe(403);
    const crossSite = await client.post('/api/me/api-tokens', { name: 'x' }, { headers: { origin: 'https://evil.example' } });
    expect(crossSite.status).toBe(403);
    expect((await client.post('/api/me/api-tokens', { name: 'x' })).status).toBe(201);
    // The HTML sign-in form is protected too (double-submit cookie).
    const form = await fetch(`${wasl.url}/console/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'email=a%40b.c&password=x&_csrf=forged' });
    expect(form.status).toBe(403);
  });

  it('locks an account out after five failures, even for the right password, with a clear error', async () => {
    const { email } = await signedIn(db(), wasl.url!, { role: 'researcher' });
    const client = new ConsoleClient(wasl.url!);
    for (let i = 0; i < 5; i++) expect((await client.login(email, 'wrong password!')).status).toBe(401);
    const locked = await client.login(email, PASSWORD);
    expect(locked.status).toBe(429);
    expect(locked.body.code).toBe('CONSOLE_ERR_LOCKED_OUT');
    expect(locked.body.error).toMatch(/too many failed sign-in attempts/);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('signs in through the HTML form and out again', async () => {
    await createStaff(db(), { email: 'form@example.org', name: 'Form', password: PASSWORD, role: 'researcher' });
    const client = new ConsoleClient(wasl.url!);
    const page = await client.get('/console/login');
    const token = /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!;
    const res = await fetch(`${wasl.url}/console/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: client.cookieHeader() },
      body: new URLSearchParams({ email: 'form@example.org', password: PASSWORD, _csrf: token }).toString(),
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/console');
    const session = res.headers.getSetCookie().find((c) => c.startsWith('wasl_session='))!.split(';')[0]!;
    const inbox = await fetch(`${wasl.url}/console`, { headers: { cookie: session } });
    expect(inbox.status).toBe(200);
    expect(await inbox.text()).toContain('dir="rtl"');
    const unauth = await fetch(`${wasl.url}/console`, { redirect: 'manual' });
    expect(unauth.status).toBe(303);

    const signedInClient = new ConsoleClient(wasl.url!);
    signedInClient.cookies.set('wasl_session', session.split('=')[1]!);
    const me = await signedInClient.get('/api/me');
    signedInClient.csrfToken = me.body.csrfToken;
    expect((await signedInClient.post('/api/auth/logout')).status).toBe(204);
    expect((await fetch(`${wasl.url}/api/me`, { headers: { cookie: session } })).status).toBe(401);
    const [left] = await db().select().from(staffSessions).where(eq(staffSessions.staffId, me.body.me.id));
    expect(left).toBeUndefined();
  });
});
