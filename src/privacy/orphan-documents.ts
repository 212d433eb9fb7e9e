/**
 * Document files are content-addressed (documents/document-store.ts), so one file may back several messages or
 * requests. After rows stop pointing at files, delete only the files nothing points at any more — and only
 * after the transaction that removed the references has committed, so a rollback never leaves a row whose file
 * is gone.
 */
import { sql } from 'drizzle-orm';
import type { DocumentStore } from '../documents/document-store';
import type { DbOrTx } from '../store/database';
import { executeRows } from '../store/execute-rows';

/** Storage keys found in message payloads: a beneficiary's files (`{ media: [{ storageKey }] }`), a researcher's (`{ attachment: { storageKey } }`). */
export function mediaKeys(payloads: unknown[]): string[] {
  const keys = new Set<string>();
  for (const p of payloads) {
    const payload = p as { media?: { storageKey?: unknown }[]; attachment?: { storageKey?: unknown } } | null;
    const media = payload?.media;
    if (Array.isArray(media)) for (const m of media) if (typeof m?.storageKey === 'string') keys.add(m.storageKey);
    if (typeof payload?.attachment?.storageKey === 'string') keys.add(payload.attachment.storageKey);
  }
  return [...keys];
}

/** One query for all the keys: which of them no request document, inbound file or researcher attachment uses. */
export async function removeUnreferencedFiles(db: DbOrTx, documents: DocumentStore, keys: readonly string[]): Promise<number> {
  const unique = [...new Set(keys)];
  if (!unique.length) return 0;
  const result = await executeRows<{ key: string }>(db, sql`
    select k as key from unnest(array[${sql.join(
      unique.map((k) => sql`${k}`),
      sql`, `,
    )}]::text[]) as candidate(k)
    where not exists (select 1 from request_documents where storage_key = k)
      and not exists (select 1 from messages where payload -> 'media' @> jsonb_build_array(jsonb_build_object('storageKey', k)))
      and not exists (select 1 from messages where payload -> 'attachment' ->> 'storageKey' = k)`);
  const unused = result.map((r) => r.key);
  for (const key of unused) await documents.remove(key);
  return unused.length;
}
