import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TemplateCatalog, TemplateRenderError } from './template-catalog';

const repoTemplates = path.join(__dirname, '../../templates');

describe('the repository templates', () => {
  test('load with no problems', () => {
    const { problems } = TemplateCatalog.load(repoTemplates);
    expect(problems).toEqual([]);
  });

  test('the committee message uses the six Arabic plural forms (and =14)', () => {
    const { catalog } = TemplateCatalog.load(repoTemplates);
    const params = { decisionDays: 14, decisionDateHijri: 'x', decisionDateGregorian: 'y' };
    expect(catalog.render('intake.committee', 'ar', params)).toContain('أسبوعين');
    expect(catalog.render('intake.committee', 'ar', { ...params, decisionDays: 2 })).toContain('يومين');
    expect(catalog.render('intake.committee', 'ar', { ...params, decisionDays: 3 })).toContain('3 أيام');
  });
});

describe('TemplateCatalog on a small folder', () => {
  let dir: string;
  const write = (files: { ar: string; en: string }) => {
    dir = mkdtempSync(path.join(tmpdir(), 'wasl-templates-'));
    writeFileSync(path.join(dir, 'ar.yaml'), files.ar);
    writeFileSync(path.join(dir, 'en.yaml'), files.en);
    return TemplateCatalog.load(dir, 'templates');
  };
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const goodAr = [
    'docs:',
    '  count: "{n, plural, zero {لا مستندات} one {مستند واحد} two {مستندان} few {# مستندات} many {# مستندًا} other {# مستند}}"',
    '  hello: "مرحبا {name}، أهلا بك في خدمتنا"',
    '  hello@sms: "مرحبا {name}"',
    '',
  ].join('\n');
  const goodEn = [
    'docs:',
    '  count: "{n, plural, one {# document} other {# documents}}"',
    '  hello: "Hello {name}, welcome to our service"',
    '  hello@sms: "Hi {name}"',
    '',
  ].join('\n');

  test('Arabic plurals render all six forms', () => {
    const { catalog, problems } = write({ ar: goodAr, en: goodEn });
    expect(problems).toEqual([]);
    const forms = [0, 1, 2, 3, 10, 11, 99, 100, 102].map((n) => catalog.render('docs.count', 'ar', { n }));
    expect(forms).toEqual([
      'لا مستندات', // zero
      'مستند واحد', // one
      'مستندان', // two
      '3 مستندات', // few: 3–10
      '10 مستندات',
      '11 مستندًا', // many: 11–99
      '99 مستندًا',
      '100 مستند', // other: 100, 101, 102
      '102 مستند',
    ]);
    expect(catalog.render('docs.count', 'en', { n: 1 })).toBe('1 document');
    expect(catalog.render('docs.count', 'en', { n: 2 })).toBe('2 documents');
  });

  test('a channel variant is chosen for its channel only', () => {
    const { catalog } = write({ ar: goodAr, en: goodEn });
    expect(catalog.render('docs.hello', 'en', { name: 'Sara' }, 'sms')).toBe('Hi Sara');
    expect(catalog.render('docs.hello', 'en', { name: 'Sara' }, 'cli')).toBe('Hello Sara, welcome to our service');
    expect(catalog.render('docs.hello', 'en', { name: 'Sara' })).toBe('Hello Sara, welcome to our service');
    expect(catalog.render('docs.hello', 'ar', { name: 'سارة' }, 'sms')).toBe('مرحبا سارة');
    expect(catalog.has('docs.hello')).toBe(true);
    expect(catalog.variablesOf('docs.hello')).toEqual(new Set(['name']));
  });

  test('a missing variable is a TemplateRenderError naming the key and the variable', () => {
    const { catalog } = write({ ar: goodAr, en: goodEn });
    expect(() => catalog.render('docs.hello', 'ar', {})).toThrow(TemplateRenderError);
    expect(() => catalog.render('docs.hello', 'ar', {})).toThrow(/docs\.hello.*name/s);
    expect(() => catalog.render('docs.nope', 'ar')).toThrow(TemplateRenderError);
  });

  test('different variables in ar and en are a problem on the en line', () => {
    const { problems } = write({
      ar: 'greet:\n  hello: "مرحبا {name}"\n',
      en: '# English\n\ngreet:\n  hello: "Hello {firstName}"\n',
    });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ file: path.join('templates', 'en.yaml'), line: 4 });
    expect(problems[0]!.reason).toMatch(/greet\.hello/);
    expect(problems[0]!.reason).toMatch(/firstName/);
  });

  test('a key missing in en is a problem in en naming where ar has it', () => {
    const { problems } = write({
      ar: 'greet:\n  hello: "مرحبا"\n  bye: "مع السلامة"\n',
      en: 'greet:\n  hello: "Hello"\n',
    });
    expect(problems).toHaveLength(1);
    expect(problems[0]!.file).toBe(path.join('templates', 'en.yaml'));
    expect(problems[0]!.reason).toMatch(/greet\.bye/);
    expect(problems[0]!.reason).toContain(`${path.join('templates', 'ar.yaml')}:3`);
  });

  test('a key only in en is a problem in ar', () => {
    const { problems } = write({ ar: 'greet:\n  hello: "مرحبا"\n', en: 'greet:\n  hello: "Hello"\n  extra: "More"\n' });
    expect(problems).toEqual([expect.objectContaining({ file: path.join('templates', 'ar.yaml') })]);
    expect(problems[0]!.reason).toMatch(/greet\.extra/);
  });

  test('invalid ICU is a problem on its own line', () => {
    const { problems } = write({
      ar: 'greet:\n  hello: "مرحبا"\n  broken: "عدد {n, plural, one {واحد}"\n',
      en: 'greet:\n  hello: "Hello"\n  broken: "count {n}"\n',
    });
    const icu = problems.filter((p) => /invalid ICU/.test(p.reason));
    expect(icu).toEqual([expect.objectContaining({ file: path.join('templates', 'ar.yaml'), line: 3 })]);
    expect(icu[0]!.reason).toMatch(/greet\.broken/);
  });

  test('a channel variant of a key that does not exist is a problem', () => {
    const { problems } = write({ ar: 'greet:\n  hello@sms: "مرحبا"\n', en: 'greet:\n  hello@sms: "Hi"\n' });
    expect(problems.map((p) => p.reason).join('\n')).toMatch(/channel variant of "greet\.hello"/);
  });

  test('a non-text value and a badly named key are problems', () => {
    const { problems } = write({ ar: 'greet:\n  count: 3\n  Bad_Key: "x"\n', en: 'greet:\n  count: 3\n  Bad_Key: "x"\n' });
    const ar = problems.filter((p) => p.file === path.join('templates', 'ar.yaml'));
    expect(ar.map((p) => p.line).sort()).toEqual([2, 3]);
  });
});
