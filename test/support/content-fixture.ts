/**
 * A private copy of the organisation's real flows and templates, for tests that need to change one thing
 * (break a file on purpose, or swap the main menu for an echo flow) without touching the repository.
 */
import { appendFileSync, cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { projectRoot } from './harness';

export interface ContentCopy {
  root: string;
  flowsDir: string;
  templatesDir: string;
  cleanup(): void;
}

export function copyContent(): ContentCopy {
  const root = mkdtempSync(path.join(tmpdir(), 'wasl-content-'));
  const flowsDir = path.join(root, 'flows');
  const templatesDir = path.join(root, 'templates');
  cpSync(path.join(projectRoot, 'flows'), flowsDir, { recursive: true });
  cpSync(path.join(projectRoot, 'templates'), templatesDir, { recursive: true });
  return { root, flowsDir, templatesDir, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/**
 * Replaces the main menu with a flow that answers every message with "echo: <text>", so a test can see
 * which reply belongs to which message and in what order they were answered.
 */
export function useEchoMainMenu(copy: ContentCopy): void {
  writeFileSync(
    path.join(copy.flowsDir, 'main-menu.flow.yaml'),
    [
      'format: 1',
      'id: main-menu',
      'start: listen',
      'steps:',
      '  listen:',
      '    type: ask',
      '    template: echo.prompt',
      '    expect: { kind: text, minLength: 1, maxLength: 1000 }',
      '    saveAs: heard',
      '    next: echo',
      '  echo:',
      '    type: say',
      '    template: echo.reply',
      '    next: listen',
      '',
    ].join('\n'),
  );
  for (const lang of ['ar', 'en']) {
    appendFileSync(path.join(copy.templatesDir, `${lang}.yaml`), '\necho:\n  prompt: "…"\n  reply: "echo: {heard}"\n');
  }
}
