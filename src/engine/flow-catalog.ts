/**
 * Loads `flows/*.flow.yaml` and checks them as a whole before any traffic arrives: every step a flow points to
 * exists, every template is in every language with the variables it needs, every action is one the engine
 * knows, and no loop can spin without asking the beneficiary something. All problems are collected, each as
 * `file:line: reason`, so one run of `flows:check` shows everything to fix.
 */
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { organisationTemplateVariables, engineTemplateKeys } from '../templating/engine-template-keys';
import type { TemplateCatalog } from '../templating/template-catalog';
import { readYamlFile, validateYaml, type FileProblem, type YamlSource } from '../yaml/read-yaml';
import { actionCatalog, isActionName } from './action-catalog';
import { END, flowSchema, type Flow, type Step } from './flow-schema';

/** Flows the engine itself starts. */
export const MAIN_MENU_FLOW = 'main-menu';
export const HUMAN_FLOW = 'human';
const requiredFlows = [MAIN_MENU_FLOW, HUMAN_FLOW];

export interface LoadedFlow {
  flow: Flow;
  revision: string;
  file: string;
}

export class FlowCatalog {
  private readonly byRevision = new Map<string, Flow>();

  constructor(readonly current: ReadonlyMap<string, LoadedFlow>) {
    for (const f of current.values()) this.byRevision.set(`${f.flow.id}@${f.revision}`, f.flow);
  }

  get(id: string): LoadedFlow | undefined {
    return this.current.get(id);
  }

  /** The exact revision a conversation started on, if this process knows it. */
  revision(id: string, revision: string): Flow | undefined {
    return this.byRevision.get(`${id}@${revision}`);
  }

  /** Older revisions read back from the database at start-up. */
  addRevision(id: string, revision: string, flow: Flow): void {
    this.byRevision.set(`${id}@${revision}`, flow);
  }
}

export function flowRevision(flow: Flow): string {
  return createHash('sha256').update(JSON.stringify(flow)).digest('hex').slice(0, 16);
}

export function loadFlows(
  dir: string,
  templates: TemplateCatalog,
  displayDir = dir,
): { catalog: FlowCatalog; problems: FileProblem[] } {
  const problems: FileProblem[] = [];
  const loaded = new Map<string, LoadedFlow & { source: YamlSource }>();
  let files: string[] = [];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.flow.yaml')).sort();
  } catch (err) {
    problems.push({ file: displayDir, line: 1, reason: `cannot read the flows folder: ${(err as Error).message}` });
  }
  for (const name of files) {
    const file = path.join(displayDir, name);
    const { source, problems: p } = readYamlFile(path.join(dir, name), file);
    problems.push(...p);
    if (!source) continue;
    const { value, problems: schemaProblems } = validateYaml(source, flowSchema);
    problems.push(...schemaProblems);
    if (!value) continue;
    const expectedId = name.slice(0, -'.flow.yaml'.length);
    if (value.id !== expectedId) {
      problems.push({ file, line: source.lineOf(['id']), reason: `flow id "${value.id}" must match the file name "${expectedId}"` });
      continue;
    }
    loaded.set(value.id, { flow: value, revision: flowRevision(value), file, source });
  }
  for (const f of loaded.values()) problems.push(...checkFlow(f, new Set(loaded.keys()), templates));
  for (const id of requiredFlows) {
    if (!loaded.has(id) && files.length > 0) problems.push({ file: displayDir, line: 1, reason: `missing the "${id}" flow (${id}.flow.yaml), which the engine starts itself` });
  }
  for (const key of Object.keys(engineTemplateKeys)) {
    if (!templates.has(key)) problems.push({ file: templates.files.ar, line: 1, reason: `missing "${key}", which the engine sends itself` });
  }
  return { catalog: new FlowCatalog(new Map([...loaded].map(([k, v]) => [k, { flow: v.flow, revision: v.revision, file: v.file }]))), problems };
}

/** Step ids a step can lead to, with the YAML path of each reference (for line numbers). */
function targetsOf(step: Step): { target: string; at: PropertyKey[] }[] {
  switch (step.type) {
    case 'say':
      return [{ target: step.next, at: ['next'] }];
    case 'ask': {
      const out: { target: string; at: PropertyKey[] }[] = [{ target: step.next, at: ['next'] }];
      if (step.expect.kind === 'choice') {
        step.expect.options.forEach((o, i) => o.next && out.push({ target: o.next, at: ['expect', 'options', i, 'next'] }));
      }
      return out;
    }
    case 'branch':
      return [
        ...step.cases.map((c, i) => ({ target: c.next, at: ['cases', i, 'next'] as PropertyKey[] })),
        { target: step.otherwise, at: ['otherwise'] },
      ];
    case 'action':
      return [
        ...Object.entries(step.outcomes).map(([k, v]) => ({ target: v, at: ['outcomes', k] as PropertyKey[] })),
        ...(step.next ? [{ target: step.next, at: ['next'] as PropertyKey[] }] : []),
      ];
    case 'review':
      return [{ target: step.next, at: ['next'] }, ...step.fields.map((f, i) => ({ target: f.step, at: ['fields', i, 'step'] as PropertyKey[] }))];
    case 'flow':
    case 'end':
      return [];
  }
}

function templatesOf(step: Step): { key: string; at: PropertyKey[] }[] {
  const out: { key: string; at: PropertyKey[] }[] = [];
  if ('template' in step && step.template) out.push({ key: step.template, at: ['template'] });
  if (step.type === 'ask') {
    if (step.invalid) out.push({ key: step.invalid, at: ['invalid'] });
    if (step.expect.kind === 'choice') step.expect.options.forEach((o, i) => out.push({ key: o.label, at: ['expect', 'options', i, 'label'] }));
  }
  if (step.type === 'review') step.fields.forEach((f, i) => out.push({ key: f.label, at: ['fields', i, 'label'] }));
  if (step.type === 'action' && typeof step.with.attestationTemplate === 'string') {
    out.push({ key: step.with.attestationTemplate, at: ['with', 'attestationTemplate'] });
  }
  return out;
}

function checkFlow(f: LoadedFlow & { source: YamlSource }, flowIds: Set<string>, templates: TemplateCatalog): FileProblem[] {
  const { flow, file, source } = f;
  const problems: FileProblem[] = [];
  const at = (stepId: string, rest: PropertyKey[] = []) => source.lineOf(['steps', stepId, ...rest]);
  const steps = flow.steps;
  const suggest = (id: string) => {
    const near = Object.keys(steps).find((s) => editDistance(s, id) <= 2);
    return near ? ` (did you mean "${near}"?)` : '';
  };
  if (!steps[flow.start]) problems.push({ file, line: source.lineOf(['start']), reason: `start: unknown step "${flow.start}"${suggest(flow.start)}` });

  // Variables a template in this flow may use.
  const available = new Set<string>([...organisationTemplateVariables]);
  for (const step of Object.values(steps)) {
    if (step.type === 'ask') {
      available.add(step.saveAs);
    }
    if (step.type === 'action' && isActionName(step.action)) actionCatalog[step.action].outputs.forEach((o) => available.add(o));
  }

  for (const [id, step] of Object.entries(steps)) {
    for (const t of targetsOf(step)) {
      if (t.target !== END && !steps[t.target]) {
        problems.push({ file, line: at(id, t.at), reason: `step "${id}": unknown step "${t.target}"${suggest(t.target)}` });
      }
    }
    for (const t of templatesOf(step)) {
      if (!templates.has(t.key)) {
        problems.push({ file, line: at(id, t.at), reason: `step "${id}": template "${t.key}" is missing from ${templates.files.ar} and/or ${templates.files.en}` });
        continue;
      }
      const unknown = [...templates.variablesOf(t.key)].filter((v) => !available.has(v));
      if (unknown.length) {
        problems.push({
          file,
          line: at(id, t.at),
          reason: `step "${id}": template "${t.key}" (${templates.locate(t.key)}) uses {${unknown.join(', ')}}, which no step of this flow provides`,
        });
      }
    }
    if (step.type === 'flow' && !flowIds.has(step.flow)) {
      problems.push({ file, line: at(id, ['flow']), reason: `step "${id}": unknown flow "${step.flow}"` });
    }
    if (step.type === 'action') {
      if (!isActionName(step.action)) {
        problems.push({ file, line: at(id, ['action']), reason: `step "${id}": unknown action "${step.action}" (known: ${Object.keys(actionCatalog).join(', ')})` });
      } else {
        const spec = actionCatalog[step.action];
        for (const outcome of Object.keys(step.outcomes)) {
          if (!(spec.outcomes as readonly string[]).includes(outcome)) {
            problems.push({ file, line: at(id, ['outcomes', outcome]), reason: `step "${id}": action "${step.action}" has no outcome "${outcome}" (it reports ${spec.outcomes.join(', ')})` });
          }
        }
        for (const arg of Object.keys(step.with)) {
          if (!(spec.args as readonly string[]).includes(arg)) {
            problems.push({ file, line: at(id, ['with', arg]), reason: `step "${id}": action "${step.action}" takes no argument "${arg}"` });
          }
        }
        const unrouted = spec.outcomes.filter((o) => !step.outcomes[o]);
        if (!step.next && unrouted.length) {
          problems.push({ file, line: at(id), reason: `step "${id}": outcome(s) ${unrouted.join(', ')} of "${step.action}" lead nowhere; add them to outcomes or give a next` });
        }
      }
    }
    if (step.type === 'review') {
      step.fields.forEach((field, i) => {
        const target = steps[field.step];
        if (target && (target.type !== 'ask' || target.saveAs !== field.var)) {
          problems.push({ file, line: at(id, ['fields', i]), reason: `step "${id}": field "${field.var}" must point to the ask step that saves it` });
        }
      });
    }
  }

  // Reachability from start.
  const seen = new Set<string>();
  const queue = [flow.start];
  while (queue.length) {
    const s = queue.pop()!;
    if (seen.has(s) || !steps[s]) continue;
    seen.add(s);
    for (const t of targetsOf(steps[s]!)) if (t.target !== END) queue.push(t.target);
  }
  for (const id of Object.keys(steps)) {
    if (!seen.has(id)) problems.push({ file, line: at(id), reason: `step "${id}" can never be reached from "${flow.start}"` });
  }

  // A loop made only of steps that never wait for the beneficiary would spin forever.
  const waits = (s: Step) => s.type === 'ask' || s.type === 'review';
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string): string | null => {
    const step = steps[id];
    if (!step || waits(step)) return null;
    if (state.get(id) === 'visiting') return id;
    if (state.get(id) === 'done') return null;
    state.set(id, 'visiting');
    for (const t of targetsOf(step)) {
      if (t.target === END) continue;
      const loop = visit(t.target);
      if (loop) return loop;
    }
    state.set(id, 'done');
    return null;
  };
  for (const id of Object.keys(steps)) {
    const loop = visit(id);
    if (loop) {
      problems.push({ file, line: at(loop), reason: `step "${loop}" is part of a loop that never asks the beneficiary anything` });
      break;
    }
  }
  return problems;
}

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) dp[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      dp[i]![j] = Math.min(dp[i - 1]![j]! + 1, dp[i]![j - 1]! + 1, dp[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return dp[a.length]![b.length]!;
}
