import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // dist/cli.js, built fresh once for the tests that start the real program (smoke, e2e).
    globalSetup: ['tools/test-build.mjs'],
  },
});
