import type { Config } from 'jest';

// One run covers unit tests (next to the code) and integration tests (test/), which talk to the real
// Redis and PostgreSQL on 127.0.0.1 and to PGlite. Each integration file isolates itself: its own
// PostgreSQL database and its own BullMQ prefix, so files can run in parallel.
const config: Config = {
  testEnvironment: 'node',
  roots: ['<rootDir>/src', '<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Fault tests kill processes and restart their own servers; `npm run test:faults` runs them (jest.faults.config.ts).
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/faults/'],
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  testTimeout: 60_000,
  maxWorkers: 2,
};

export default config;
