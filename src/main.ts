/**
 * `npm start`: loads `.env` when present, starts the roles in ROLES (all by default) and shuts down cleanly on
 * SIGTERM/SIGINT — workers first, so a job in flight finishes or is picked up by another worker.
 */
import { existsSync } from 'node:fs';
import { ConfigError, loadEnv } from './config/load-config';
import { startWasl } from './app/start-wasl';
import { FileProblemsError, formatProblem } from './yaml/read-yaml';
import { DataDirectoryLockedError, EmbeddedDatabaseUnreadableError } from './store/database';
import { maskPersonalText } from './observability/mask-personal-data';

/** Start-up and crash output goes to stderr outside pino, so it is masked here: a stack can quote an answer. */
const fail = (text: string) => console.error(maskPersonalText(text));
const errorText = (err: unknown) => (err instanceof Error ? (err.stack ?? err.message) : String(err));

// A bug that escapes every handler ends the process (the pipeline is crash-safe: what was in flight is redone
// by the next process); the reason is printed masked rather than by Node's default handler.
process.on('uncaughtException', (err) => {
  fail(`Wasl stopped on an uncaught error: ${errorText(err)}`);
  process.exit(1);
});
process.on('unhandledRejection', (err) => {
  fail(`Wasl stopped on an unhandled promise rejection: ${errorText(err)}`);
  process.exit(1);
});

async function main(): Promise<void> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  const env = loadEnv();
  // What was in flight is redone by the next process, as after a crash: exiting lets the supervisor start it.
  const wasl = await startWasl({ env, onFatal: () => process.exit(1) });
  if (wasl.url) {
    console.log(`\nWasl is running at ${wasl.url}\n  try the website chat: open ${wasl.url}/\n  or talk to it in another terminal: npm run chat\n`);
  }
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping Wasl…`);
    const force = setTimeout(() => process.exit(1), 20_000);
    force.unref();
    await wasl.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((err: unknown) => {
  if (err instanceof FileProblemsError) {
    fail('Wasl cannot start: the flows, templates or profile have problems:');
    for (const p of err.problems) fail(`  ${formatProblem(p)}`);
  } else if (err instanceof ConfigError || err instanceof DataDirectoryLockedError || err instanceof EmbeddedDatabaseUnreadableError) {
    fail(`Wasl cannot start: ${err.message}`);
  } else {
    fail(`Wasl cannot start: ${errorText(err)}`);
  }
  process.exit(1);
});
