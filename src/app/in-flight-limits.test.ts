import { loadEnv } from '../config/load-config';
import { inFlightLimits } from './in-flight-limits';

describe('inFlightLimits', () => {
  test('PostgreSQL keeps enough jobs in flight for gathered statements to carry several; PGlite gathers nothing', () => {
    const env = loadEnv({});
    const postgres = inFlightLimits('postgres', env);
    const pglite = inFlightLimits('pglite', env);
    expect(postgres.statementBatch).toBeGreaterThanOrEqual(postgres.engineConcurrency);
    expect(postgres.engineConcurrency).toBeGreaterThan(pglite.engineConcurrency);
    expect(postgres.outboundConcurrency).toBeGreaterThan(pglite.outboundConcurrency);
    expect(pglite.statementBatch).toBe(1);
  });

  test('ENGINE_CONCURRENCY and OUTBOUND_CONCURRENCY, when set, win on either database', () => {
    const env = loadEnv({ ENGINE_CONCURRENCY: '3', OUTBOUND_CONCURRENCY: '5' });
    for (const kind of ['postgres', 'pglite'] as const) {
      expect(inFlightLimits(kind, env)).toMatchObject({ engineConcurrency: 3, outboundConcurrency: 5 });
    }
  });
});
