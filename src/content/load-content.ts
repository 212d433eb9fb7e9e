/**
 * Everything an organisation edits without code — its profile, flows, commands, FAQ, intents and templates —
 * loaded and checked together. `npm run flows:check` prints the problems; start-up refuses to run with any.
 */
import path from 'node:path';
import { organisationSchema, type Organisation } from '../config/organisation-schema';
import { commandsFileSchema, type CommandsFile } from '../engine/commands';
import { loadFlows, type FlowCatalog } from '../engine/flow-catalog';
import { faqFileSchema, type FaqFile } from '../nlu/faq-schema';
import { intentsFileSchema, type IntentsFile } from '../nlu/intents-schema';
import { TemplateCatalog } from '../templating/template-catalog';
import { FileProblemsError, readYamlFile, validateYaml, type FileProblem } from '../yaml/read-yaml';
import type { z } from 'zod';

export interface Content {
  organisation: Organisation;
  commands: CommandsFile;
  faq: FaqFile;
  intents: IntentsFile;
  templates: TemplateCatalog;
  flows: FlowCatalog;
}

export interface ContentDirs {
  flowsDir: string;
  templatesDir: string;
  /** Paths are shown relative to this folder (the project root), so messages read `flows/intake.flow.yaml:12`. */
  displayRoot?: string;
}

export function checkContent(dirs: ContentDirs): { content: Content | null; problems: FileProblem[] } {
  const display = (p: string) => (dirs.displayRoot ? path.relative(dirs.displayRoot, path.resolve(p)) || '.' : p);
  const problems: FileProblem[] = [];

  const readChecked = <S extends z.ZodType>(name: string, schema: S): z.infer<S> | null => {
    const { source, problems: p } = readYamlFile(path.join(dirs.flowsDir, name), path.join(display(dirs.flowsDir), name));
    problems.push(...p);
    if (!source) return null;
    const { value, problems: v } = validateYaml(source, schema);
    problems.push(...v);
    return value;
  };

  const organisation = readChecked('organisation.yaml', organisationSchema);
  const commands = readChecked('commands.yaml', commandsFileSchema);
  const faq = readChecked('faq.yaml', faqFileSchema);
  const intents = readChecked('intents.yaml', intentsFileSchema);
  const { catalog: templates, problems: templateProblems } = TemplateCatalog.load(dirs.templatesDir, display(dirs.templatesDir));
  problems.push(...templateProblems);
  const { catalog: flows, problems: flowProblems } = loadFlows(dirs.flowsDir, templates, display(dirs.flowsDir));
  problems.push(...flowProblems);

  if (organisation) {
    const orgFile = path.join(display(dirs.flowsDir), 'organisation.yaml');
    for (const type of organisation.requestTypes) {
      if (!templates.has(`request-types.${type.id}`)) problems.push({ file: orgFile, line: 1, reason: `request type "${type.id}" has no template "request-types.${type.id}"` });
      for (const doc of type.documents) {
        if (!templates.has(`documents.${doc}`)) problems.push({ file: orgFile, line: 1, reason: `document "${doc}" has no template "documents.${doc}"` });
      }
    }
  }

  if (problems.length || !organisation || !commands || !faq || !intents) return { content: null, problems };
  return { content: { organisation, commands, faq, intents, templates, flows }, problems };
}

/** Loads the content or throws with every problem, for start-up. */
export function loadContent(dirs: ContentDirs): Content {
  const { content, problems } = checkContent(dirs);
  if (!content) throw new FileProblemsError(problems);
  return content;
}
