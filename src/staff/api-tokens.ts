/**
 * Bearer tokens for integrations (a CRM, a reporting job). Each belongs to one staff member and acts with their
 * role; only the SHA-256 is stored and the token is shown once, at creation. Bearer requests carry no cookie, so
 * they are not exposed to CSRF.
 */
import { and, desc, eq, isNull } from 'drizzle-orm';
import type { Db } from '../store/database';
import { apiTokens } from '../store/schema';
import { randomToken, tokenHash } from './staff-sessions';

export const API_TOKEN_PREFIX = 'wasl_';
/** How much of a token lists show: enough to tell tokens apart, far too little to guess the rest. */
const SHOWN_CHARS = API_TOKEN_PREFIX.length + 6;

export async function createApiToken(db: Db, staffId: number, name: string): Promise<{ id: number; token: string }> {
  const token = `${API_TOKEN_PREFIX}${randomToken()}`;
  const [row] = await db.insert(apiTokens).values({ staffId, name, tokenHash: tokenHash(token), tokenPrefix: token.slice(0, SHOWN_CHARS) }).returning({ id: apiTokens.id });
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

export interface ApiTokenListing {
  id: number;
  staffId: number;
  name: string;
  /** Null for tokens made before prefixes were kept. */
  prefix: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

/** Every token (for admins) or one person's, newest first; never the hash. */
export async function listApiTokens(db: Db, opts: { staffId?: number } = {}): Promise<ApiTokenListing[]> {
  return db
    .select({
      id: apiTokens.id,
      staffId: apiTokens.staffId,
      name: apiTokens.name,
      prefix: apiTokens.tokenPrefix,
      createdAt: apiTokens.createdAt,
      lastUsedAt: apiTokens.lastUsedAt,
      revokedAt: apiTokens.revokedAt,
    })
    .from(apiTokens)
    .where(opts.staffId === undefined ? undefined : eq(apiTokens.staffId, opts.staffId))
    .orderBy(desc(apiTokens.id));
}

/** An admin revoking anyone's token; false when it was unknown or already revoked. */
export async function revokeAnyApiToken(db: Db, id: number): Promise<{ staffId: number } | undefined> {
  const [row] = await db
    .update(apiTokens)
    .set({ revokedAt: new Date() })
    .where(and(eq(apiTokens.id, id), isNull(apiTokens.revokedAt)))
    .returning({ staffId: apiTokens.staffId });
  return row;
}
