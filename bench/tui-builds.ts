/**
 * The builds the TUI bench runs, and the stock Ink it compares the repo's Ink with.
 *
 * Stock Ink is node_modules/ink with patches/ink+6.8.0.patch taken back out (`patch -R`): the
 * package as npm ships it. It is made once per patch text under the bench's cache directory.
 * A frame bundle is bench/tui-frame.tsx bundled by esbuild with `ink` resolved either to the
 * repo's (patched) Ink or to stock Ink, each bundle with its own React, so the two never share
 * code or inline caches. The programs the bench starts in a terminal (the Ink hello-world and
 * ticker, pmuplay on stock Ink) are bundled with the options tools/build.mjs ships dist/cli.js
 * with, so their start-up costs what the shipped program's does.
 */
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir, repoRoot, shippedOptions } from './builds.js';

const inkPatch = join(repoRoot, 'patches', 'ink+6.8.0.patch');
const nodeModules = join(repoRoot, 'node_modules');

/** The directory of stock Ink (its package.json, build/), made once per patch text. */
export function stockInk(): string {
  const key = createHash('sha256').update(readFileSync(inkPatch)).digest('hex').slice(0, 12);
  const root = join(cacheDir, `ink-stock-${key}`);
  const dir = join(root, 'node_modules', 'ink');
  if (existsSync(dir)) return dir;
  mkdirSync(cacheDir, { recursive: true });
  const part = mkdtempSync(join(cacheDir, `ink-stock-${key}.part-`));
  cpSync(join(nodeModules, 'ink'), join(part, 'node_modules', 'ink'), { recursive: true });
  try {
    execFileSync('patch', ['-R', '-p1', '-s', '-d', part, '-i', inkPatch], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    rmSync(part, { recursive: true, force: true });
    throw new Error(`node_modules/ink does not carry ${inkPatch} (run npm ci, which applies it): ${String((e as { stdout?: Buffer }).stdout ?? e)}`);
  }
  try {
    renameSync(part, root);
  } catch {
    rmSync(part, { recursive: true, force: true }); // another run made it first
  }
  return dir;
}

/**
 * Bundle `entry` into `outfile`. `ink`: the Ink directory to use instead of node_modules/ink
 * (stock Ink). `shipped`: tools/build.mjs's options (minified); else the same without minifying,
 * so a CPU profile names its functions.
 */
export async function bundle(entry: string, outfile: string, options: { ink?: string; shipped?: boolean } = {}): Promise<string> {
  await build({
    ...shippedOptions,
    minify: options.shipped === true,
    absWorkingDir: repoRoot,
    entryPoints: [entry],
    outfile,
    // Stock Ink's own imports (react, yoga-layout, …) resolve from the repo's node_modules.
    nodePaths: [nodeModules],
    alias: options.ink ? { ink: join(options.ink, 'build', 'index.js') } : {},
  });
  return outfile;
}

/** A fresh directory for this run's bundles, removed when the process exits. */
export function runDir(): string {
  mkdirSync(cacheDir, { recursive: true });
  const dir = mkdtempSync(join(cacheDir, 'tui-run-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
