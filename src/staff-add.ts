/**
 * `npm run staff:add -- --email amal@example.org --name "أمل" --role admin [--gender female] [--team complaints]
 * [--caseload 10] [--password-stdin]` — creates a console account (the first admin, typically). The password is
 * asked at the prompt without echo, or read from standard input with --password-stdin (for scripts); it is never
 * taken from the command line, where it would sit in the shell history and the process list.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadEnv } from './config/load-config';
import { openDatabase } from './store/database';
import { createStaff, newStaffSchema, StaffExistsError } from './staff/staff-repo';
import { z } from 'zod';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/** Reads a line from the terminal without echoing it. */
function promptHidden(question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    if (!stdin.isTTY) return reject(new Error('no terminal to ask for the password: use --password-stdin'));
    process.stdout.write(question);
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding('utf8');
    let value = '';
    const onData = (ch: string) => {
      for (const c of ch) {
        if (c === '\r' || c === '\n') {
          stdin.setRawMode(false);
          stdin.pause();
          stdin.off('data', onData);
          process.stdout.write('\n');
          return resolve(value);
        }
        if (c === '\u0003') process.exit(130);
        if (c === '\u007f' || c === '\b') value = value.slice(0, -1);
        else value += c;
      }
    };
    stdin.on('data', onData);
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      email: { type: 'string' },
      name: { type: 'string' },
      role: { type: 'string', default: 'researcher' },
      gender: { type: 'string' },
      team: { type: 'string' },
      caseload: { type: 'string' },
      'password-stdin': { type: 'boolean', default: false },
    },
  });
  let password: string;
  if (values['password-stdin']) password = await readStdin();
  else {
    password = await promptHidden('Password: ');
    if ((await promptHidden('Again: ')) !== password) throw new Error('the two passwords differ');
  }
  const input = newStaffSchema.safeParse({
    email: values.email,
    name: values.name,
    password,
    role: values.role,
    gender: values.gender ?? null,
    team: values.team ?? null,
    ...(values.caseload ? { caseloadLimit: Number(values.caseload) } : {}),
  });
  if (!input.success) {
    console.error(`Cannot create the account:\n${z.prettifyError(input.error)}`);
    process.exit(2);
  }
  const env = loadEnv();
  const database = await openDatabase({ databaseUrl: env.DATABASE_URL, dataDir: path.resolve(env.DATA_DIR) });
  try {
    const row = await createStaff(database.db, input.data);
    console.log(`Created ${row.role} ${row.name} <${row.email}> (id ${row.id}). Sign in at /console.`);
  } finally {
    await database.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof StaffExistsError ? err.message : `staff:add failed: ${(err as Error).message}`);
  process.exit(1);
});
