import path from 'node:path';
import { loadNluFiles } from './load-nlu-files';
import { faqAnswerVariables, faqFileSchema } from './faq-schema';
import { intentNames } from './intent-names';

const flowsDir = path.join(__dirname, '../../flows');

describe('flows/intents.yaml and flows/faq.yaml', () => {
  const files = loadNluFiles(flowsDir);

  test('every intent has at least 40 training lines', () => {
    for (const name of intentNames) expect({ name, n: files.intents.intents[name]?.length ?? 0 }).toEqual({ name, n: expect.any(Number) });
    const short = intentNames.filter((n) => (files.intents.intents[n]?.length ?? 0) < 40);
    expect(short).toEqual([]);
  });

  test('every FAQ entry names its source in both languages and uses only allowed variables', () => {
    for (const e of files.faq.entries) {
      expect(e.source.ar.length).toBeGreaterThan(0);
      expect(e.source.en.length).toBeGreaterThan(0);
      for (const m of `${e.answer.ar} ${e.answer.en}`.matchAll(/\{\s*([A-Za-z]+)\s*[,}]/g)) {
        expect(faqAnswerVariables).toContain(m[1]);
      }
    }
  });

  test('the decision-period answer never promises "within"', () => {
    const entry = files.faq.entries.find((e) => e.intent === 'processing_time');
    expect(entry).toBeDefined();
    expect(entry!.answer.en).toMatch(/no less than|at least/);
    expect(entry!.answer.en).not.toMatch(/\bwithin\b/i);
    expect(entry!.answer.ar).toContain('لا تقل عن');
  });

  test('the FAQ schema rejects unknown answer variables', () => {
    const bad = {
      entries: [{ id: 'x', source: { ar: 'a', en: 'a' }, questions: { ar: ['q'], en: ['q'] }, answer: { ar: '{phone}', en: 'x' } }],
    };
    expect(faqFileSchema.safeParse(bad).success).toBe(false);
  });
});
