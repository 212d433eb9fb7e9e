import { loadEnv } from '../config/load-config';
import { inFlightLimits } from './in-flight-limits';

describe('inFlightLimits', () => {
  test('keeps enough jobs in flight for gathered statements to carry several, and a statement can carry them all', () => {
    const limits = inFlightLimits(loadEnv({}));
    expect(limits.engineConcurrency).toBeGreaterThan(8);
    expect(limits.outboundConcurrency).toBeGreaterThan(8);
    expect(limits.statementBatch).toBeGreaterThanOrEqual(Math.max(limits.engineConcurrency, limits.outboundConcurrency));
  });

  test('ENGINE_CONCURRENCY and OUTBOUND_CONCURRENCY, when set, win', () => {
    expect(inFlightLimits(loadEnv({ ENGINE_CONCURRENCY: '3', OUTBOUND_CONCURRENCY: '5' }))).toMatchObject({ engineConcurrency: 3, outboundConcurrency: 5 });
  });
});
