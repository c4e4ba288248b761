// vitest's global setup: build dist/cli.js from the current source before any test runs, so
// the tests that start the real pmuplay never run a build left behind by an earlier step.
import { execFileSync } from 'node:child_process';
import process from 'node:process';

export default function setup() {
  execFileSync(process.execPath, ['tools/build.mjs'], { stdio: 'inherit' });
}
