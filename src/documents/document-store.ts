/**
 * Files beneficiaries send (ID copies, leases, medical reports), stored content-addressed under DATA_DIR so a
 * redelivered upload costs nothing and a key never reveals the file name.
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile, readFile, access, rm } from 'node:fs/promises';
import path from 'node:path';

export const MAX_DOCUMENT_BYTES = 10 * 1024 * 1024;
export const acceptedDocumentTypes = ['image/jpeg', 'image/png', 'image/webp', 'application/pdf'] as const;

export interface DocumentStore {
  save(bytes: Buffer): Promise<string>;
  read(storageKey: string): Promise<Buffer>;
  /** Deletes the file (retention, erasure); a file already gone is not an error. */
  remove(storageKey: string): Promise<void>;
}

export function createDocumentStore(dataDir: string): DocumentStore {
  const root = path.join(dataDir, 'documents');
  const where = (key: string) => {
    if (!/^[0-9a-f]{64}$/.test(key)) throw new Error(`invalid document key "${key}"`);
    return path.join(root, key.slice(0, 2), key);
  };
  return {
    async save(bytes) {
      const key = createHash('sha256').update(bytes).digest('hex');
      const file = where(key);
      try {
        await access(file);
      } catch {
        await mkdir(path.dirname(file), { recursive: true });
        await writeFile(file, bytes, { mode: 0o600 });
      }
      return key;
    },
    read: (key) => readFile(where(key)),
    remove: (key) => rm(where(key), { force: true }),
  };
}
