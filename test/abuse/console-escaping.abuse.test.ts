/**
 * Hostile beneficiary text — `<script>`, `"><img onerror>`, `</textarea>`, `javascript:` links, bidi overrides,
 * template syntax — typed through the real pipeline (the terminal channel), then read back by a supervisor in
 * every console page that shows it (inbox, conversation, beneficiary, search, survey report) and in the JSON
 * API. Each page must carry it as text only: no tag or attribute from the input, no bidi override; the API
 * returns it as data. Every injection carries a unique marker, so "not found raw" cannot pass by accident:
 * the marker must be found escaped.
 */
import fc from 'fast-check';
import { surveys } from '../../src/store/schema';
import { toStorableText } from '../../src/text/storable-text';
import { signedIn, type ConsoleClient } from '../console-client';
import { surveyRow } from '../reports-fixture';
import type { TestWasl } from '../support/harness';
import { AbuseReport } from './support/abuse-report';
import { announceSeed, fuzzParams, hostileText } from './support/hostile-strings';
import { useAbuseWasl } from './support/abuse-wasl';

const report = new AbuseReport('Console pages and API (hostile beneficiary text)');
const abuse = useAbuseWasl({ report, start: () => ({ db: 'pglite' }) });
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
        // As data: exactly what was stored (controls removed, halves of pairs replaced, trimmed as the terminal
        // channel trims), nothing escaped.
        expect(texts).toContain(toStorableText(text).trim());
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

  it('afterwards: no 5xx, no error logged', () => {
    expect(report.crashes()).toBe(0);
    expect(logs.errors()).toEqual([]);
    expect(logs.broken).toEqual([]);
  });
});
