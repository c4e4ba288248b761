/**
 * Writes test/ink-output.fixtures.json: the frames of test/ink-output-cases.tsx as stock Ink
 * 6.8.0 renders them (node_modules/ink with patches/ink+6.8.0.patch taken back out, as the TUI
 * bench makes it), for test/ink-output.test.ts to compare the patched Ink with. Run it when the
 * cases change, never to make the test pass after changing the patch:
 *   node --import tsx test/ink-output-fixtures.ts
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '../bench/builds.js';
import { bundle, stockInk } from '../bench/tui-builds.js';

const dir = mkdtempSync(join(tmpdir(), 'ink-output-fixtures-'));
try {
  const file = await bundle(join(repoRoot, 'test', 'ink-output-cases.tsx'), join(dir, 'cases.mjs'), { ink: stockInk() });
  const { framesOf } = (await import(pathToFileURL(file).href)) as typeof import('./ink-output-cases.js');
  const frames = framesOf();
  writeFileSync(join(repoRoot, 'test', 'ink-output.fixtures.json'), JSON.stringify(frames, null, 1) + '\n');
  const count = Object.values(frames).reduce((n, f) => n + f.length, 0);
  console.log(`wrote test/ink-output.fixtures.json: ${Object.keys(frames).length} cases, ${count} frames, rendered by stock Ink`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
