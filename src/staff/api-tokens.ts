/**
 * Bearer tokens for integrations (a CRM, a reporting job). Each belongs to one staff member and acts with their
 * role; only the SHA-256 is stored and the token is shown once, at creation. Bearer requests carry no cookie, so
 * they are not exposed to CSRF.
 */
import { and, eq, isNull } from 'drizzle-orm';
import type { Db } from '../store/database';
import { apiTokens } from '../store/schema';
import { randomToken, tokenHash } from './staff-sessions';

export const API_TOKEN_PREFIX = 'wasl_';

export async function createApiToken(db: Db, staffId: number, name: string): Promise<{ id: number; token: string }> {
  const token = `${API_TOKEN_PREFIX}${randomToken()}`;
  const [row] = await db.insert(apiTokens).values({ staffId, name, tokenHash: tokenHash(token) }).returning({ id: apiTokens.id });
  return { id: row!.id, token };
}

/** The staff id a live token acts for; records when it was last used. */
export async function staffIdForApiToken(db: Db, token: string): Promise<number | undefined> {
  if (!token.startsWith(API_TOKEN_PREFIX)) return undefined;
  const [row] = await db
    .update(apiTokens)
    .set({ lastUsedAt: new Date() })
    .where(and(eq(apiTokens.tokenHash, tokenHash(token)), isNull(apiTokens.revokedAt)))
    .returning({ staffId: apiTokens.staffId });
  return row?.staffId;
}

export async function revokeApiToken(db: Db, staffId: number, id: number): Promise<boolean> {
  const rows = await db
    .update(apiTokens)
    .set({ revokedAt: new Date() })
    .where(and(eq(apiTokens.id, id), eq(apiTokens.staffId, staffId), isNull(apiTokens.revokedAt)))
    .returning({ id: apiTokens.id });
  return rows.length > 0;
}
