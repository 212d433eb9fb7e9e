/**
 * A separate engine process for the crash test: started by the test, killed with SIGKILL mid-work.
 * Not a test itself (no `.test.ts`); it reads the same environment variables as `npm start`.
 */
import { loadEnv } from '../src/config/load-config';
import { startWasl } from '../src/app/start-wasl';

void (async () => {
  const wasl = await startWasl({ env: loadEnv(), engineLockDurationMs: 1500, sweeper: false });
  process.stdout.write(`ready ${wasl.roles.join(',')}\n`);
})();
