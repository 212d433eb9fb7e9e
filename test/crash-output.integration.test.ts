/**
 * What `npm start` prints when it cannot start goes to stderr outside the masking logger (src/main.ts), and an
 * error can quote personal data: here PostgreSQL quotes a database name that holds a national ID. The output says
 * why Wasl stopped, masked, and the process exits 1.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runMainToExit } from './support/wasl-process';

describe('npm start that cannot start', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'wasl-crash-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('says why, masks the national ID the error quotes, and exits 1', async () => {
    const { code, output } = await runMainToExit({
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/applicant_1012345678',
      DATA_DIR: dataDir,
      SECRET_KEY: 'a'.repeat(64),
      REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
      LOG_LEVEL: 'silent',
    });
    expect(code).toBe(1);
    expect(output).toContain('Wasl cannot start');
    expect(output).toContain('applicant_[national-id]');
    expect(output).not.toContain('1012345678');
  }, 60_000);
});
