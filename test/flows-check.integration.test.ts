/**
 * `npm run flows:check` as an organisation meets it: the shipped content passes; each kind of broken file
 * (an unknown step, a missing template key, bad YAML, an unknown action) is reported as `file:line: reason`
 * with the right line, and the command exits non-zero. Start-up refuses the same content.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadEnv } from '../src/config/load-config';
import { startWasl } from '../src/app/start-wasl';
import { FileProblemsError } from '../src/yaml/read-yaml';
import { copyContent, type ContentCopy } from './support/content-fixture';
import { projectRoot } from './support/harness';

function flowsCheck(copy: ContentCopy): { status: number | null; output: string } {
  const r = spawnSync(process.execPath, [path.join(projectRoot, 'node_modules', 'tsx', 'dist', 'cli.mjs'), path.join(projectRoot, 'src', 'flows-check.ts'), 'flows'], {
    cwd: copy.root,
    encoding: 'utf8',
  });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/** Replaces the first occurrence of `from` in a file and returns the 1-based line where it happened. */
function breakFile(file: string, from: string, to: string): number {
  const text = readFileSync(file, 'utf8');
  const at = text.indexOf(from);
  if (at < 0) throw new Error(`"${from}" not found in ${file}`);
  writeFileSync(file, text.slice(0, at) + to + text.slice(at + from.length));
  return text.slice(0, at).split('\n').length;
}

describe('flows:check', () => {
  const copies: ContentCopy[] = [];
  const fresh = () => {
    const c = copyContent();
    copies.push(c);
    return c;
  };
  afterAll(() => copies.forEach((c) => c.cleanup()));

  it('passes the content the project ships', () => {
    const r = flowsCheck(fresh());
    expect(r.output).toContain('all good');
    expect(r.status).toBe(0);
  });

  it('reports an unknown step with its file and line', () => {
    const copy = fresh();
    const line = breakFile(path.join(copy.flowsDir, 'intake.flow.yaml'), 'next: ask-national-id', 'next: ask-nationl-id');
    const r = flowsCheck(copy);
    expect(r.status).not.toBe(0);
    expect(r.output).toContain(`flows/intake.flow.yaml:${line}: step "ask-name": unknown step "ask-nationl-id" (did you mean "ask-national-id"?)`);
  });

  it('reports a template key missing from the templates', () => {
    const copy = fresh();
    const line = breakFile(path.join(copy.flowsDir, 'intake.flow.yaml'), 'template: intake.ask-city', 'template: intake.ask-town');
    const r = flowsCheck(copy);
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(new RegExp(`flows/intake\\.flow\\.yaml:${line}: step "ask-city": template "intake\\.ask-town" is missing`));
  });

  it('reports a key present in one language only', () => {
    const copy = fresh();
    breakFile(path.join(copy.templatesDir, 'en.yaml'), '  ask-city:', '  ask-town:');
    const r = flowsCheck(copy);
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(/templates\/en\.yaml:1: missing "intake\.ask-city" \(present in templates\/ar\.yaml:\d+\)/);
  });

  it('reports bad YAML with its line', () => {
    const copy = fresh();
    const file = path.join(copy.flowsDir, 'volunteer.flow.yaml');
    const text = readFileSync(file, 'utf8').split('\n');
    const target = text.findIndex((l) => l.includes('saveAs: name'));
    text[target] = `${text[target]}\n   bad: [unclosed`;
    writeFileSync(file, text.join('\n'));
    const r = flowsCheck(copy);
    expect(r.status).not.toBe(0);
    const m = /flows\/volunteer\.flow\.yaml:(\d+): invalid YAML/.exec(r.output);
    expect(m).not.toBeNull();
    expect(Math.abs(Number(m![1]) - (target + 2))).toBeLessThanOrEqual(1);
  });

  it('reports an unknown action and a wrong value in the profile', () => {
    const copy = fresh();
    const actionLine = breakFile(path.join(copy.flowsDir, 'volunteer.flow.yaml'), 'action: volunteers.register', 'action: volunteers.signup');
    const profileLine = breakFile(path.join(copy.flowsDir, 'organisation.yaml'), 'decisionDays: 14', 'decisionDays: -3');
    const r = flowsCheck(copy);
    expect(r.status).not.toBe(0);
    expect(r.output).toContain(`flows/volunteer.flow.yaml:${actionLine}: step "register": unknown action "volunteers.signup"`);
    expect(r.output).toMatch(new RegExp(`flows/organisation\\.yaml:${profileLine}: committee\\.decisionDays: `));
  });

  it('stops start-up on the same problems', async () => {
    const copy = fresh();
    breakFile(path.join(copy.flowsDir, 'intake.flow.yaml'), 'next: ask-national-id', 'next: nowhere');
    const env = loadEnv({ FLOWS_DIR: copy.flowsDir, TEMPLATES_DIR: copy.templatesDir, DATA_DIR: path.join(copy.root, 'data'), LOG_LEVEL: 'silent', PORT: '0' });
    const started = startWasl({ env, root: copy.root });
    await expect(started).rejects.toBeInstanceOf(FileProblemsError);
    await expect(started).rejects.toThrow(/intake\.flow\.yaml:\d+: step "ask-name": unknown step "nowhere"/);
  });
});
