/**
 * A staff member talking to the console over real HTTP, as a browser would: it keeps the cookies the server
 * sets and sends the session's CSRF token on every state-changing request (unless a test says otherwise).
 */
import { createStaff, type NewStaff } from '../src/staff/staff-repo';
import type { Db } from '../src/store/database';

export interface ConsoleResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
  text: string;
}

export class ConsoleClient {
  readonly cookies = new Map<string, string>();
  csrfToken: string | null = null;

  constructor(readonly base: string) {}

  cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private keep(res: Response): void {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      if (/max-age=0/i.test(c)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  async request<T = any>(
    method: string,
    path: string,
    body?: unknown,
    opts: { csrf?: string | null; headers?: Record<string, string> } = {},
  ): Promise<ConsoleResponse<T>> {
    const headers: Record<string, string> = { ...opts.headers };
    if (this.cookies.size) headers.cookie = this.cookieHeader();
    const csrf = opts.csrf === undefined ? this.csrfToken : opts.csrf;
    if (csrf && method !== 'GET') headers['x-csrf-token'] = csrf;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${this.base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), redirect: 'manual' });
    this.keep(res);
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // HTML or empty.
    }
    return { status: res.status, body: parsed as T, headers: res.headers, text };
  }

  get<T = any>(path: string) {
    return this.request<T>('GET', path);
  }

  post<T = any>(path: string, body: unknown = {}, opts?: { csrf?: string | null; headers?: Record<string, string> }) {
    return this.request<T>('POST', path, body, opts);
  }

  async login(email: string, password: string): Promise<ConsoleResponse> {
    const res = await this.post('/api/auth/login', { email, password }, { csrf: null });
    if (res.status === 200) this.csrfToken = res.body.csrfToken;
    return res;
  }
}

export const PASSWORD = 'correct horse battery';

let counter = 0;
/** Creates a staff member and returns a client signed in as them. */
export async function signedIn(db: Db, base: string, who: Partial<NewStaff> & Pick<NewStaff, 'role'>): Promise<{ client: ConsoleClient; id: number; email: string }> {
  counter += 1;
  const email = who.email ?? `${who.role}-${counter}-${Date.now()}@example.org`;
  const row = await createStaff(db, { name: `${who.role} ${counter}`, password: PASSWORD, ...who, email });
  const client = new ConsoleClient(base);
  const res = await client.login(email, PASSWORD);
  if (res.status !== 200) throw new Error(`sign-in failed: ${res.status} ${res.text}`);
  return { client, id: row.id, email };
}
