/**
 * An FAQ edit is picked up without code (issue 3): an organisation adds an entry to flows/faq.yaml and rewrites an
 * existing answer, restarts Wasl, and beneficiaries asking in Arabic get the new answers with their sources,
 * through the real pipeline on PGlite. A broken edit is refused at start-up with the file and line to fix.
 */
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startWasl } from '../src/app/start-wasl';
import { loadEnv } from '../src/config/load-config';
import { FileProblemsError } from '../src/yaml/read-yaml';
import { copyContent, type ContentCopy } from './support/content-fixture';
import { startTestWasl, type TestWasl } from './support/harness';

const NEW_SOURCE_AR = 'دليل فروع الجمعية — فرع خليص';
const NEW_ANSWER_AR = 'نعم، لدينا فرع في محافظة خليص بجوار مركز التنمية الاجتماعية، ويستقبل المستفيدين من الأحد إلى الخميس.';
const CHANGED_ANSWER_AR = 'تدرس لجنة البحث طلبك بعد اكتماله، ولا يصدر قرارها قبل أسبوعين على الأقل؛ وسنرسل لك القرار هنا في المحادثة.';

/** A new entry as an organisation would write it, appended to the `entries:` list that ends faq.yaml. */
function branchEntry(answerEn: string | null): string {
  return [
    '',
    '  - id: khulais-branch',
    '    intent: contact_info',
    '    source:',
    `      ar: "${NEW_SOURCE_AR}"`,
    '      en: "Branches guide — Khulais branch"',
    '    questions:',
    '      ar:',
    '        - هل عندكم فرع في خليص',
    '        - وين فرعكم في خليص',
    '        - فيه مكتب للجمعيه بخليص',
    '      en:',
    '        - do you have a branch in Khulais',
    '    answer:',
    `      ar: "${NEW_ANSWER_AR}"`,
    ...(answerEn === null ? [] : [`      en: "${answerEn}"`]),
    '',
  ].join('\n');
}

/** Replaces the Arabic answer of one entry, leaving the rest of the file as it was. */
function rewriteArabicAnswer(file: string, id: string, answer: string): void {
  const lines = readFileSync(file, 'utf8').split('\n');
  const start = lines.findIndex((l) => l.trim() === `- id: ${id}`);
  if (start < 0) throw new Error(`no FAQ entry "${id}" in ${file}`);
  const answerAt = lines.findIndex((l, i) => i > start && l.trim() === 'answer:');
  const arAt = answerAt + 1;
  if (!lines[arAt]?.trim().startsWith('ar:')) throw new Error(`entry "${id}" has no answer.ar right after answer:`);
  lines[arAt] = `      ar: "${answer}"`;
  writeFileSync(file, lines.join('\n'));
}

describe('an FAQ edit is picked up without code', () => {
  const copies: ContentCopy[] = [];
  const fresh = () => {
    const c = copyContent();
    copies.push(c);
    return c;
  };
  afterAll(() => copies.forEach((c) => c.cleanup()));

  describe('a new entry and a changed answer (pglite)', () => {
    let wasl: TestWasl;
    beforeAll(async () => {
      const copy = fresh();
      const faqFile = path.join(copy.flowsDir, 'faq.yaml');
      appendFileSync(faqFile, branchEntry('Yes, we have a branch in Khulais next to the social development centre, open Sunday to Thursday.'));
      rewriteArabicAnswer(faqFile, 'decision-period', CHANGED_ANSWER_AR);
      wasl = await startTestWasl({ db: 'pglite', flowsDir: copy.flowsDir, templatesDir: copy.templatesDir });
    });
    afterAll(() => wasl?.stop());

    it('answers a question about the new entry with its answer and source', async () => {
      const reply = (await wasl.chat().say('هل عندكم فرع في خليص؟')).join('\n');
      expect(reply).toContain(NEW_ANSWER_AR);
      expect(reply).toContain(NEW_SOURCE_AR);
    });

    it('answers with the changed text of an existing entry, still naming its source', async () => {
      const source = wasl.content.faq.entries.find((e) => e.id === 'decision-period')!.source.ar;
      const reply = (await wasl.chat().say('كم ياخذ الطلب وقت عشان تردون علي؟')).join('\n');
      expect(reply).toContain(CHANGED_ANSWER_AR);
      expect(reply).toContain(source);
      expect(reply).not.toContain('مدة لا تقل عن'); // the shipped wording is gone
    });
  });

  it('refuses to start on a broken edit (an answer without English), naming the file and line', async () => {
    const copy = fresh();
    const faqFile = path.join(copy.flowsDir, 'faq.yaml');
    appendFileSync(faqFile, branchEntry(null));
    const lines = readFileSync(faqFile, 'utf8').split('\n');
    const answerLine = lines.findIndex((l, i) => i > lines.indexOf('  - id: khulais-branch') && l.trim() === 'answer:') + 1;
    const entryIndex = lines.filter((l) => /^ {2}- id: /.test(l)).length - 1;

    const env = loadEnv({ FLOWS_DIR: copy.flowsDir, TEMPLATES_DIR: copy.templatesDir, DATA_DIR: path.join(copy.root, 'data'), LOG_LEVEL: 'silent', PORT: '0' });
    const started = startWasl({ env, root: copy.root });
    await expect(started).rejects.toBeInstanceOf(FileProblemsError);
    const error = (await started.catch((e: unknown) => e)) as FileProblemsError;
    // Only the FAQ's problem: whatever else the copied content holds is not this test's business.
    const faqProblems = error.problems.filter((p) => /(^|\/)flows\/faq\.yaml$/.test(p.file));
    expect(faqProblems).toHaveLength(1);
    const [problem] = faqProblems;
    // The problem points into the answer block: its `answer:` key or the line right under it.
    expect([answerLine, answerLine + 1]).toContain(problem!.line);
    expect(problem!.reason).toMatch(new RegExp(`^entries\\.${entryIndex}\\.answer(\\.en)?: `));
    expect(error.message).toContain(`faq.yaml:${problem!.line}: entries.${entryIndex}.answer`);
  });
});
