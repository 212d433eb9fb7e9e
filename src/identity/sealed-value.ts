/**
 * National ID numbers are kept encrypted at rest (AES-256-GCM) with a keyed hash beside them, so staff can
 * search by ID without decrypting every row and a database dump alone reveals nothing.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

export interface Sealer {
  seal(plain: string): string;
  open(sealed: string): string;
  /** Deterministic keyed hash for lookups. */
  hash(plain: string): string;
}

const VERSION = 'v1';

export function createSealer(keyHex: string): Sealer {
  const master = Buffer.from(keyHex, 'hex');
  if (master.length !== 32) throw new Error('the secret key must be 32 bytes (64 hex characters)');
  // Separate keys for encryption and hashing, derived from the one secret the operator manages.
  const encKey = createHmac('sha256', master).update('wasl/encrypt').digest();
  const macKey = createHmac('sha256', master).update('wasl/hash').digest();
  return {
    seal(plain) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', encKey, iv);
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return [VERSION, iv.toString('base64'), cipher.getAuthTag().toString('base64'), body.toString('base64')].join('.');
    },
    open(sealed) {
      const [version, iv, tag, body] = sealed.split('.');
      if (version !== VERSION || !iv || !tag || body === undefined) throw new Error('not a sealed value of this version');
      const decipher = createDecipheriv('aes-256-gcm', encKey, Buffer.from(iv, 'base64'));
      decipher.setAuthTag(Buffer.from(tag, 'base64'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64')), decipher.final()]).toString('utf8');
    },
    hash(plain) {
      return createHmac('sha256', macKey).update(plain).digest('hex');
    },
  };
}

export function isSealed(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith(`${VERSION}.`) && value.split('.').length === 4;
}
