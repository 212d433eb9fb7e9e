/**
 * The RemoteAuth session store on PGlite and on PostgreSQL, called as whatsapp-web.js 1.34.7 calls it: the
 * library writes `<dataPath>/<session>.zip` and calls `save({ session })`; on the next start it calls
 * `extract({ session, path })` and unzips what it gets. Also: one gateway per number — a second one stands by
 * and takes over, restoring the session from the database, when the first stops.
 */
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import pino from 'pino';
import { createPostgresSessionStore } from '../src/channels/whatsapp/postgres-session-store';
import { WhatsappGateway } from '../src/channels/whatsapp/whatsapp-gateway';
import { openDatabase, openMemoryPglite, type Database } from '../src/store/database';
import { FakeWhatsappPhone, writeZip } from './fakes/fake-whatsapp-client';
import { createTestDatabase } from './support/postgres';
import { waitFor } from './support/harness';

async function unzipEntry(zipFile: string, name: string): Promise<string> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const unzipper = require('unzipper') as { Open: { file(f: string): Promise<{ files: { path: string; buffer(): Promise<Buffer> }[] }> } };
  const dir = await unzipper.Open.file(zipFile);
  const entry = dir.files.find((f) => f.path === name);
  if (!entry) throw new Error(`${name} not in ${zipFile}`);
  return (await entry.buffer()).toString('utf8');
}

describe.each(['pglite', 'postgres'] as const)('WhatsApp session store on %s', (kind) => {
  let database: Database;
  let drop: (() => Promise<void>) | undefined;
  let dataPath: string;

  beforeAll(async () => {
    if (kind === 'pglite') database = await openMemoryPglite();
    else {
      const created = await createTestDatabase();
      drop = created.drop;
      database = await openDatabase({ databaseUrl: created.url, dataDir: tmpdir() });
    }
  });
  afterAll(async () => {
    await database?.close();
    await drop?.();
  });
  beforeEach(() => {
    dataPath = mkdtempSync(path.join(tmpdir(), 'wasl-wa-session-'));
  });
  afterEach(() => rmSync(dataPath, { recursive: true, force: true }));

  it('saves the zip RemoteAuth wrote to dataPath, restores it byte for byte elsewhere, and deletes it', async () => {
    const store = createPostgresSessionStore(database.db, dataPath);
    const session = 'RemoteAuth-main';
    expect(await store.sessionExists({ session })).toBe(false);

    const zip = path.join(dataPath, `${session}.zip`);
    const profile = JSON.stringify({ profile: 'وصل', at: 1 });
    await writeZip(zip, { 'Default/Preferences': profile, 'Default/IndexedDB/blob': Buffer.alloc(64 * 1024, 7) });
    await store.save({ session });
    expect(await store.sessionExists({ session })).toBe(true);

    // A second machine: different dataPath, same database.
    const elsewhere = mkdtempSync(path.join(tmpdir(), 'wasl-wa-restore-'));
    try {
      const target = path.join(elsewhere, `${session}.zip`);
      await createPostgresSessionStore(database.db, elsewhere).extract({ session, path: target });
      expect(readFileSync(target).equals(readFileSync(zip))).toBe(true);
      expect(await unzipEntry(target, 'Default/Preferences')).toBe(profile);
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }

    // A later backup replaces the earlier one.
    await writeZip(zip, { 'Default/Preferences': 'v2' });
    await store.save({ session });
    const again = path.join(dataPath, 'again.zip');
    await store.extract({ session, path: again });
    expect(await unzipEntry(again, 'Default/Preferences')).toBe('v2');

    await store.delete({ session });
    expect(await store.sessionExists({ session })).toBe(false);
    await expect(store.extract({ session, path: again })).rejects.toThrow(/not in the database/);
  });

  it('refuses session names that would leave dataPath', async () => {
    const store = createPostgresSessionStore(database.db, dataPath);
    await expect(store.save({ session: '../../etc/passwd' })).rejects.toThrow(/refusing/);
    expect(existsSync(path.join(dataPath, '..', 'etc'))).toBe(false);
  });

  it('lets only one gateway hold the number; a standby takes over and restores the session without a QR', async () => {
    const redis = new Redis(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
    const prefix = `test-${randomUUID().slice(0, 8)}`;
    const phone = new FakeWhatsappPhone();
    const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
    const qrs: string[] = [];
    const gateway = () =>
      new WhatsappGateway({
        clientFactory: phone.factory,
        clientOptions: { clientId: 'main', dataPath, store: createPostgresSessionStore(database.db, dataPath), chromiumPath: 'chromium', backupSyncIntervalMs: 60_000 },
        redis,
        prefix,
        log,
        handlers: { message: async () => undefined, ownMessage: async () => undefined, ack: async () => undefined },
        alertAfterMs: 60_000,
        heartbeatMs: 100,
        backoff: { baseMs: 20, maxMs: 100 },
        printQr: (qr) => qrs.push(qr),
      });
    const first = gateway();
    const second = gateway();
    try {
      await first.start();
      await waitFor('first ready', async () => first.status.state === 'ready');
      await waitFor('session saved', async () => createPostgresSessionStore(database.db, dataPath).sessionExists({ session: 'RemoteAuth-main' }));
      await second.start();
      await new Promise((r) => setTimeout(r, 300));
      expect(second.status.state).toBe('standby');
      expect(phone.clients).toHaveLength(1);

      await first.stop();
      await waitFor('the standby to take over', async () => second.status.state === 'ready');
      expect(phone.clients).toHaveLength(2);
      // One QR ever: the first pairing. The standby resumed from the database.
      expect(qrs).toHaveLength(1);
    } finally {
      await first.stop();
      await second.stop();
      redis.disconnect();
    }
  });
});
