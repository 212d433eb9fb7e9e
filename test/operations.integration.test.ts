/**
 * Operations: liveness next to readiness, logs that never carry a national ID or a mobile number (captured from
 * a real intake at trace level), and the activity metrics (messages per channel and direction, job latency,
 * handoffs, survey responses) on `/metrics`.
 */
import { randomUUID } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import { Pool } from 'pg';
import type { ChannelRuntime } from '../src/channels/channel-module';
import { createLogger } from '../src/observability/logger';
import { metrics, readiness } from '../src/observability/probes';
import type { Db } from '../src/store/database';
import { executeRows } from '../src/store/execute-rows';
import { messages, surveys } from '../src/store/schema';
import { sendSurveyNow } from '../src/surveys/survey-triggers';
import { signedIn } from './console-client';
import { startTestWasl, waitFor, type TestChat, type TestWasl } from './support/harness';
import { submitRequest } from './support/intake-script';

const NATIONAL_ID = '1101234563';
/** The forms of the intake script's mobile 0551234567 that could leak. */
const MOBILE_FORMS = ['0551234567', '+966551234567', '966551234567'];

function captured(): { lines: string[]; destination: { write(line: string): void } } {
  const lines: string[] = [];
  return { lines, destination: { write: (line: string) => void lines.push(line) } };
}

describe('logs mask national IDs and mobile numbers', () => {
  it('in the message, nested fields and errors, keeping the line valid JSON', () => {
    const out = captured();
    const log = createLogger({ level: 'info', destination: out.destination });
    log.info({ answer: 'هويتي 1101234563 وجوالي ٠٥٥١٢٣٤٥٦٧', nested: { list: ['iqama 2000000006'] }, contactId: 1234567890 }, 'reply to +966 55 123 4567');
    log.error({ err: new Error('bad national id 1101234563 from 966551234567') }, 'failed');
    expect(out.lines).toHaveLength(2);
    const [first, second] = out.lines.map((l) => JSON.parse(l));
    expect(first.msg).toBe('reply to [mobile]');
    expect(first.answer).toBe('هويتي [national-id] وجوالي [mobile]');
    expect(first.nested.list).toEqual(['iqama [national-id]']);
    // Numbers that are not strings are identifiers, not typed personal data.
    expect(first.contactId).toBe(1234567890);
    expect(second.err.message).toBe('bad national id [national-id] from [mobile]');
    expect(second.err.stack).not.toContain(NATIONAL_ID);
  });

  it('leave reference numbers, dates and short numbers alone', () => {
    const out = captured();
    createLogger({ level: 'info', destination: out.destination }).info({ ref: 'REQ-10482', at: '2026-11-22T04:20:31.000Z', amount: '2500' }, 'ok');
    expect(JSON.parse(out.lines[0]!)).toMatchObject({ ref: 'REQ-10482', at: '2026-11-22T04:20:31.000Z', amount: '2500' });
  });
});

describe('operations endpoints on a real Wasl', () => {
  let wasl: TestWasl;
  const logs = captured();
  // Today at 10:00 in Riyadh (UTC+3, no DST), moving on in real time: a survey prompt is never held back by quiet
  // hours, whenever the suite runs.
  const anchor = new Date();
  anchor.setUTCHours(7, 0, 0, 0);
  const startedAt = Date.now();
  const clock = () => new Date(anchor.getTime() + (Date.now() - startedAt));
  beforeAll(async () => {
    wasl = await startTestWasl({
      db: 'postgres',
      roles: 'web,engine,outbound,surveys',
      extraEnv: { LOG_LEVEL: 'trace' },
      options: { logDestination: logs.destination, clock, surveySweepEveryMs: false },
    });
  });
  afterAll(() => wasl?.stop());
  const scrape = async () => (await fetch(`${wasl.url}/metrics`)).text();
  /** The value of one unlabelled sample, e.g. `wasl_handoffs_total`. */
  const sample = async (name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(await scrape())?.[1] ?? NaN);

  it('answers /healthz without touching a dependency, next to /readyz', async () => {
    const res = await fetch(`${wasl.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${wasl.url}/readyz`);
    expect(ready.status).toBe(200);
  });

  it('logs a whole intake without the national ID or the mobile number in any line', async () => {
    await submitRequest(wasl.chat(), NATIONAL_ID);
    const written = logs.lines.join('');
    // The capture works (the start line is in it), so the absence below is measured, not assumed. The intake path
    // logs little on purpose; this guards it against a future log line, the test above proves the masking.
    expect(written).toContain('Wasl started');
    expect(written).not.toContain(NATIONAL_ID);
    for (const form of MOBILE_FORMS) expect(written).not.toContain(form);
  });

  it('exposes messages per channel, job latency, handoffs and survey responses on /metrics', async () => {
    const chat = wasl.chat();
    await chat.say('السلام عليكم');
    await chat.say('موظف');
    const count = async (direction: 'in' | 'out') => {
      const [row] = await wasl.database.db
        .select({ n: sql<number>`count(*)::int` })
        .from(messages)
        .where(and(eq(messages.channel, 'cli'), eq(messages.direction, direction), direction === 'out' ? eq(messages.status, 'sent') : sql`true`));
      return row!.n;
    };
    const [inbound, outbound] = [await count('in'), await count('out')];
    expect(inbound).toBeGreaterThan(10);
    const text = await waitFor('the counters to catch up', async () => {
      const body = await (await fetch(`${wasl.url}/metrics`)).text();
      return body.includes(`wasl_messages_total{channel="cli",direction="out"} ${outbound}`) ? body : null;
    });
    expect(text).toContain(`wasl_messages_total{channel="cli",direction="in"} ${inbound}`);
    expect(text).toMatch(/wasl_job_duration_seconds_bucket\{queue="engine",le="\+Inf"\} [1-9]\d*/);
    expect(text).toMatch(/wasl_job_duration_seconds_count\{queue="outbound"\} [1-9]\d*/);
    expect(text).toContain('wasl_handoffs_total 1');
    expect(text).toContain('wasl_conversations{status="waiting"} 1');
    expect(text).toContain('wasl_survey_responses_total 0');
    // And what the database takes on disk, the server's log included (this test's role may list it).
    const [size] = await executeRows<{ bytes: number }>(wasl.database.db, sql`select pg_database_size(current_database())::float8 as bytes`);
    const reported = Number(/^wasl_database_bytes (\d+)$/m.exec(text)?.[1]);
    expect(Math.abs(reported - size!.bytes)).toBeLessThan(0.2 * size!.bytes);
    expect(text).toMatch(/^wasl_database_wal_bytes [1-9]\d*$/m);
  });

  it('leaves out of /metrics what a role without the rights cannot read, and still answers', async () => {
    const role = `wasl_metrics_${randomUUID().slice(0, 8)}`;
    await wasl.database.db.execute(sql.raw(`create role ${role} login`));
    const url = new URL(wasl.databaseUrl!);
    url.username = role;
    const pool = new Pool({ connectionString: url.toString(), max: 1 });
    try {
      const text = await metrics({ db: drizzle({ client: pool }) as unknown as Db, redis: wasl.redis, queues: [], channels: new Map() });
      expect(text).toContain('wasl_ready{check="database",state="ok"} 1');
      expect(text).toMatch(/^wasl_database_bytes [1-9]\d*$/m); // any role may ask a database's size
      expect(text).not.toContain('wasl_database_wal_bytes'); // listing the log takes pg_monitor
      expect(text).not.toContain('wasl_conversations'); // no rights on the tables either
    } finally {
      await pool.end();
      await wasl.database.db.execute(sql.raw(`drop role ${role}`));
    }
  });

  it('counts every handoff, also of a conversation handed off before, and never counts down', async () => {
    const chat = wasl.chat();
    await chat.say('السلام عليكم');
    const before = await sample('wasl_handoffs_total');
    await chat.say('موظف');
    expect(await sample('wasl_handoffs_total')).toBe(before + 1);
    const conversationId = (await chat.conversationId())!;
    const researcher = (await signedIn(wasl.database.db, wasl.url!, { role: 'researcher' })).client;

    // Back to the bot: handed_off_at is cleared, the count of handoffs stays.
    expect((await researcher.post(`/api/conversations/${conversationId}/claim`)).status).toBe(200);
    expect((await researcher.post(`/api/conversations/${conversationId}/hand-back`, {})).body).toMatchObject({ status: 'bot' });
    await chat.replies();
    expect(await sample('wasl_handoffs_total')).toBe(before + 1);

    // The same conversation handed off again, by the beneficiary and then by a hand-back into the researcher flow.
    await chat.say('موظف');
    expect(await sample('wasl_handoffs_total')).toBe(before + 2);
    expect((await researcher.post(`/api/conversations/${conversationId}/claim`)).status).toBe(200);
    expect((await researcher.post(`/api/conversations/${conversationId}/hand-back`, { flow: 'human' })).body).toMatchObject({ status: 'waiting' });
    await chat.replies();
    expect(await sample('wasl_handoffs_total')).toBe(before + 3);
    // Words while the chat already waits hand nothing over again.
    await chat.say('موظف');
    expect(await sample('wasl_handoffs_total')).toBe(before + 3);
  });

  it('counts each answered survey once, however many messages the answer took', async () => {
    const before = await sample('wasl_survey_responses_total');
    const answer = async (chat: TestChat, rating: string, comment: string) => {
      await chat.say('السلام عليكم');
      const conversationId = (await chat.conversationId())!;
      const deps = { db: wasl.database.db, queues: wasl.queues, log: wasl.server!.log as never, organisation: wasl.content.organisation, clock };
      await sendSurveyNow(deps, { kind: 'conversation', id: conversationId, conversationId, staffId: null });
      const surveyOf = () => wasl.database.db.select().from(surveys).where(eq(surveys.conversationId, conversationId));
      await waitFor('the survey prompt', async () => (await surveyOf())[0]?.status === 'sent');
      expect((await chat.replies()).join('\n')).toContain('كيف تقيّم الخدمة');
      expect((await chat.say(rating)).join('\n')).toContain('هل لديك ملاحظة');
      await chat.say(comment);
      expect((await surveyOf())[0]).toMatchObject({ status: 'answered' });
    };
    await answer(wasl.chat(), '⭐⭐⭐⭐', 'الموظف كان متعاونًا');
    await answer(wasl.chat(), '5', 'لا');
    expect(await sample('wasl_survey_responses_total')).toBe(before + 2);
  });

  it('reports the exact depth of every queue, those of the surveys, retention and staff notices too', async () => {
    const engine = wasl.workers.find((w) => w.name === 'engine')!;
    // Paused, the engine leaves each new conversation's drain waiting in the queue.
    await engine.pause();
    const chats = [wasl.chat(), wasl.chat(), wasl.chat()];
    try {
      for (const chat of chats) expect(await chat.post('السلام عليكم')).toBe(202);
      const text = await scrape();
      expect(text).toContain('wasl_queue_jobs{queue="engine",state="waiting"} 3');
      expect(text).toContain('wasl_queue_jobs{queue="surveys",state="waiting"} 0');
      // The retention scheduler keeps exactly its next run delayed.
      expect(text).toContain('wasl_queue_jobs{queue="maintenance",state="delayed"} 1');
      expect(text).toContain('wasl_queue_jobs{queue="staff-notify",state="waiting"} 0');
    } finally {
      await engine.resume();
    }
    for (const chat of chats) expect((await chat.replies()).length).toBeGreaterThan(0);
    expect(await scrape()).toContain('wasl_queue_jobs{queue="engine",state="waiting"} 0');
  });

  it('labels wasl_ready with ok/failing or a fixed channel state, never a reason in words; /readyz keeps the reason', async () => {
    const reason = 'getMe failed: connect ETIMEDOUT 149.154.167.220:443';
    const channel = (check: () => Promise<{ ready: boolean; state: string }>, states?: readonly string[]) =>
      ({ adapter: {}, readiness: check, ...(states ? { readinessStates: states } : {}) }) as unknown as ChannelRuntime;
    const deps = {
      db: wasl.database.db,
      redis: wasl.redis,
      queues: [],
      channels: new Map([
        ['telegram', channel(async () => ({ ready: false, state: reason }))],
        ['sms', channel(async () => { throw new Error('socket hang up at 10:41:07.332'); })],
        ['whatsapp', channel(async () => ({ ready: false, state: 'qr' }), ['qr', 'ready'])],
      ]),
    };
    const text = await metrics(deps);
    const ready = text.split('\n').filter((l) => l.startsWith('wasl_ready{'));
    expect(ready).toEqual([
      'wasl_ready{check="database",state="ok"} 1',
      'wasl_ready{check="redis",state="ok"} 1',
      'wasl_ready{check="channel:telegram",state="failing"} 0',
      'wasl_ready{check="channel:sms",state="failing"} 0',
      'wasl_ready{check="channel:whatsapp",state="qr"} 0',
    ]);
    const report = await readiness(deps);
    expect(report.checks['channel:telegram']).toEqual({ ready: false, state: reason });
    expect(report.checks['channel:sms']!.state).toContain('socket hang up');
  });
});
