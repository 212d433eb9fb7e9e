import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bearerTokenMatches, cliChannelToken, cliChannelTokenFromEnv } from './cli-token';

const key = 'a'.repeat(64);

describe('cli channel token', () => {
  test('is an HMAC-SHA256 of the secret key, hex, and differs per key', () => {
    expect(cliChannelToken(key)).toMatch(/^[0-9a-f]{64}$/);
    expect(cliChannelToken(key)).toBe(cliChannelToken(key));
    expect(cliChannelToken('b'.repeat(64))).not.toBe(cliChannelToken(key));
    // Never the key itself: a leaked token must not unseal national IDs.
    expect(cliChannelToken(key)).not.toBe(key);
  });

  test('comes from SECRET_KEY, else from the key file in DATA_DIR, as the server reads them', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'wasl-cli-token-'));
    try {
      writeFileSync(path.join(dir, 'secret.key'), `${'c'.repeat(64)}\n`);
      expect(cliChannelTokenFromEnv({ SECRET_KEY: undefined, DATA_DIR: dir })).toBe(cliChannelToken('c'.repeat(64)));
      expect(cliChannelTokenFromEnv({ SECRET_KEY: key, DATA_DIR: dir })).toBe(cliChannelToken(key));
      expect(cliChannelTokenFromEnv({ SECRET_KEY: undefined, DATA_DIR: path.basename(dir) }, path.dirname(dir))).toBe(cliChannelToken('c'.repeat(64)));
      // With neither, it says so and writes no key of its own.
      const empty = path.join(dir, 'empty');
      expect(() => cliChannelTokenFromEnv({ SECRET_KEY: undefined, DATA_DIR: empty })).toThrow(/no SECRET_KEY is set and there is no key file/);
      expect(existsSync(empty)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test.each([
    [`Bearer ${cliChannelToken(key)}`, true],
    [`bearer ${cliChannelToken(key)}`, true],
    [`Bearer  ${cliChannelToken(key)} `, true],
    [cliChannelToken(key), false],
    [`Bearer ${cliChannelToken(key).slice(1)}`, false],
    [`Bearer ${cliChannelToken(key)}0`, false],
    [`Bearer ${cliChannelToken(key).toUpperCase()}`, false],
    [`Basic ${cliChannelToken(key)}`, false],
    [`Bearer ${cliChannelToken(key)} extra`, false],
    ['Bearer ', false],
    ['', false],
    [undefined, false],
    [[`Bearer ${cliChannelToken(key)}`], false],
  ])('header %p matches: %p', (header, ok) => {
    expect(bearerTokenMatches(header, cliChannelToken(key))).toBe(ok);
  });
});
