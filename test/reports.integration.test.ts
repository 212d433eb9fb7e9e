/**
 * Survey reports against a hand-computed fixture, on real PostgreSQL, through real HTTP. The test's
 * preHandler reads the viewer from a header; in Wasl the staff console passes its own session preHandler.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance, type preHandlerHookHandler } from 'fastify';
import { DateTime } from 'luxon';
import { registerReportRoutes } from '../src/reports/report-routes';
import { openDatabase, type Database } from '../src/store/database';
import { beneficiaries, contacts, conversations, requests, staff, surveys } from '../src/store/schema';
import { riyadh, surveyRow, zone } from './reports-fixture';
import { createTestDatabase } from './support/postgres';


describe('survey reports', () => {
  let pg: { url: string; drop(): Promise<void> };
  let database: Database;
  let app: FastifyInstance;
  let url: string;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'wasl-reports-'));

  beforeAll(async () => {
    pg = await createTestDatabase();
    database = await openDatabase({ databaseUrl: pg.url, dataDir });
    await seed(database);
    app = Fastify();
    // Stands in for the console's session check: `x-test-staff: supervisor:1`.
    const authenticate: preHandlerHookHandler = async (request) => {
      const [role, id] = String(request.headers['x-test-staff'] ?? '').split(':');
      if (role) (request as { staff?: unknown }).staff = { id: Number(id), role };
    };
    registerReportRoutes(app, { db: database.db, timezone: zone }, authenticate);
    url = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await app?.close();
    await database?.close();
    await pg?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function get(pathAndQuery: string, viewer: string | null = 'supervisor:1') {
    const res = await fetch(`${url}/api/reports/surveys${pathAndQuery}`, { headers: viewer ? { 'x-test-staff': viewer } : {} });
    const bytes = Buffer.from(await res.arrayBuffer());
    // Decoded by hand: fetch's text() would drop a byte order mark the test wants to see.
    const text = bytes.toString('utf8');
    return { status: res.status, type: res.headers.get('content-type'), text, json: () => JSON.parse(text) };
  }

  it('2026-11-01 is a Sunday (the fixture weeks rely on it)', () => {
    expect(DateTime.fromISO('2026-11-01', { zone }).weekday).toBe(7);
  });

  it('summary: response rate, CSAT, average, distribution', async () => {
    const r = await get('/summary');
    expect(r.status).toBe(200);
    expect(r.json()).toEqual({
      sent: 6,
      answered: 5,
      responseRate: 0.8333, // 5 / 6
      csat: 0.4, // {5, 4} of {5, 4, 2, 3, 1}
      average: 3, // 15 / 5
      distribution: { '1': 1, '2': 1, '3': 1, '4': 1, '5': 1 },
    });
  });

  it('trend by month and by week, in Riyadh time (00:30 on 1 December is December, not UTC November)', async () => {
    expect((await get('/trend?period=month')).json()).toEqual([
      { period: '2026-11-01', sent: 5, answered: 4, responseRate: 0.8, csat: 0.5, average: 3.5 },
      { period: '2026-12-01', sent: 1, answered: 1, responseRate: 1, csat: 0, average: 1 },
    ]);
    expect((await get('/trend?period=week')).json()).toEqual([
      { period: '2026-11-01', sent: 4, answered: 3, responseRate: 0.75, csat: 0.6667, average: 3.67 },
      { period: '2026-11-08', sent: 1, answered: 1, responseRate: 1, csat: 0, average: 3 },
      { period: '2026-11-29', sent: 1, answered: 1, responseRate: 1, csat: 0, average: 1 },
    ]);
    expect((await get('/trend?period=day')).status).toBe(400);
  });

  it('by channel and by request type', async () => {
    expect((await get('/by-channel')).json()).toEqual([
      { channel: 'cli', sent: 1, answered: 1, responseRate: 1, csat: 0, average: 3 },
      { channel: 'telegram', sent: 3, answered: 3, responseRate: 1, csat: 0.6667, average: 3.33 },
      { channel: 'whatsapp', sent: 2, answered: 1, responseRate: 0.5, csat: 0, average: 2 },
    ]);
    expect((await get('/by-request-type')).json()).toEqual([
      { requestType: 'conversation', sent: 1, answered: 1, responseRate: 1, csat: 0, average: 3 },
      { requestType: 'food-basket', sent: 3, answered: 3, responseRate: 1, csat: 0.6667, average: 3.33 },
      { requestType: 'rent', sent: 2, answered: 1, responseRate: 0.5, csat: 0, average: 2 },
    ]);
  });

  it('filters by local date range, channel and request type', async () => {
    const r = (await get('/summary?from=2026-11-02&to=2026-11-30')).json();
    expect(r).toMatchObject({ sent: 4, answered: 3, csat: 0.3333, average: 3 }); // surveys 2, 3, 4, 5
    expect((await get('/summary?channel=whatsapp')).json()).toMatchObject({ sent: 2, answered: 1 });
    expect((await get('/summary?requestType=food-basket')).json()).toMatchObject({ sent: 3, answered: 3, average: 3.33 });
    expect((await get('/summary?from=1-11-2026')).status).toBe(400);
  });

  it('per-researcher figures for supervisors and admins only', async () => {
    const expected = [
      { staffId: 1, staffName: 'أحمد', sent: 3, answered: 3, responseRate: 1, csat: 0.6667, average: 4 },
      { staffId: 2, staffName: 'سارة', sent: 2, answered: 1, responseRate: 0.5, csat: 0, average: 2 },
      { staffId: null, staffName: null, sent: 1, answered: 1, responseRate: 1, csat: 0, average: 1 },
    ];
    expect((await get('/by-researcher', 'supervisor:9')).json()).toEqual(expected);
    expect((await get('/by-researcher', 'admin:8')).json()).toEqual(expected);
    expect((await get('/by-researcher', 'researcher:1')).status).toBe(403);

    const forSupervisor = (await get('', 'supervisor:9')).json();
    expect(forSupervisor.byResearcher).toEqual(expected);
    expect(forSupervisor.comments[0].staffId).toBeNull();
    const forResearcher = (await get('', 'researcher:1')).json();
    expect(forResearcher.byResearcher).toBeUndefined();
    expect(forResearcher.summary.sent).toBe(6);
    expect(JSON.stringify(forResearcher)).not.toContain('staffId');
    expect((await get('/export.csv', 'researcher:1')).text).not.toContain('staff_id');
  });

  it('comments, newest first', async () => {
    const comments = (await get('/comments')).json();
    expect(comments.map((c: { comment: string; score: number }) => [c.score, c.comment])).toEqual([
      [1, 'سيء'],
      [2, '=cmd bad'],
      [5, 'ممتاز شكرا'],
    ]);
  });

  it('CSV export: UTF-8 with BOM, one row per sent survey, formulas defused', async () => {
    const r = await get('/export.csv');
    expect(r.type).toContain('text/csv');
    expect(r.text.startsWith('\uFEFF')).toBe(true);
    const lines = r.text.slice(1).trim().split('\r\n');
    expect(lines[0]).toBe('survey_id,subject,sent_at,answered_at,status,channel,request_type,score,comment,staff_id');
    expect(lines).toHaveLength(7);
    expect(r.text).toContain(",'=cmd bad,");
    expect(r.text).toContain('ممتاز شكرا');
  });

  it('refuses a request without a signed-in viewer', async () => {
    expect((await get('/summary', null)).status).toBe(401);
  });
});

/**
 * Six sent surveys (and two never sent, which no figure may count):
 *   #  channel   type         staff  score  sent (Riyadh)
 *   1  telegram  food-basket  1      5      2026-11-01 10:00  "ممتاز شكرا"
 *   2  telegram  food-basket  1      4      2026-11-02 10:00
 *   3  whatsapp  rent         2      2      2026-11-03 10:00  "=cmd bad"
 *   4  whatsapp  rent         2      —      2026-11-04 10:00  (expired)
 *   5  cli       (conversation) 1    3      2026-11-08 10:00
 *   6  telegram  food-basket  —      1      2026-12-01 00:30  "سيء"  (UTC: 30 November)
 */
async function seed(database: Database): Promise<void> {
  const db = database.db;
  await db.insert(staff).values([
    { id: 1, email: 'a@example.org', name: 'أحمد', passwordHash: 'x', role: 'researcher' },
    { id: 2, email: 's@example.org', name: 'سارة', passwordHash: 'x', role: 'researcher' },
  ] as never);
  const [b] = await db.insert(beneficiaries).values({}).returning();
  const [c] = await db.insert(contacts).values({ beneficiaryId: b!.id, channel: 'telegram', channelUserId: 'u1' }).returning();
  const [conv] = await db.insert(conversations).values({ contactId: c!.id, beneficiaryId: b!.id, channel: 'telegram' }).returning();
  const request = async (type: string) =>
    (
      await db
        .insert(requests)
        .values({ referenceNumber: `REQ-${type}-${Math.random()}`, beneficiaryId: b!.id, contactId: c!.id, type, answers: {}, nationalIdSealed: 'x', nationalIdHash: 'h', attestation: {} })
        .returning()
    )[0]!.id;
  const food = await request('food-basket');
  const food2 = await request('food-basket');
  const food3 = await request('food-basket');
  const rent = await request('rent');
  const rent2 = await request('rent');
  const at = { conversationId: conv!.id, beneficiaryId: b!.id };
  await db.insert(surveys).values([
    surveyRow(at, 1, food, 'telegram', 1, 5, '2026-11-01T10:00', 'ممتاز شكرا'),
    surveyRow(at, 2, food2, 'telegram', 1, 4, '2026-11-02T10:00'),
    surveyRow(at, 3, rent, 'whatsapp', 2, 2, '2026-11-03T10:00', '=cmd bad'),
    surveyRow(at, 4, rent2, 'whatsapp', 2, null, '2026-11-04T10:00'),
    surveyRow(at, 5, null, 'cli', 1, 3, '2026-11-08T10:00'),
    surveyRow(at, 6, food3, 'telegram', null, 1, '2026-12-01T00:30', 'سيء'),
    { subjectKind: 'conversation', subjectId: '9001', beneficiaryId: b!.id, status: 'scheduled', scheduledFor: riyadh('2026-11-05T10:00') },
    { subjectKind: 'conversation', subjectId: '9002', beneficiaryId: b!.id, status: 'skipped', skipReason: 'opted-out', channel: 'telegram' },
  ]);
}
