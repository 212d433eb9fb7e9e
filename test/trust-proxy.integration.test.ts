/**
 * TRUST_PROXY: X-Forwarded-For decides the client address (and so every per-IP limit) only for a trusted proxy.
 * Measured on the website chat's per-IP limit, over real HTTP: a malformed body is answered 400 when the
 * address is within its limit and 429 when it is not, so nothing is stored.
 */
import { loadEnv } from '../src/config/load-config';
import { effectiveTrustProxy } from '../src/config/env-schema';
import { startTestWasl, type TestWasl } from './support/harness';

const LIMIT = 3;
const REQUESTS = 8;

/** Eight requests, each claiming a different client address; returns how many were let through. */
async function passedWithDistinctForwardedFor(wasl: TestWasl): Promise<number> {
  const statuses = await Promise.all(
    Array.from({ length: REQUESTS }, (_, i) =>
      fetch(`${wasl.url}/api/web/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': `203.0.113.${i + 1}` },
        body: '{}',
      }).then((r) => r.status),
    ),
  );
  expect(statuses.every((s) => s === 400 || s === 429)).toBe(true);
  return statuses.filter((s) => s === 400).length;
}

const start = (trustProxy?: string) =>
  startTestWasl({
    db: 'pglite',
    roles: 'web',
    extraEnv: { WEB_CHAT_IP_REQUESTS_PER_MINUTE: String(LIMIT), ...(trustProxy !== undefined ? { TRUST_PROXY: trustProxy } : {}) },
  });

describe('TRUST_PROXY', () => {
  it('parses true, false, a hop count and address lists, and names a bad value', () => {
    expect(loadEnv({ TRUST_PROXY: 'true' }).TRUST_PROXY).toBe(true);
    expect(loadEnv({ TRUST_PROXY: 'false' }).TRUST_PROXY).toBe(false);
    expect(loadEnv({ TRUST_PROXY: '2' }).TRUST_PROXY).toBe(2);
    expect(loadEnv({ TRUST_PROXY: '10.0.0.1, 172.16.0.0/12,::1' }).TRUST_PROXY).toEqual(['10.0.0.1', '172.16.0.0/12', '::1']);
    expect(() => loadEnv({ TRUST_PROXY: 'proxy.local' })).toThrow(/TRUST_PROXY[\s\S]*proxy\.local/);
    // Unset falls back to the older console-only switch.
    expect(effectiveTrustProxy(loadEnv({}))).toBe(false);
    expect(effectiveTrustProxy(loadEnv({ CONSOLE_TRUST_PROXY: 'true' }))).toBe(true);
    expect(effectiveTrustProxy(loadEnv({ CONSOLE_TRUST_PROXY: 'true', TRUST_PROXY: 'false' }))).toBe(false);
  });

  it('ignores X-Forwarded-For when unset: one client cannot dodge the per-IP limit by inventing addresses', async () => {
    const wasl = await start();
    try {
      // Fixed one-minute windows: even straddling two, at most twice the limit passes.
      expect(await passedWithDistinctForwardedFor(wasl)).toBeLessThanOrEqual(2 * LIMIT);
    } finally {
      await wasl.stop();
    }
  });

  it('ignores X-Forwarded-For from a proxy that is not on the list', async () => {
    const wasl = await start('10.9.9.9');
    try {
      expect(await passedWithDistinctForwardedFor(wasl)).toBeLessThanOrEqual(2 * LIMIT);
    } finally {
      await wasl.stop();
    }
  });

  it('honours X-Forwarded-For from a trusted proxy: each client has its own limit', async () => {
    // The test's requests come from the loopback address, playing the reverse proxy.
    const wasl = await start('127.0.0.1,::1,::ffff:127.0.0.1');
    try {
      expect(await passedWithDistinctForwardedFor(wasl)).toBe(REQUESTS);
    } finally {
      await wasl.stop();
    }
  });
});
