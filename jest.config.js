/**
 * Three projects: unit specs (beside the code, `*.spec.ts`, no Redis), integration specs (beside the code,
 * `*.integration.spec.ts`, on the Redis at REDIS_URL or a private redis-server), and end-to-end tests (test/, the whole
 * service).
 */
// ESM-only packages that CommonJS code we depend on require(): Node 24 loads them natively, Jest's VM does not
// (without --experimental-vm-modules), so they are compiled to CommonJS for the tests. content-disposition 3
// comes with @fastify/static, which Bull Board's Fastify adapter serves its files with (fastify-static#612).
// The AI SDK (ai, @ai-sdk/*) and @workflow/serde ship ESM only too.
const ESM_ONLY = ['content-disposition', 'ai', '@ai-sdk/[^/]+', '@workflow/serde'];
const transform = {
  '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: false }],
  [`/node_modules/(${ESM_ONLY.join('|')})/.+\\.js$`]: ['ts-jest', { tsconfig: { allowJs: true, module: 'commonjs' }, diagnostics: false }],
};
const common = {
  // Node's environment, failing a test on a promise rejection handled only after Node saw it unhandled.
  testEnvironment: `${__dirname}/test/support/strict-environment.js`,
  moduleFileExtensions: ['ts', 'js', 'json'],
  transform,
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_ONLY.join('|')})/)`],
  // The SDK imports zod/v4/locales/en.js, which zod's exports map to its ESM file even for require(): its CommonJS twin.
  moduleNameMapper: { '^zod/v4/locales/(.+)\\.js$': 'zod/v4/locales/$1.cjs' },
};

module.exports = {
  // Per-test budget for end-to-end tests, which wait for retries and process restarts.
  testTimeout: 60000,
  projects: [
    { ...common, displayName: 'unit', rootDir: 'src', testMatch: ['**/*.spec.ts'], testPathIgnorePatterns: ['\\.integration\\.spec\\.ts$'] },
    { ...common, displayName: 'integration', rootDir: 'src', testMatch: ['**/*.integration.spec.ts'] },
    { ...common, displayName: 'e2e', rootDir: 'test', testMatch: ['**/*.e2e-spec.ts'] },
  ],
};
