import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The engine is deterministic and IO-free: no clocks, no randomness, no console.
    files: ['src/engine/**/*.ts', 'src/machines/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-console': 'error',
      'no-restricted-globals': ['error', 'Date', 'setTimeout', 'setInterval', 'performance', 'process'],
      'no-restricted-properties': ['error', { object: 'Math', property: 'random', message: 'Use the seeded PRNG in the world state.' }],
      'no-restricted-imports': ['error', { patterns: ['node:*', 'fs', 'os', 'child_process', 'ink', 'react'] }],
    },
  },
);
