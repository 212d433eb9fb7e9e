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
};

export default config;
