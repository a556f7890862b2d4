// ESLint: the recommended rules, type-checked for TypeScript; formatting is Prettier's (eslint-config-prettier, last).
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['dist/', 'dist-bench/', 'coverage/', 'node_modules/', '.node24/'] },
  js.configs.recommended,
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // `async` without `await` is deliberate: it implements a Promise-returning interface, and makes a throw a rejection.
      '@typescript-eslint/require-await': 'off',
      // A leading underscore marks a parameter or destructured rest sibling kept for its position or to leave it out.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
      // Passing on a caught error or an abort reason as it came is right; rejecting with a literal non-Error is still caught.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingAny: true, allowThrowingUnknown: true }],
      // Errors rethrown from a catch carry the cause's message in their own words for the operator; a `cause` would
      // add its stack to what is printed and logged.
      'preserve-caught-error': 'off',
      // `return p` inside try/catch/finally does not await p: the finally runs first and a rejection may go unhandled
      // for a moment, which Node's default ends the process for. Awaited there, it is caught where it is written.
      '@typescript-eslint/return-await': ['error', 'in-try-catch'],
      // A promise let go with `void` must still say what happens to its failure (a .catch): an unhandled rejection ends the process.
      '@typescript-eslint/no-floating-promises': ['error', { ignoreVoid: false }],
    },
  },
  {
    files: ['test/**/*.ts', '**/*.spec.ts', 'scripts/**/*.ts'],
    rules: {
      // Tests post malformed bodies and read JSON answers, Redis hashes and fakes' records as `any` on purpose; so
      // does the benchmark's bare baseline, which handles raw bodies and job data by hand.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    files: ['test/**/*.ts', '**/*.spec.ts'],
    rules: {
      // Specs load JSON fixtures by name with require().
      '@typescript-eslint/no-require-imports': 'off',
      // expect(fake.method).toHaveBeenCalled… passes methods unbound without calling them.
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  { files: ['**/*.js'], languageOptions: { sourceType: 'commonjs', globals: globals.node } },
  { files: ['src/sandbox/page/*.js'], languageOptions: { sourceType: 'script', globals: globals.browser } },
  prettier,
);
