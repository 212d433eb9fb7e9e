/**
 * Hostile beneficiary text — `<script>`, `"><img onerror>`, `</textarea>`, `javascript:` links, bidi overrides,
 * template syntax — typed through the real pipeline (the terminal channel), then read back by a supervisor in
 * every console page that shows it (inbox, conversation, beneficiary, search, survey report) and in the JSON
 * API. Each page must carry it as text only: no tag or attribute from the input, no bidi override; the API
 * returns it as data. Every injection carries a unique marker, so "not found raw" cannot pass by accident:
 * the marker must be found escaped.
 *
 * The other fields a beneficiary controls come through Telegram's webhook, as the app sends them: the display
 * name (first and last name), intake answers typed in a real intake, and the file names of documents sent for
 * the request. They are read back in the inbox, conversation, beneficiary and request pages, in both languages.
 */
import { and, eq, inArray } from 'drizzle-orm';
import fc from 'fast-check';
import { contacts, conversations, messages, requestDocuments, requests, surveys } from '../../src/store/schema';
import { toStorableText } from '../../src/text/storable-text';
import { signedIn, type ConsoleClient } from '../console-client';
import { FakeTelegramApi } from '../fakes/fake-telegram-api';
import { surveyRow } from '../reports-fixture';
import { waitFor, type TestWasl } from '../support/harness';
import { AbuseReport } from './support/abuse-report';
import { announceSeed, fuzzParams, hostileText } from './support/hostile-strings';
import { useAbuseWasl } from './support/abuse-wasl';

const report = new AbuseReport('Console pages and API (hostile beneficiary text)');
const TELEGRAM_SECRET = 'escaping-secret-0123456789abcdef';
let telegram: FakeTelegramApi;
const abuse = useAbuseWasl({
  report,
  start: async () => {
    telegram = await FakeTelegramApi.start();
    return {
      db: 'pglite',
      extraEnv: {
        TELEGRAM_BOT_TOKEN: telegram.token,
        TELEGRAM_API_ROOT: telegram.url,
        TELEGRAM_WEBHOOK_URL: 'https://wasl.example.org/webhooks/telegram',
        TELEGRAM_WEBHOOK_SECRET: TELEGRAM_SECRET,
        TELEGRAM_CHAT_INTERVAL_MS: '0',
      },
    };
  },
  after: () => telegram?.stop(),
});
const { logs } = abuse;
let wasl: TestWasl;
let supervisor: ConsoleClient;
beforeAll(async () => {
  announceSeed('console-escaping.abuse');
  wasl = abuse.wasl();
  ({ client: supervisor } = await signedIn(wasl.database.db, wasl.url!, { role: 'supervisor' }));
});

let markerSeq = 0;
/** Injections that would run or restyle something if a page wrote them raw; `M` is the marker. */
const INJECTIONS = [
  '<script>M</script>',
  '"><img src=x onerror=M>',
  "'><svg onload=M>",
  '</textarea></title><script>M</script>',
  '<a href="javascript:M">x</a>',
  '<style>*{display:none}</style>M',
  '\u202EM\u202C',
  '\u2066M\u2069',
];
/** What must never appear in a page's HTML once `M` is the marker. */
const rawForms = (m: string) => [`<script>${m}`, `<img src=x onerror=${m}`, `<svg onload=${m}`, `href="javascript:${m}`, `<style>*{display:none}</style>${m}`, `"><img`, `'><svg`];
const BIDI = /[\u202A-\u202E\u2066-\u2069]/;

const hostileMessage = fc.record({ before: hostileText(3), injection: fc.constantFrom(...INJECTIONS), after: hostileText(2) }).map(({ before, injection, after }) => {
  const marker = `zq${++markerSeq}zq`;
  return { marker, text: `${before}${injection.replaceAll('M', marker)}${after}` };
});

/** Every problem with one page: raw injected markup, bidi controls, or a 5xx. */
async function pageProblems(path: string, marker: string, mustShow: boolean): Promise<string[]> {
  const res = await supervisor.get(path);
  report.http(`page ${path.replace(/\d+/g, ':id').replace(/\?.*/, '?…')}`, res.status, path);
  if (res.status >= 500) return [`${path}: ${res.status}`];
  const problems = rawForms(marker)
    .filter((raw) => res.text.includes(raw))
    .map((raw) => `${path}: raw ${JSON.stringify(raw)}`);
  if (BIDI.test(res.text)) problems.push(`${path}: a bidi override reached the page`);
  if (mustShow && !res.text.includes(marker)) problems.push(`${path}: the beneficiary's text is not shown at all`);
  return problems;
}

/** The markup with character references resolved, so an escaped field can be compared with what was typed. */
function decodeEntities(markup: string): string {
  const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00A0' };
  return markup.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, ref: string) => {
    if (ref[0] !== '#') return named[ref.toLowerCase()] ?? whole;
    return String.fromCodePoint(ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : Number(ref.slice(1)));
  });
}
const BIDI_ALL = new RegExp(BIDI.source, 'g');

/** A beneficiary-controlled value as stored, and the marker its injections carry. */
interface Field {
  what: string;
  marker: string;
  stored: string;
}

/**
 * Every problem with one page, in Arabic and in English: raw markup from any of `fields`, a `javascript:` link,
 * a bidi control, a 5xx — and each of `shown` missing from the text a reader sees. Comparing the decoded
 * markup with what was stored also catches double escaping, which would show staff `&lt;` instead of `<`.
 */
async function fieldProblems(path: string, fields: Field[], shown: Field[]): Promise<string[]> {
  const problems: string[] = [];
  for (const lang of ['ar', 'en'] as const) {
    const at = `${path}${path.includes('?') ? '&' : '?'}lang=${lang}`;
    const res = await supervisor.get(at);
    report.http(`page ${path.replace(/\d+/g, ':id')} (beneficiary fields)`, res.status, at);
    if (res.status !== 200) {
      problems.push(`${at}: ${res.status}`);
      continue;
    }
    if (BIDI.test(res.text)) problems.push(`${at}: a bidi override reached the page`);
    if (/href\s*=\s*["']?\s*javascript:/i.test(res.text)) problems.push(`${at}: a javascript: link`);
    for (const f of fields) for (const raw of rawForms(f.marker)) if (res.text.includes(raw)) problems.push(`${at}: ${f.what} raw ${JSON.stringify(raw)}`);
    const text = decodeEntities(res.text);
    for (const f of shown) if (!text.includes(f.stored.replace(BIDI_ALL, ''))) problems.push(`${at}: ${f.what} is not shown as typed`);
  }
  return [...new Set(problems)];
}

const PDF = Buffer.from('%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n');
let telegramMessageId = 1;

/** Someone on Telegram, whose first and last name are whatever they typed into the app. */
class TelegramUser {
  constructor(
    readonly chatId: number,
    readonly firstName: string,
    readonly lastName: string,
  ) {}

  /** Posts one update to the webhook as Telegram would, and returns once Wasl has answered it. */
  async send(content: Record<string, unknown>): Promise<void> {
    const from = { id: this.chatId, is_bot: false, first_name: this.firstName, last_name: this.lastName, language_code: 'ar' };
    const chat = { id: this.chatId, type: 'private', first_name: this.firstName, last_name: this.lastName };
    const update = telegram.makeUpdate({ message: { message_id: telegramMessageId++, date: Math.floor(Date.now() / 1000), chat, from, ...content } });
    for (;;) {
      const res = await fetch(`${wasl.url}/webhooks/telegram`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': TELEGRAM_SECRET },
        body: JSON.stringify(update),
      });
      await res.arrayBuffer();
      report.http('telegram update (escaping)', res.status);
      // A whole intake is more than the per-chat inbound limit allows in one window; Telegram redelivers the
      // same update after Retry-After, and so does this.
      if (res.status === 429) {
        await new Promise((r) => setTimeout(r, Number(res.headers.get('retry-after') ?? 1) * 1000));
        continue;
      }
      expect(res.status).toBe(200);
      break;
    }
    await waitFor(`telegram chat ${this.chatId} to settle`, async () => {
      const pending = await wasl.database.db
        .select({ id: messages.id })
        .from(messages)
        .innerJoin(conversations, eq(conversations.id, messages.conversationId))
        .innerJoin(contacts, eq(contacts.id, conversations.contactId))
        .where(and(eq(contacts.channel, 'telegram'), eq(contacts.channelUserId, String(this.chatId)), inArray(messages.status, ['received', 'queued'])))
        .limit(1);
      return pending.length === 0;
    });
  }

  say(text: string): Promise<void> {
    return this.send({ text });
  }

  sendPdf(fileName: string): Promise<void> {
    const fileId = telegram.addFile(PDF, 'pdf');
    return this.send({ document: { file_id: fileId, file_unique_id: fileId, file_name: fileName, mime_type: 'application/pdf', file_size: PDF.length } });
  }

  /** The contact's stored row and its newest conversation. */
  async stored(): Promise<{ contactId: number; beneficiaryId: number; displayName: string; conversationId: number; status: string }> {
    const rows = await wasl.database.db
      .select({ contactId: contacts.id, beneficiaryId: contacts.beneficiaryId, displayName: contacts.displayName, conversationId: conversations.id, status: conversations.status })
      .from(contacts)
      .innerJoin(conversations, eq(conversations.contactId, contacts.id))
      .where(and(eq(contacts.channel, 'telegram'), eq(contacts.channelUserId, String(this.chatId))))
      .orderBy(conversations.id);
    const row = rows.at(-1)!;
    return { ...row, beneficiaryId: row.beneficiaryId!, displayName: row.displayName ?? '' };
  }
}

/** Each field must reach the database still hostile, or the pages below would be checked against nothing. */
function stillHostile(fields: Field[]): void {
  for (const f of fields) {
    expect({ what: f.what, hasMarker: f.stored.includes(f.marker), hasMarkup: /[<>"']/.test(f.stored) }).toEqual({ what: f.what, hasMarker: true, hasMarkup: true });
  }
}

describe('console under hostile beneficiary text', () => {
  it('escapes it in the inbox, conversation, beneficiary and search pages, and returns it as data', async () => {
    await fc.assert(
      fc.asyncProperty(hostileMessage, async ({ marker, text }) => {
        const chat = wasl.chat();
        const status = await chat.post(text);
        report.http('typed by a beneficiary', status, text);
        if (status !== 202) return;
        await chat.say('موظف'); // asks for a person: the conversation lands in the inbox
        const conversationId = (await chat.conversationId())!;
        const detail = await supervisor.get(`/api/conversations/${conversationId}`);
        expect(detail.status).toBe(200);
        const texts: string[] = detail.body.history.map((m: { text: string | null }) => m.text ?? '');
        // As data: what was sent, made storable (controls removed, halves of pairs replaced), nothing escaped.
        // Compared without byte-order marks and edge whitespace, which the way in may drop at the edges.
        const plain = (t: string) => t.replaceAll('\uFEFF', '').trim();
        expect(texts.map(plain)).toContain(plain(toStorableText(text)));
        const beneficiaryId = detail.body.conversation.beneficiary.id as number;
        const problems = [
          ...(await pageProblems('/console', marker, false)),
          ...(await pageProblems(`/console/conversations/${conversationId}`, marker, true)),
          ...(await pageProblems(`/console/beneficiaries/${beneficiaryId}`, marker, false)),
          ...(await pageProblems(`/console/search?q=${encodeURIComponent(text.replace(/[\uD800-\uDFFF]/g, ''))}`, marker, false)),
        ];
        expect(problems).toEqual([]);
      }),
      fuzzParams(20),
    );
  });

  it('escapes a hostile survey comment in the report page, its data block and the CSV', async () => {
    const chat = wasl.chat();
    await chat.say('السلام عليكم');
    const conversationId = (await chat.conversationId())!;
    const detail = await supervisor.get(`/api/conversations/${conversationId}`);
    const at = { conversationId, beneficiaryId: detail.body.conversation.beneficiary.id as number };
    const markers = INJECTIONS.map((injection, i) => {
      const marker = `zr${i}zr`;
      return { marker, comment: `=HYPERLINK("x")${injection.replaceAll('M', marker)}` };
    });
    await wasl.database.db.insert(surveys).values(markers.map((m, i) => surveyRow(at, 100 + i, null, 'cli', null, 2, '2026-11-10T10:00', m.comment)));
    const problems = (await Promise.all(markers.map((m) => pageProblems('/console/reports?from=2026-11-01&to=2026-11-30', m.marker, false)))).flat();
    expect(problems).toEqual([]);
    const csv = await supervisor.get('/api/reports/surveys/export.csv?from=2026-11-01&to=2026-11-30');
    report.http('survey CSV', csv.status);
    expect(csv.status).toBe(200);
    // A comment that starts like a formula is defused for spreadsheets.
    expect(csv.text).not.toMatch(/(^|,)"?=HYPERLINK/m);
  });

  it('escapes hostile display names, intake answers and file names in every page that shows them', async () => {
    // Display names, as the Telegram app sends them: first and last name, each the person's own choice.
    const asker = new TelegramUser(910_001, '<script>zn1zn</script>"><img src=x onerror=zn1zn>', '\u202E{{7*7}}zn1zn${7*7}\u200B\u200D');
    await asker.say('السلام عليكم');
    await asker.say('موظف'); // asks for a person: waiting in the inbox, shown by display name (no full name yet)
    const a = await asker.stored();
    expect(a.status).toBe('waiting');
    const nameA: Field = { what: 'display name', marker: 'zn1zn', stored: a.displayName };

    // A whole intake over Telegram, with hostile text in every answer that takes free text.
    const applicant = new TelegramUser(910_002, "'><svg onload=zn2zn>", '<a href="javascript:zn2zn">x</a> javascript:zn2zn');
    const city = '<script>zc1zc</script>';
    const district = '"><img src=x onerror=zc2zc>';
    const description = "'><svg onload=zc3zc> javascript:zc3zc {{7*7}} ${7*7} \u202Ezc3zc\u202C\u200B </textarea></title><a href=\"javascript:zc3zc\">x</a>";
    for (const line of ['السلام عليكم', '1', 'نورة سعد عبدالله الشهري', '1101234563', '0551234567', city, district, '4', '1800', '2', '3', description]) {
      await applicant.say(line);
    }
    // At the review step the answers are still the flow's data: the conversation page shows them as collected.
    const b = await applicant.stored();
    const nameB: Field = { what: 'display name', marker: 'zn2zn', stored: b.displayName };
    const typed: Field[] = [
      { what: 'city answer', marker: 'zc1zc', stored: city },
      { what: 'district answer', marker: 'zc2zc', stored: district },
      { what: 'description answer', marker: 'zc3zc', stored: description },
    ];
    const collected = await fieldProblems(`/console/conversations/${b.conversationId}`, [...typed, nameB], typed);

    await applicant.say('نعم'); // the review is right
    await applicant.say('1'); // the attestation: agreed; the request is created
    await applicant.say('1'); // send documents now
    await applicant.sendPdf('"><img src=x onerror=zf1zf>.pdf');
    await applicant.say('1'); // another document
    await applicant.sendPdf('<script>zf2zf</script>\u202E{{7*7}}fdp.pdf');
    await applicant.say('خلاص');

    const [request] = await wasl.database.db.select().from(requests).where(eq(requests.beneficiaryId, b.beneficiaryId));
    expect(request).toBeDefined();
    const answers = request!.answers as Record<string, unknown>;
    const answered: Field[] = typed.map((f, i) => ({ ...f, stored: String(answers[['city', 'district', 'description'][i]!]) }));
    const docs = await wasl.database.db.select().from(requestDocuments).where(eq(requestDocuments.requestId, request!.id)).orderBy(requestDocuments.id);
    expect(docs).toHaveLength(2);
    const files: Field[] = docs.map((d, i) => ({ what: `file name ${i + 1}`, marker: `zf${i + 1}zf`, stored: d.fileName ?? '' }));
    const all = [nameA, nameB, ...answered, ...files];
    stillHostile(all);

    const problems = [
      ...collected,
      ...(await fieldProblems('/console', all, [nameA])),
      ...(await fieldProblems('/console?view=open', all, [nameA])),
      ...(await fieldProblems(`/console/conversations/${a.conversationId}`, all, [nameA])),
      ...(await fieldProblems(`/console/beneficiaries/${a.beneficiaryId}`, all, [nameA])),
      ...(await fieldProblems(`/console/conversations/${b.conversationId}`, all, [])),
      ...(await fieldProblems(`/console/beneficiaries/${b.beneficiaryId}`, all, [nameB])),
      ...(await fieldProblems('/console/requests', all, [])),
      ...(await fieldProblems(`/console/requests/${request!.id}`, all, [...answered, ...files])),
    ];
    expect(problems).toEqual([]);
  }, 180_000);

  it('afterwards: no 5xx, no error logged', () => {
    expect(report.crashes()).toBe(0);
    expect(logs.errors()).toEqual([]);
    expect(logs.broken).toEqual([]);
  });
});
