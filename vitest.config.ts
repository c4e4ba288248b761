import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // dist/cli.js, built fresh once for the tests that start the real program (smoke, e2e).
    globalSetup: ['tools/test-build.mjs'],
    // A bound that only ends a test that already failed: tests wait for effects, never for a
    // time, and on a loaded 2-core machine real work takes several times longer than here.
    testTimeout: 60_000,
  },
});
