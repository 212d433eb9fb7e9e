/**
 * The key that seals national ID numbers. Operators set SECRET_KEY; for a one-machine PGlite install a key is
 * generated into DATA_DIR on first start so `npm start` works with nothing to configure. Losing that file
 * means the sealed IDs can no longer be read: back it up with the data.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** `readOnly`: a client deriving a key from the server's (the terminal chat) must find it, never make one. */
export function resolveSecretKey(opts: { secretKey?: string | undefined; dataDir: string; readOnly?: boolean }): { key: string; generated: boolean; file?: string } {
  if (opts.secretKey) return { key: opts.secretKey, generated: false };
  const file = path.join(opts.dataDir, 'secret.key');
  if (existsSync(file)) return { key: readFileSync(file, 'utf8').trim(), generated: false, file };
  if (opts.readOnly) throw new Error(`no SECRET_KEY is set and there is no key file at ${file}`);
  mkdirSync(opts.dataDir, { recursive: true });
  const key = randomBytes(32).toString('hex');
  writeFileSync(file, key, { mode: 0o600, flag: 'wx' });
  return { key, generated: true, file };
}
