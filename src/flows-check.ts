/**
 * `npm run flows:check [dir]` — validates the organisation's flows, FAQ, commands, profile and templates and
 * prints each problem as `file:line: reason`. Exits non-zero when there is any. Start-up runs the same check.
 */
import path from 'node:path';
import { checkContent } from './content/load-content';
import { formatProblem } from './yaml/read-yaml';

function main(argv: string[]): number {
  const args = argv.filter((a) => !a.startsWith('--'));
  const templatesFlag = argv.find((a) => a.startsWith('--templates='));
  const flowsDir = path.resolve(args[0] ?? 'flows');
  const templatesDir = path.resolve(templatesFlag ? templatesFlag.slice('--templates='.length) : path.join(flowsDir, '..', 'templates'));
  const { content, problems } = checkContent({ flowsDir, templatesDir, displayRoot: process.cwd() });
  for (const p of problems) console.error(formatProblem(p));
  if (!content) {
    console.error(`flows:check: ${problems.length} problem(s) found`);
    return 1;
  }
  console.log(`flows:check: ${content.flows.current.size} flows, ${content.faq.entries.length} FAQ entries, templates in ar and en — all good`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
