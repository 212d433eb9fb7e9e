/**
 * whatsapp-web.js RemoteAuth store on our database (PostgreSQL or PGlite), so a restarted gateway — or one on
 * another machine — resumes the paired session without a new QR scan.
 *
 * Gotcha (ENGINEERING.md §1.3): RemoteAuth calls `save({ session })` with the session NAME only, after writing
 * the zip to `<dataPath>/<session>.zip`; the store must know `dataPath` (stores that read `<session>.zip` from
 * the working directory break as soon as dataPath is elsewhere).
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { eq, sql } from 'drizzle-orm';
import type { Store } from 'whatsapp-web.js';
import type { Db } from '../../store/database';
import { whatsappSessions } from '../../store/schema';

/** Refuses names that could leave `dataPath` when joined to it. */
const sessionNamePattern = /^[A-Za-z0-9_-]{1,100}$/;

function checked(session: string): string {
  if (!sessionNamePattern.test(session)) throw new Error(`refusing WhatsApp session name "${session}"`);
  return session;
}

export function createPostgresSessionStore(db: Db, dataPath: string): Store {
  return {
    async sessionExists({ session }) {
      const rows = await db.select({ s: whatsappSessions.session }).from(whatsappSessions).where(eq(whatsappSessions.session, checked(session))).limit(1);
      return rows.length > 0;
    },
    async save({ session }) {
      const file = path.join(dataPath, `${checked(session)}.zip`);
      const data = await readFile(file).catch((err: unknown) => {
        throw new Error(`WhatsApp session "${session}": RemoteAuth's zip ${file} cannot be read`, { cause: err });
      });
      await db
        .insert(whatsappSessions)
        .values({ session, data })
        .onConflictDoUpdate({ target: whatsappSessions.session, set: { data, updatedAt: sql`now()` } });
    },
    async extract({ session, path: target }) {
      const [row] = await db.select({ data: whatsappSessions.data }).from(whatsappSessions).where(eq(whatsappSessions.session, checked(session))).limit(1);
      if (!row) throw new Error(`WhatsApp session "${session}" is not in the database`);
      await writeFile(target, row.data, { mode: 0o600 });
    },
    async delete({ session }) {
      await db.delete(whatsappSessions).where(eq(whatsappSessions.session, checked(session)));
    },
  };
}
