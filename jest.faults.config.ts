import type { Config } from 'jest';
import base from './jest.config';

// Fault tests (test/faults): they kill processes and restart their own Redis and PostgreSQL, so they run one
// file at a time (`npm run test:faults`), apart from `npm test`.
const config: Config = {
  ...base,
  roots: ['<rootDir>/test/faults'],
  testPathIgnorePatterns: ['/node_modules/'],
  testTimeout: 150_000,
  maxWorkers: 1,
  // A client of a Redis the test killed keeps a reconnect timer after its suite; in band, nothing would force the
  // process to end, and CI would wait for it. The counts are asserted before this point.
  forceExit: true,
};

export default config;
