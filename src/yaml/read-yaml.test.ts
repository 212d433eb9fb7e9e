import { z } from 'zod';
import { FileProblemsError, formatProblem, parseYaml, validateYaml } from './read-yaml';

const flowLike = z.strictObject({
  id: z.string(),
  steps: z.record(
    z.string(),
    z.strictObject({ type: z.enum(['say', 'ask']), template: z.string().regex(/\./, 'template keys look like "group.key"'), next: z.string().optional() }),
  ),
});

const text = [
  '# a flow', //                 1
  'id: intake', //               2
  'steps:', //                   3
  '  intro:', //                 4
  '    type: say', //            5
  '    template: intake.intro', // 6
  '    next: ask-name', //       7
  '  ask-name:', //              8
  '    type: ask', //            9
  '    template: nodot', //      10
  '', //                         11
].join('\n');

describe('parseYaml', () => {
  test('valid YAML gives the data and no problems', () => {
    const { source, problems } = parseYaml('flows/intake.flow.yaml', text);
    expect(problems).toEqual([]);
    expect(source!.data).toMatchObject({ id: 'intake', steps: { intro: { type: 'say' } } });
  });

  test.each([
    ['bad indentation', 'a:\n  b: 1\n c: 2\n', 3],
    ['a duplicate key', 'id: x\nsteps: {}\nid: y\n', 3],
    ['a tab for indentation', 'a:\n\tb: 1\n', 2],
  ])('a syntax error (%s) is a problem on its line, and no data', (_what, yaml, line) => {
    const { source, problems } = parseYaml('f.yaml', yaml);
    expect(source).toBeNull();
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0]).toMatchObject({ file: 'f.yaml', line });
    expect(problems[0]!.reason).toMatch(/^invalid YAML: /);
    expect(problems[0]!.reason).not.toContain('\n');
  });
});

test('an unclosed quote is a problem (the parser notices it only where the text ends)', () => {
  const { source, problems } = parseYaml('f.yaml', 'id: x\nname: "oops\nother: 1\n');
  expect(source).toBeNull();
  expect(problems).toEqual([expect.objectContaining({ file: 'f.yaml', reason: expect.stringMatching(/quote/) })]);
  expect(problems[0]!.line).toBeGreaterThanOrEqual(2);
});

describe('lineOf', () => {
  const { source } = parseYaml('f.yaml', text);

  test.each([
    [['id'], 2],
    [['steps'], 4],
    [['steps', 'intro'], 5],
    [['steps', 'intro', 'next'], 7],
    [['steps', 'ask-name', 'template'], 10],
  ] as [string[], number][])('%j → line %i', (p, line) => {
    expect(source!.lineOf(p)).toBe(line);
  });

  test('a path that does not exist falls back to its nearest existing parent', () => {
    expect(source!.lineOf(['steps', 'ask-name', 'next'])).toBe(source!.lineOf(['steps', 'ask-name']));
    expect(source!.lineOf(['steps', 'ask-name', 'next'])).toBe(9);
    expect(source!.lineOf(['steps', 'missing-step', 'type'])).toBe(source!.lineOf(['steps']));
  });

  test('a path with nothing in common falls back to the document itself (its first line of content)', () => {
    expect(source!.lineOf(['nothing', 'here'])).toBe(2);
  });

  test('list indexes work', () => {
    const { source: s } = parseYaml('f.yaml', 'items:\n  - a\n  - b\n  - c\n');
    expect(s!.lineOf(['items', 2])).toBe(4);
  });
});

describe('validateYaml', () => {
  test('a valid file gives the typed value', () => {
    const ok = text.replace('nodot', 'intake.ask-name');
    const { value, problems } = validateYaml(parseYaml('f.yaml', ok).source!, flowLike);
    expect(problems).toEqual([]);
    expect(value!.steps['ask-name']!.template).toBe('intake.ask-name');
  });

  test('a wrong nested value is reported on its own line with its path', () => {
    const { value, problems } = validateYaml(parseYaml('flows/intake.flow.yaml', text).source!, flowLike);
    expect(value).toBeNull();
    expect(problems).toEqual([
      { file: 'flows/intake.flow.yaml', line: 10, reason: 'steps.ask-name.template: template keys look like "group.key"' },
    ]);
  });

  test('every problem is reported, not just the first', () => {
    const bad = text.replace('type: say', 'type: shout').replace('id: intake', 'id: 3');
    const { problems } = validateYaml(parseYaml('f.yaml', bad).source!, flowLike);
    expect(problems.map((p) => p.line).sort((a, b) => a - b)).toEqual([2, 5, 10]);
  });

  test('a missing key is reported on its parent', () => {
    const bad = text.replace('    template: intake.intro\n', '');
    const { problems } = validateYaml(parseYaml('f.yaml', bad).source!, flowLike);
    expect(problems.map((p) => p.line)).toContain(5);
  });
});

describe('formatProblem and FileProblemsError', () => {
  test('problems read as file:line: reason, all of them in the error', () => {
    const problems = [
      { file: 'flows/a.yaml', line: 3, reason: 'bad' },
      { file: 'templates/en.yaml', line: 1, reason: 'missing "x.y"' },
    ];
    expect(formatProblem(problems[0]!)).toBe('flows/a.yaml:3: bad');
    const err = new FileProblemsError(problems);
    expect(err.message).toContain('flows/a.yaml:3: bad');
    expect(err.message).toContain('templates/en.yaml:1: missing "x.y"');
    expect(err.problems).toBe(problems);
    expect(err.name).toBe('FileProblemsError');
  });
});
