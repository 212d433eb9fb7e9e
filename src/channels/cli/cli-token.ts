/**
 * The terminal channel's bearer token. Its routes let a caller post as any CLI user and read any CLI user's
 * replies, so both demand this token; a loopback check would not do, since a reverse proxy on the same host
 * makes every request come from 127.0.0.1. The token is derived from the deployment's secret key (SECRET_KEY, or
 * DATA_DIR/secret.key when generated), so `npm run chat` on the server's machine knows it with nothing to
 * configure, and nobody without the secret can compute it.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import path from 'node:path';
import type { Env } from '../../config/env-schema';
import { resolveSecretKey } from '../../identity/secret-key';

/** A label of its own, so the token is never equal to a key derived from the same secret for another use. */
const LABEL = 'wasl cli channel v1';

export function cliChannelToken(secretKey: string): string {
  return createHmac('sha256', secretKey).update(LABEL).digest('hex');
}

/**
 * The token as the server computes it, from the same configuration: SECRET_KEY, else the key file in DATA_DIR
 * (resolved against `root`, the server's working directory). Throws when there is neither, and never writes a
 * key file of its own: a chat pointed at another machine's Wasl would otherwise leave one here.
 */
export function cliChannelTokenFromEnv(env: Pick<Env, 'SECRET_KEY' | 'DATA_DIR'>, root: string = process.cwd()): string {
  return cliChannelToken(resolveSecretKey({ secretKey: env.SECRET_KEY, dataDir: path.resolve(root, env.DATA_DIR), readOnly: true }).key);
}

/** Whether an `authorization` header carries `Bearer <token>`. */
export function bearerTokenMatches(header: string | string[] | undefined, token: string): boolean {
  if (typeof header !== 'string') return false;
  const sent = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header)?.[1] ?? '';
  // Equal-length digests make timingSafeEqual usable whatever was sent, and leak nothing about the length.
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(sent), digest(token));
}
