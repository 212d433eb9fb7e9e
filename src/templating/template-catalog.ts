/**
 * Every sentence the bot says lives in `templates/<lang>.yaml` as ICU MessageFormat (Arabic has six plural
 * forms; plurals and selects are data, not code). Keys are dotted paths; `key@sms` style siblings are channel
 * variants. Loading checks syntax, that both languages hold the same keys and the same variables, and reports
 * each problem as `file:line: reason`.
 */
import path from 'node:path';
import { parse, TYPE, type MessageFormatElement } from '@formatjs/icu-messageformat-parser';
import { IntlMessageFormat } from 'intl-messageformat';
import { readYamlFile, type FileProblem } from '../yaml/read-yaml';

export const languages = ['ar', 'en'] as const;
export type Language = (typeof languages)[number];

interface TemplateEntry {
  key: string;
  channel: string | null;
  source: string;
  line: number;
  variables: Set<string>;
  formatter: IntlMessageFormat;
}

export class TemplateRenderError extends Error {
  constructor(readonly key: string, readonly language: string, cause: unknown) {
    super(`template "${key}" (${language}) could not be rendered: ${(cause as Error)?.message ?? cause}`, { cause });
    this.name = 'TemplateRenderError';
  }
}

export type TemplateParams = Record<string, string | number | Date>;

export class TemplateCatalog {
  private constructor(
    private readonly entries: Map<Language, Map<string, TemplateEntry>>,
    readonly files: Record<Language, string>,
  ) {}

  /** Loads `<dir>/ar.yaml` and `<dir>/en.yaml`; returns the catalogue and every problem found. */
  static load(dir: string, displayDir = dir): { catalog: TemplateCatalog; problems: FileProblem[] } {
    const problems: FileProblem[] = [];
    const entries = new Map<Language, Map<string, TemplateEntry>>();
    const files = {} as Record<Language, string>;
    for (const lang of languages) {
      const file = path.join(displayDir, `${lang}.yaml`);
      files[lang] = file;
      const byKey = new Map<string, TemplateEntry>();
      entries.set(lang, byKey);
      const { source, problems: yamlProblems } = readYamlFile(path.join(dir, `${lang}.yaml`), file);
      problems.push(...yamlProblems);
      if (!source) continue;
      walk(source.data, [], (pathParts, value) => {
        const line = source.lineOf(pathParts);
        const dotted = pathParts.join('.');
        if (typeof value !== 'string') {
          problems.push({ file, line, reason: `"${dotted}": a template must be a text, got ${value === null ? 'nothing' : typeof value}` });
          return;
        }
        const at = dotted.lastIndexOf('@');
        const key = at > 0 ? dotted.slice(0, at) : dotted;
        const channel = at > 0 ? dotted.slice(at + 1) : null;
        if (!/^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(key)) {
          problems.push({ file, line, reason: `"${dotted}": keys are kebab-case groups like "intake.ask-name"` });
          return;
        }
        let ast: MessageFormatElement[];
        try {
          ast = parse(value);
        } catch (err) {
          problems.push({ file, line, reason: `"${dotted}": invalid ICU message: ${(err as Error).message}` });
          return;
        }
        byKey.set(dotted, {
          key,
          channel,
          source: value,
          line,
          variables: collectVariables(ast),
          formatter: new IntlMessageFormat(value, lang),
        });
      });
    }
    const catalog = new TemplateCatalog(entries, files);
    problems.push(...catalog.crossCheck());
    return { catalog, problems };
  }

  private crossCheck(): FileProblem[] {
    const problems: FileProblem[] = [];
    const [first, ...rest] = languages;
    const base = this.entries.get(first)!;
    for (const lang of rest) {
      const other = this.entries.get(lang)!;
      for (const [k, e] of base) {
        const o = other.get(k);
        if (!o) {
          problems.push({ file: this.files[lang], line: 1, reason: `missing "${k}" (present in ${this.files[first]}:${e.line})` });
        } else if (!sameSet(e.variables, o.variables)) {
          problems.push({
            file: this.files[lang],
            line: o.line,
            reason: `"${k}" uses {${[...o.variables].join(', ')}} but ${first} uses {${[...e.variables].join(', ')}}`,
          });
        }
      }
      for (const [k, o] of other) {
        if (!base.has(k)) problems.push({ file: this.files[first], line: 1, reason: `missing "${k}" (present in ${this.files[lang]}:${o.line})` });
      }
    }
    for (const lang of languages) {
      for (const [k, e] of this.entries.get(lang)!) {
        if (e.channel === null) continue;
        const baseEntry = this.entries.get(lang)!.get(e.key);
        if (!baseEntry) {
          problems.push({ file: this.files[lang], line: e.line, reason: `"${k}" is a channel variant of "${e.key}", which does not exist` });
        } else {
          const extra = [...e.variables].filter((v) => !baseEntry.variables.has(v));
          if (extra.length) problems.push({ file: this.files[lang], line: e.line, reason: `"${k}" uses {${extra.join(', ')}}, unknown to "${e.key}"` });
        }
      }
    }
    return problems;
  }

  has(key: string): boolean {
    return this.entries.get(languages[0])!.has(key);
  }

  /** The variables a template uses (union over languages and channel variants). */
  variablesOf(key: string): Set<string> {
    const out = new Set<string>();
    for (const lang of languages) {
      for (const e of this.entries.get(lang)!.values()) if (e.key === key) e.variables.forEach((v) => out.add(v));
    }
    return out;
  }

  /** Where a key is defined, for error messages. */
  locate(key: string, lang: Language = 'ar'): string {
    const e = this.entries.get(lang)!.get(key);
    return e ? `${this.files[lang]}:${e.line}` : this.files[lang];
  }

  /** Renders `key` in `lang`, preferring the `key@channel` variant when there is one. */
  render(key: string, lang: Language, params: TemplateParams = {}, channel?: string): string {
    const byKey = this.entries.get(lang)!;
    const entry = (channel && byKey.get(`${key}@${channel}`)) || byKey.get(key);
    if (!entry) throw new TemplateRenderError(key, lang, new Error('no such template'));
    const missing = [...entry.variables].filter((v) => params[v] === undefined);
    if (missing.length) throw new TemplateRenderError(key, lang, new Error(`missing value for {${missing.join(', ')}}`));
    try {
      return String(entry.formatter.format(params));
    } catch (err) {
      throw new TemplateRenderError(key, lang, err);
    }
  }
}

function walk(node: unknown, at: string[], visit: (path: string[], value: unknown) => void): void {
  if (node !== null && typeof node === 'object' && !Array.isArray(node)) {
    for (const [k, v] of Object.entries(node)) walk(v, [...at, k], visit);
  } else {
    visit(at, node);
  }
}

function collectVariables(ast: MessageFormatElement[], out = new Set<string>()): Set<string> {
  for (const el of ast) {
    switch (el.type) {
      case TYPE.argument:
      case TYPE.number:
      case TYPE.date:
      case TYPE.time:
        out.add(el.value);
        break;
      case TYPE.select:
      case TYPE.plural:
        out.add(el.value);
        for (const opt of Object.values(el.options)) collectVariables(opt.value, out);
        break;
      case TYPE.tag:
        collectVariables(el.children, out);
        break;
      default:
        break;
    }
  }
  return out;
}

function sameSet(a: Set<string>, b: Set<string>): boolean {
  return a.size === b.size && [...a].every((x) => b.has(x));
}
