/**
 * A throwaway Dovecot IMAP server for tests (ENGINEERING.md §5.3): its own config, mail and sockets in a temp
 * directory, one mailbox user, plaintext login on 127.0.0.1. Dovecot refuses to run its login process as root,
 * so under root (CI) the whole instance runs as the `dovecot` system user the Debian package creates; as an
 * ordinary user it runs as that user.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { ImapFlow } from 'imapflow';
import { freePort } from '../support/free-port';

export interface TestDovecot {
  host: string;
  port: number;
  user: string;
  password: string;
  /** `imap://user:pass@127.0.0.1:port/INBOX`, as IMAP_URL takes it. */
  url: string;
  /** Puts a raw message into INBOX, as a delivery would. Returns its UID. */
  append(raw: string | Buffer, flags?: string[]): Promise<number>;
  /** The flags of every message in INBOX, by UID. */
  flags(): Promise<Map<number, Set<string>>>;
  stop(): Promise<void>;
}

const DOVECOT_BINARY = ['/usr/sbin/dovecot', '/usr/local/sbin/dovecot'].find((p) => existsSync(p));

/** Whether the tests can start Dovecot here (Debian's dovecot-imapd is installed). */
export const dovecotAvailable = DOVECOT_BINARY !== undefined;

function idOf(flag: '-u' | '-g', name: string): number {
  return Number(execFileSync('id', [flag, name], { encoding: 'utf8' }).trim());
}

export async function startDovecot(opts: { user?: string; password?: string } = {}): Promise<TestDovecot> {
  if (!DOVECOT_BINARY) throw new Error('dovecot is not installed (apt-get install dovecot-imapd)');
  const user = opts.user ?? 'bot@example.test';
  const password = opts.password ?? 'secret';
  const asRoot = process.getuid?.() === 0;
  const runAs = asRoot ? 'dovecot' : userInfo().username;
  const uid = asRoot ? idOf('-u', runAs) : userInfo().uid;
  const gid = asRoot ? idOf('-g', runAs) : userInfo().gid;
  const group = execFileSync('id', ['-gn', runAs], { encoding: 'utf8' }).trim();
  const port = await freePort();

  const dir = mkdtempSync(path.join(tmpdir(), 'wasl-dovecot-'));
  for (const sub of ['run', 'state', 'home']) mkdirSync(path.join(dir, sub));
  writeFileSync(
    path.join(dir, 'dovecot.conf'),
    [
      'protocols = imap',
      'listen = 127.0.0.1',
      `base_dir = ${dir}/run`,
      `state_dir = ${dir}/state`,
      `log_path = ${dir}/dovecot.log`,
      'ssl = no',
      'disable_plaintext_auth = no',
      'auth_mechanisms = plain',
      `default_internal_user = ${runAs}`,
      `default_internal_group = ${group}`,
      `default_login_user = ${runAs}`,
      'passdb {',
      '  driver = passwd-file',
      `  args = scheme=PLAIN username_format=%u ${dir}/passwd`,
      '}',
      'userdb {',
      '  driver = static',
      `  args = uid=${uid} gid=${gid} home=${dir}/home/%u`,
      '}',
      'mail_location = maildir:~/Maildir',
      `first_valid_uid = ${uid}`,
      `first_valid_gid = ${gid}`,
      'service imap-login {',
      '  chroot =',
      '  inet_listener imap {',
      `    port = ${port}`,
      '  }',
      '  inet_listener imaps {',
      '    port = 0',
      '  }',
      '}',
      'service anvil {',
      '  chroot =',
      '}',
      '',
    ].join('\n'),
  );
  writeFileSync(path.join(dir, 'passwd'), `${user}:{PLAIN}${password}::::::\n`);
  if (asRoot) {
    // Everything under the directory belongs to the unprivileged user the instance runs as.
    execFileSync('chown', ['-R', `${uid}:${gid}`, dir]);
  }
  chmodSync(dir, 0o755);

  // The daemon keeps the stdio it inherits: send it to a file, or spawnSync would wait for EOF forever.
  const command = `${DOVECOT_BINARY} -c ${dir}/dovecot.conf >${dir}/start.log 2>&1`;
  const started = asRoot
    ? spawnSync('su', [runAs, '-s', '/bin/sh', '-c', command], { stdio: 'ignore' })
    : spawnSync('sh', ['-c', command], { stdio: 'ignore' });
  if (started.status !== 0) {
    const logs = ['start.log', 'dovecot.log'].map((f) => path.join(dir, f)).filter(existsSync).map((f) => readFileSync(f, 'utf8'));
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`dovecot did not start (exit ${started.status}): ${logs.join('\n')}`);
  }

  const connect = async () => {
    const client = new ImapFlow({ host: '127.0.0.1', port, secure: false, auth: { user, pass: password }, logger: false });
    await client.connect();
    return client;
  };
  // The master forks the listeners: wait until a login works.
  for (let attempt = 0; ; attempt++) {
    try {
      const c = await connect();
      await c.logout();
      break;
    } catch (err) {
      if (attempt > 100) throw new Error(`dovecot on port ${port} never accepted a login`, { cause: err });
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  const stop = async () => {
    const pidFile = path.join(dir, 'run', 'master.pid');
    if (existsSync(pidFile)) {
      const pid = Number(readFileSync(pidFile, 'utf8').trim());
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
      for (let i = 0; i < 100 && existsSync(pidFile); i++) await new Promise((r) => setTimeout(r, 20));
    }
    rmSync(dir, { recursive: true, force: true });
  };

  return {
    host: '127.0.0.1',
    port,
    user,
    password,
    url: `imap://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}/INBOX`,
    async append(raw, flags = []) {
      const c = await connect();
      try {
        const res = await c.append('INBOX', raw, flags);
        if (!res || !res.uid) throw new Error('APPEND returned no UID');
        return res.uid;
      } finally {
        await c.logout();
      }
    },
    async flags() {
      const c = await connect();
      const out = new Map<number, Set<string>>();
      try {
        const mailbox = await c.mailboxOpen('INBOX', { readOnly: true });
        if (mailbox.exists > 0) {
          for await (const m of c.fetch('1:*', { uid: true, flags: true })) out.set(m.uid, new Set(m.flags ?? []));
        }
      } finally {
        await c.logout();
      }
      return out;
    },
    stop,
  };
}
