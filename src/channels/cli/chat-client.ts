/**
 * `npm run chat` — talk to a running Wasl as a beneficiary, in the terminal. What you type goes through the
 * same pipeline as a WhatsApp message (ingest → queue → engine → outbox → outbound queue); replies stream back
 * over server-sent events. `/attach FILE` sends a document (JPEG, PNG, WebP or PDF), `/quit` leaves.
 *
 *   npm run chat                 continue your own conversation
 *   npm run chat -- --new        start as a brand-new beneficiary
 *   npm run chat -- --user NAME  talk as NAME (e.g. to test the identity check from a second "person")
 *
 * The server demands a token derived from its secret key (cli-token.ts); the client reads the same `.env`,
 * SECRET_KEY and DATA_DIR as `npm start`, so run it from the server's directory as the same user.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import path from 'node:path';
import * as readline from 'node:readline/promises';
import { loadEnv } from '../../config/load-config';
import { cliChannelTokenFromEnv } from './cli-token';

const mimeByExtension: Record<string, string> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.pdf': 'application/pdf',
};

function parseArgs(argv: string[]): { userId: string } {
  const i = argv.indexOf('--user');
  if (i >= 0 && argv[i + 1]) return { userId: argv[i + 1]! };
  if (argv.includes('--new')) return { userId: `guest-${randomUUID().slice(0, 8)}` };
  return { userId: `terminal-${userInfo().username.replace(/[^A-Za-z0-9_.-]/g, '') || 'user'}` };
}

const WRONG_TOKEN_HINT = 'Wasl refused the CLI channel token: run `npm run chat` with the same SECRET_KEY (or DATA_DIR) as the server, from its directory.';

async function streamReplies(base: string, token: string, userId: string, onReply: (text: string) => void, signal: AbortSignal): Promise<void> {
  let lastId = 0;
  // Reconnect with Last-Event-ID: replies sent while the connection was down are replayed, none twice.
  while (!signal.aborted) {
    try {
      const res = await fetch(`${base}/api/cli/stream?userId=${encodeURIComponent(userId)}`, {
        headers: { 'last-event-id': String(lastId), accept: 'text/event-stream', authorization: `Bearer ${token}` },
        signal,
      });
      if (res.status === 401) {
        // Retrying cannot fix a wrong token: the configuration differs from the server's.
        console.error(`\n${WRONG_TOKEN_HINT}`);
        process.exit(1);
      }
      if (!res.ok || !res.body) throw new Error(`stream answered ${res.status}`);
      const decoder = new TextDecoder();
      let buffer = '';
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const event = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const id = /^id: (\d+)$/m.exec(event)?.[1];
          const data = /^data: (.*)$/m.exec(event)?.[1];
          if (id) lastId = Number(id);
          if (data) {
            const reply = JSON.parse(data) as { text: string; attachment?: { fileName: string; url: string } };
            // A file a researcher sent: its download link on this server.
            const file = reply.attachment ? `📎 ${reply.attachment.fileName}: ${base}${reply.attachment.url}` : '';
            onReply([reply.text, file].filter(Boolean).join('\n'));
          }
        }
      }
    } catch (err) {
      if (signal.aborted) return;
      console.error(`\n(connection to Wasl lost: ${(err as Error).message}; retrying…)`);
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
}

async function main(): Promise<void> {
  // The same configuration as `npm start` (src/main.ts), so the token derived below is the server's.
  if (existsSync('.env')) process.loadEnvFile('.env');
  const env = loadEnv();
  const base = env.WASL_URL.replace(/\/$/, '');
  const { userId } = parseArgs(process.argv.slice(2));
  try {
    const health = await fetch(`${base}/api/health`);
    if (!health.ok) throw new Error(`health check answered ${health.status}`);
  } catch (err) {
    console.error(`Cannot reach Wasl at ${base} (${(err as Error).message}). Start it first with: npm start`);
    process.exit(1);
  }
  // Only once the server answers: when no key is configured yet, it is the server that generates one.
  let token: string;
  try {
    token = cliChannelTokenFromEnv(env);
  } catch (err) {
    console.error(`Cannot read Wasl's secret key (${(err as Error).message}). Run this as the user that runs Wasl, or set SECRET_KEY.`);
    process.exit(1);
  }
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
  const controller = new AbortController();
  const show = (text: string) => {
    process.stdout.write(`\n\x1b[36mوصل ›\x1b[0m ${text.split('\n').join('\n       ')}\n\n> `);
  };
  void streamReplies(base, token, userId, show, controller.signal);
  console.log(`Connected to Wasl as "${userId}". Write in Arabic or English; "/attach FILE" sends a document, "/quit" leaves.`);
  console.log('اكتب «السلام عليكم» للبدء.\n');
  rl.setPrompt('> ');
  rl.prompt();
  for await (const line of rl) {
    const text = line.trim();
    if (text === '/quit' || text === '/exit') break;
    if (!text) {
      rl.prompt();
      continue;
    }
    const body: Record<string, unknown> = { userId, messageId: randomUUID(), text };
    if (text.startsWith('/attach ')) {
      const file = text.slice('/attach '.length).trim();
      const mimeType = mimeByExtension[path.extname(file).toLowerCase()];
      if (!mimeType) {
        console.log('Only .jpg, .png, .webp and .pdf files can be sent.');
        rl.prompt();
        continue;
      }
      try {
        body.file = { name: path.basename(file), mimeType, base64: readFileSync(file).toString('base64') };
        body.text = '';
      } catch (err) {
        console.log(`Cannot read ${file}: ${(err as Error).message}`);
        rl.prompt();
        continue;
      }
    }
    // A retry reuses the same messageId, so a message is stored once even if the first POST's answer was lost.
    for (let attempt = 1; attempt <= 3; attempt++) {
      try {
        const res = await fetch(`${base}/api/cli/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify(body),
        });
        if (res.status === 401) console.log(`(${WRONG_TOKEN_HINT})`);
        else if (!res.ok) console.log(`(Wasl refused the message: ${res.status} ${await res.text()})`);
        break;
      } catch (err) {
        if (attempt === 3) console.log(`(could not send: ${(err as Error).message})`);
        else await new Promise((r) => setTimeout(r, 500 * attempt));
      }
    }
  }
  controller.abort();
  rl.close();
  process.exit(0);
}

void main();
