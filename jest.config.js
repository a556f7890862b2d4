/** Unit specs sit beside the code; end-to-end tests live in test/ and need Redis at REDIS_URL. */
const transform = {
  '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: false }],
};
const common = { testEnvironment: 'node', moduleFileExtensions: ['ts', 'js', 'json'], transform };

module.exports = {
  // Per-test budget for end-to-end tests, which wait for retries and process restarts.
  testTimeout: 60000,
  projects: [
    { ...common, displayName: 'unit', rootDir: 'src', testMatch: ['**/*.spec.ts'] },
    { ...common, displayName: 'e2e', rootDir: 'test', testMatch: ['**/*.e2e-spec.ts'] },
  ],
};
