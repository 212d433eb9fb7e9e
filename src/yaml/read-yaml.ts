/**
 * YAML files that people edit (flows, templates, the FAQ, the organisation profile) are read here, keeping
 * positions so that every problem can be reported as `file:line: reason` — the form editors and CI both understand.
 */
import { readFileSync } from 'node:fs';
import { isNode, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';

/** One problem found in a file the organisation edits. */
export interface FileProblem {
  file: string;
  line: number;
  reason: string;
}

export function formatProblem(p: FileProblem): string {
  return `${p.file}:${p.line}: ${p.reason}`;
}

/** Thrown when files cannot be used; carries every problem found, not just the first. */
export class FileProblemsError extends Error {
  constructor(readonly problems: FileProblem[]) {
    super(`${problems.length} problem(s):\n${problems.map(formatProblem).join('\n')}`);
    this.name = 'FileProblemsError';
  }
}

export interface YamlSource {
  file: string;
  data: unknown;
  /** The 1-based line of the value at `path`, or of its nearest existing parent. */
  lineOf(path: readonly PropertyKey[]): number;
}

/** Parses YAML text; syntax errors come back as problems with their line. */
export function parseYaml(file: string, text: string): { source: YamlSource | null; problems: FileProblem[] } {
  const lineCounter = new LineCounter();
  const doc: Document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const problems: FileProblem[] = doc.errors.map((e) => ({
    file,
    line: lineCounter.linePos(e.pos[0]).line,
    reason: `invalid YAML: ${e.message.split('\n')[0]}`,
  }));
  if (problems.length > 0) return { source: null, problems };
  const lineOf = (path: readonly PropertyKey[]): number => {
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n) as unknown[], true);
      if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
    }
    return 1;
  };
  return { source: { file, data: doc.toJS(), lineOf }, problems };
}

export function readYamlFile(file: string, displayName = file): { source: YamlSource | null; problems: FileProblem[] } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return { source: null, problems: [{ file: displayName, line: 1, reason: `cannot read file: ${(err as Error).message}` }] };
  }
  return parseYaml(displayName, text);
}

/** Validates parsed YAML with a zod schema, turning each issue into a problem on the right line. */
export function validateYaml<S extends z.ZodType>(
  source: YamlSource,
  schema: S,
): { value: z.infer<S> | null; problems: FileProblem[] } {
  const result = schema.safeParse(source.data);
  if (result.success) return { value: result.data, problems: [] };
  const problems = result.error.issues.map((issue) => ({
    file: source.file,
    line: source.lineOf(issue.path),
    reason: `${issue.path.length ? issue.path.join('.') + ': ' : ''}${issue.message}`,
  }));
  return { value: null, problems };
}
