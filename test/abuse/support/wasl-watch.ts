/**
 * What every abuse test checks after its fuzzing, whatever the boundary:
 * - the process logged no error (an `error`/`fatal` line is a crash even when the client saw a 4xx), and every
 *   log line is one JSON object — hostile text cannot forge or split a line;
 * - every stored inbound message and contact is sound: well-formed text (no NUL, no half surrogate pair), from
 *   a contact of its own channel, and one row per provider id.
 */
import { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import type { Db } from '../../../src/store/database';

export class LogCapture {
  readonly lines: string[] = [];
  /** Lines that are not a single JSON object. */
  readonly broken: string[] = [];
  readonly destination = new Writable({
    write: (chunk: Buffer, _enc, done) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line) continue;
        try {
          const parsed: unknown = JSON.parse(line);
          if (!parsed || typeof parsed !== 'object') throw new Error('not an object');
          this.lines.push(line);
        } catch {
          this.broken.push(line);
        }
      }
      done();
    },
  });

  /** Prints the first error lines, so a failing run says what the server hit. */
  printErrors(): void {
    const errors = this.errors();
    if (errors.length) console.log(`${errors.length} error lines logged, first:\n${errors.slice(0, 5).map((e) => e.line).join('\n')}`);
  }

  /** Lines at `error` (50) or above, with their message. */
  errors(): { msg: string; line: string }[] {
    return this.lines
      .map((line) => JSON.parse(line) as { level: number; msg?: string })
      .filter((l) => l.level >= 50)
      .map((l) => ({ msg: String(l.msg), line: JSON.stringify(l).slice(0, 600) }));
  }
}

/** Half of a surrogate pair (not followed / preceded by its other half), or a NUL. */
const CORRUPT = /[\u0000]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function isSoundText(text: string | null): boolean {
  return text === null || !CORRUPT.test(text);
}

/** Every problem with the stored inbound records of `channel`; empty when all is well. */
export async function storedRecordProblems(db: Db, channel: string): Promise<string[]> {
  const problems: string[] = [];
  const rows = (await db.execute(sql`
    select m.id, m.text, m.channel, m.provider_message_id as "providerMessageId", ct.channel as "contactChannel"
    from messages m join conversations c on c.id = m.conversation_id join contacts ct on ct.id = c.contact_id
    where m.direction = 'in' and (m.channel = ${channel} or ct.channel = ${channel})`)) as unknown as { rows?: Row[] } | Row[];
  const list: Row[] = Array.isArray(rows) ? rows : (rows.rows ?? []);
  const seen = new Set<string>();
  for (const r of list) {
    if (!isSoundText(r.text)) problems.push(`message ${r.id}: corrupt text ${JSON.stringify(r.text).slice(0, 80)}`);
    if (!r.providerMessageId) problems.push(`message ${r.id}: no provider id`);
    else if (seen.has(`${r.channel}:${r.providerMessageId}`)) problems.push(`message ${r.id}: provider id ${r.providerMessageId} stored twice`);
    else seen.add(`${r.channel}:${r.providerMessageId}`);
    // Contacts are per channel: an inbound message belongs to a contact of its own channel.
    if (r.contactChannel !== r.channel) problems.push(`message ${r.id}: a ${r.channel} message from a ${r.contactChannel} contact`);
  }
  const contactRows = (await db.execute(sql`select id, channel_user_id as "userId", display_name as "name" from contacts where channel = ${channel}`)) as unknown as
    | { rows?: ContactRow[] }
    | ContactRow[];
  for (const c of Array.isArray(contactRows) ? contactRows : (contactRows.rows ?? [])) {
    if (!isSoundText(c.userId) || !isSoundText(c.name)) problems.push(`contact ${c.id}: corrupt id or name ${JSON.stringify([c.userId, c.name]).slice(0, 80)}`);
  }
  return problems;
}

interface Row {
  id: number;
  text: string | null;
  channel: string;
  providerMessageId: string | null;
  contactChannel: string;
}
interface ContactRow {
  id: number;
  userId: string;
  name: string | null;
}

/** How many inbound messages of `channel` are stored. */
export async function inboundCount(db: Db, channel: string): Promise<number> {
  const res = (await db.execute(sql`select count(*)::int as n from messages where direction = 'in' and channel = ${channel}`)) as unknown as
    | { rows?: { n: number }[] }
    | { n: number }[];
  const rows = Array.isArray(res) ? res : (res.rows ?? []);
  return Number(rows[0]?.n ?? 0);
}
