/**
 * Server-side console sessions. The cookie carries 32 random bytes; the database keeps only their SHA-256, so
 * reading the table logs nobody in. Signing in always makes a new session and deletes the one the browser
 * presented (no session fixation); each session has its own CSRF synchronizer token.
 */
import { createHash, randomBytes } from 'node:crypto';
import { and, eq, gt, lt } from 'drizzle-orm';
import type { Db } from '../store/database';
import { staffSessions } from '../store/schema';

export interface NewSession {
  token: string;
  csrfToken: string;
  expiresAt: Date;
}

export const tokenHash = (token: string) => createHash('sha256').update(token).digest('hex');
export const randomToken = () => randomBytes(32).toString('base64url');

/** Starts a session for `staffId`, ending `previousToken`'s session if the browser sent one. */
export async function rotateSession(db: Db, staffId: number, previousToken: string | undefined, ttlMs: number, now = new Date()): Promise<NewSession> {
  const token = randomToken();
  const csrfToken = randomToken();
  const expiresAt = new Date(now.getTime() + ttlMs);
  await db.transaction(async (tx) => {
    if (previousToken) await tx.delete(staffSessions).where(eq(staffSessions.tokenHash, tokenHash(previousToken)));
    // Expired rows are swept opportunistically; there is no separate janitor to run.
    await tx.delete(staffSessions).where(and(eq(staffSessions.staffId, staffId), lt(staffSessions.expiresAt, now)));
    await tx.insert(staffSessions).values({ tokenHash: tokenHash(token), staffId, csrfToken, expiresAt });
  });
  return { token, csrfToken, expiresAt };
}

export async function findSession(db: Db, token: string, now = new Date()): Promise<{ staffId: number; csrfToken: string } | undefined> {
  const [row] = await db
    .select({ staffId: staffSessions.staffId, csrfToken: staffSessions.csrfToken })
    .from(staffSessions)
    .where(and(eq(staffSessions.tokenHash, tokenHash(token)), gt(staffSessions.expiresAt, now)))
    .limit(1);
  return row;
}

export async function endSession(db: Db, token: string): Promise<void> {
  await db.delete(staffSessions).where(eq(staffSessions.tokenHash, tokenHash(token)));
}
