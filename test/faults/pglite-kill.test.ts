/**
 * kill -9 of Wasl as most charities will run it: one process, every role, on the embedded PGlite database. The
 * process holds the database itself, so a kill takes down the ingest, the drains, the sends and the database at
 * once, mid-write. A new process started on the same data directory must recover the database (PostgreSQL's
 * own crash recovery, run by PGlite at start), take over the lock file the dead one left, and finish the work:
 * every message accepted with a 202 answered, once, in order.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { openDatabase, type Database } from '../../src/store/database';
import { copyContent, useEchoMainMenu, type ContentCopy } from '../support/content-fixture';
import { freePort } from '../support/free-port';
import { waitFor } from '../support/harness';
import { outboxStatus, printTally } from './support/fault-load';
import { killHard, startRoleProcess } from './support/role-child';
import { ThrowawayRedis } from './support/throwaway-redis';
import { WebChatLoad } from './support/web-chat-load';

describe('kill -9 of Wasl on the embedded database, mid-load', () => {
  let content: ContentCopy;
  let redis: ThrowawayRedis;
  let dataDir: string;
  let load: WebChatLoad | undefined;
  let database: Database | undefined;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    content = copyContent();
    useEchoMainMenu(content);
    redis = await ThrowawayRedis.start();
    dataDir = mkdtempSync(path.join(tmpdir(), 'wasl-fault-pglite-'));
  }, 60_000);
  afterAll(async () => {
    for (const c of children) await killHard(c);
    await load?.stop();
    await database?.close();
    await redis?.stop();
    content?.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('recovers the database on restart and loses nothing, answers nothing twice, keeps each chat in order', async () => {
    const port = await freePort();
    const prefix = `fault-${randomUUID().slice(0, 8)}`;
    const env = {
      WEB_CHAT_IP_REQUESTS_PER_MINUTE: '100000',
      WEB_CHAT_MESSAGES_PER_MINUTE: '10000',
      REDIS_URL: redis.url,
      QUEUE_PREFIX: prefix,
      ROLES: 'web,engine,outbound',
      FLOWS_DIR: content.flowsDir,
      TEMPLATES_DIR: content.templatesDir,
      DATA_DIR: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      FAULT_LOCK_MS: '1500',
      FAULT_SWEEP_MS: '1000',
    };
    const victim = await startRoleProcess(env);
    children.push(victim);
    load = await WebChatLoad.start({ redisUrl: redis.url, prefix, baseUrl: `http://127.0.0.1:${port}` });
    // People go on writing through the outage, as the widget does: each message is posted until it gets a 202.
    const running = load.run({ people: 20, perPerson: 8, gapMs: 100 });
    await waitFor('the load to be part-way', async () => load!.answeredCount() >= 30, 60_000);
    await killHard(victim);
    expect(() => process.kill(victim.pid!, 0)).toThrow(/ESRCH/);
    const answeredAtKill = load.answeredCount();
    const sentAtKill = load.sentCount;

    // The same data directory, whose lock file names a dead process, and whose database was not shut down.
    const restartedAt = Date.now();
    const successor = await startRoleProcess(env);
    children.push(successor);
    const upAfterMs = Date.now() - restartedAt;
    await running;
    await waitFor('every message to be answered', async () => load!.answeredCount() >= load!.sentCount, 60_000).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 2_000)); // a reply sent twice would arrive by now
    // The database is the successor's while it runs: stop it (a second unclean stop), then read the directory.
    await killHard(successor);
    database = await openDatabase({ dataDir });
    const t = await load.tally(database.db);
    printTally('kill -9 of Wasl on PGlite (every role, one process)', t, {
      'sent-at-kill': sentAtKill,
      'answered-at-kill': answeredAtKill,
      'restarted-in-ms': upAfterMs,
      'republished-same-id': load.republished(),
      outbox: JSON.stringify(await outboxStatus(database.db)),
    });
    expect(answeredAtKill).toBeLessThan(160);
    expect(t).toMatchObject({ sent: 160, stored: 160, answered: 160, lost: 0, duplicated: 0, outOfOrder: 0 });
  }, 150_000);
});
