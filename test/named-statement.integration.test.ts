/**
 * The hot path's named statements (src/store/named-statement.ts) on both drivers: run on the database and
 * inside a transaction, prepared again on every call without complaint, rows mapped as drizzle maps them, and a
 * failure that says which statement failed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { openDatabase, type Database } from '../src/store/database';
import { columnList, namedStatement, rowOf, runNamed } from '../src/store/named-statement';
import { beneficiaries, contacts } from '../src/store/schema';
import { createTestDatabase } from './support/postgres';

const NEW_PERSON = namedStatement('test_new_person', 'insert into beneficiaries (id) select nextval(pg_get_serial_sequence($1, $2)) returning id');
const NEW_CONTACT = namedStatement(
  'test_new_contact',
  "insert into contacts (beneficiary_id, channel, channel_user_id, display_name) values ($1, 'web', $2, $3) returning id",
);
const CONTACT = namedStatement('test_contact', `select ${columnList(contacts)} from contacts where id = $1`);
const BROKEN = namedStatement('test_broken', 'select no_such_column from contacts where id = $1');

describe.each(['pglite', 'postgres'] as const)('named statements on %s', (kind) => {
  let database: Database;
  let drop: (() => Promise<void>) | undefined;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'wasl-named-'));

  beforeAll(async () => {
    if (kind === 'postgres') {
      const created = await createTestDatabase();
      drop = created.drop;
      database = await openDatabase({ databaseUrl: created.url, dataDir });
    } else {
      database = await openDatabase({ dataDir });
    }
  });
  afterAll(async () => {
    await database?.close();
    await drop?.();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs in and out of a transaction, maps rows like drizzle, and rolls back with it', async () => {
    const { db } = database;
    const [person] = await runNamed(db, NEW_PERSON, ['beneficiaries', 'id']);
    const beneficiaryId = Number(person!.id);
    const [contact] = await runNamed(db, NEW_CONTACT, [beneficiaryId, 'device-1', 'نورة']);
    // The same statement again: prepared once per connection, reused without a "already exists" error.
    for (let i = 0; i < 3; i++) {
      const [raw] = await runNamed(db, CONTACT, [Number(contact!.id)]);
      const row = rowOf(contacts, raw!);
      expect(row).toMatchObject({ id: Number(contact!.id), beneficiaryId, channel: 'web', channelUserId: 'device-1', displayName: 'نورة', optedOut: false, inboundSeq: 0 });
      expect(row.createdAt).toBeInstanceOf(Date);
      // What drizzle's own query returns for the same row.
      const [viaDrizzle] = await db.select().from(contacts).where(eq(contacts.id, row.id));
      expect(row).toEqual(viaDrizzle);
    }

    await expect(
      db.transaction(async (tx) => {
        await runNamed(tx, NEW_CONTACT, [beneficiaryId, 'device-2', null]);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await db.$count(contacts)).toBe(1);
    expect(await db.$count(beneficiaries)).toBe(1);
  });

  it('says which statement failed', async () => {
    await expect(runNamed(database.db, BROKEN, [1])).rejects.toThrow(/statement wasl_test_broken failed: .*no_such_column/);
  });
});

describe('declaring named statements', () => {
  it('refuses a second declaration of a name with other SQL, and accepts the same one again', () => {
    expect(namedStatement('test_contact', `select ${columnList(contacts)} from contacts where id = $1`)).toEqual(CONTACT);
    expect(() => namedStatement('test_contact', 'select 1')).toThrow('named statement wasl_test_contact is declared twice with different SQL');
  });
});
