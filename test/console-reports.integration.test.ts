/**
 * Survey reports in the console: behind the same sign-in, and per-researcher figures for supervisors only
 * (policy practice 3: ratings improve the service; they are not for punishing or shaming staff).
 */
import { signedIn } from './console-client';
import { startTestWasl, type TestWasl } from './support/harness';

describe('survey reports behind the console sign-in', () => {
  let wasl: TestWasl;
  beforeAll(async () => {
    wasl = await startTestWasl({ db: 'postgres' });
  }, 180_000);
  afterAll(() => wasl?.stop());

  it('refuses anyone not signed in', async () => {
    const res = await fetch(`${wasl.url}/api/reports/surveys/summary`);
    expect(res.status).toBe(401);
  });

  it('shows per-researcher figures to a supervisor and not to a researcher', async () => {
    const supervisor = await signedIn(wasl.database.db, wasl.url!, { role: 'supervisor' });
    const researcher = await signedIn(wasl.database.db, wasl.url!, { role: 'researcher' });
    expect((await supervisor.client.request('GET', '/api/reports/surveys/summary')).status).toBe(200);
    expect((await researcher.client.request('GET', '/api/reports/surveys/summary')).status).toBe(200);
    expect((await supervisor.client.request('GET', '/api/reports/surveys/by-researcher')).status).toBe(200);
    expect((await researcher.client.request('GET', '/api/reports/surveys/by-researcher')).status).toBe(403);
  });
});
