/**
 * Document files are content-addressed (documents/document-store.ts), so one file may back several messages or
 * requests. After rows stop pointing at files, delete only the files nothing points at any more — and only
 * after the transaction that removed the references has committed, so a rollback never leaves a row whose file
 * is gone.
 */
import { sql } from 'drizzle-orm';
import type { DocumentStore } from '../documents/document-store';
import type { DbOrTx } from '../store/database';

/** Storage keys found in message payloads (`{ media: [{ storageKey }] }`). */
export function mediaKeys(payloads: unknown[]): string[] {
  const keys = new Set<string>();
  for (const p of payloads) {
    const media = (p as { media?: { storageKey?: unknown }[] } | null)?.media;
    if (Array.isArray(media)) for (const m of media) if (typeof m?.storageKey === 'string') keys.add(m.storageKey);
  }
  return [...keys];
}

export async function removeUnreferencedFiles(db: DbOrTx, documents: DocumentStore, keys: readonly string[]): Promise<number> {
  let removed = 0;
  for (const key of new Set(keys)) {
    const result = await db.execute(sql`
      select (exists (select 1 from request_documents where storage_key = ${key})
           or exists (select 1 from messages where payload -> 'media' @> ${JSON.stringify([{ storageKey: key }])}::jsonb)) as used`);
    const used = (result as unknown as { rows: { used: boolean }[] }).rows[0]?.used;
    if (!used) {
      await documents.remove(key);
      removed++;
    }
  }
  return removed;
}
