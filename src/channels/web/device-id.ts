/**
 * The website chat has no login: a beneficiary is recognised by a random 128-bit id the widget creates once and
 * keeps in the browser's localStorage, so the same device returns to the same conversation. That id is the
 * only credential, so it must be unguessable, and the database never holds it: contacts are keyed by its
 * SHA-256, and a leaked database row cannot be replayed to read someone's conversation.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';

/** 16 random bytes in base64url: exactly 22 characters. */
export const deviceIdSchema = z.string().regex(/^[A-Za-z0-9_-]{22}$/, 'a device id is 22 base64url characters (16 random bytes)');

/** The `channelUserId` of a device's contact. */
export function webUserIdOf(deviceId: string): string {
  return `d-${createHash('sha256').update(deviceId, 'utf8').digest('base64url')}`;
}
