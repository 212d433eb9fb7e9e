/**
 * Operations: liveness next to readiness, logs that never carry a national ID or a mobile number (captured from
 * a real intake at trace level), and the activity metrics (messages per channel and direction, job latency,
 * handoffs, survey responses) on `/metrics`.
 */
import { and, eq, sql } from 'drizzle-orm';
import { createLogger } from '../src/observability/logger';
import { messages } from '../src/store/schema';
import { startTestWasl, waitFor, type TestWasl } from './support/harness';
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
  beforeAll(async () => {
    wasl = await startTestWasl({ db: 'postgres', extraEnv: { LOG_LEVEL: 'trace' }, options: { logDestination: logs.destination } });
  });
  afterAll(() => wasl?.stop());

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
    expect(text).toMatch(/wasl_queue_jobs\{queue="engine",state="waiting"\} \d+/);
  });
});
