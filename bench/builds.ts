/**
 * The two builds the bench compares, made the same way, and what the bench caches between runs.
 *
 * The baseline is a git ref (BASELINE_REF, default c75e571, where the engine-core refactor
 * started): its `src/` is extracted with `git archive` into a directory under the system temp
 * directory (once per commit), an adapter for that commit is copied in and type-checked there,
 * and the adapter is bundled with esbuild. The candidate is the working tree's `src/` through
 * bench/adapters/current.ts, bundled with the same options. Both bundles carry their own copy of
 * XState, so neither build's inline caches see the other's objects. A third bundle of the
 * candidate leaves XState external, so a CPU profile can tell XState's frames by their file names.
 */
import { type BuildOptions, build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { deserialize, serialize } from 'node:v8';
import type { EngineAdapter } from './adapters/types.js';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const adaptersDir = join(repoRoot, 'bench', 'adapters');
/** Extracted baseline trees, workloads and recordings, kept between runs. */
export const cacheDir = join(tmpdir(), 'pmuplay-bench');
const nodeModules = realpathSync(join(repoRoot, 'node_modules'));
const defaultBaselineRef = 'c75e571';

/** tools/build-options.mjs (untyped JavaScript): how pmuplay is bundled, and how dist/cli.js is. */
const buildOptionsFile = '../tools/build-options.mjs';
export const { nodeBundle, shippedOptions } = (await import(buildOptionsFile)) as { nodeBundle: BuildOptions; shippedOptions: BuildOptions };

export interface Build {
  /** What was built, for the report. */
  description: string;
  /** A hash of the bundle: a cache key that changes whenever the code does. */
  key: string;
  bundle: string;
  adapter: EngineAdapter;
}

export interface Builds {
  baseline: Build;
  candidate: Build;
  /** The candidate with XState external, for the CPU profile. */
  candidateXstateExternal: Build;
  /** The bundled worker that runs a command under a time limit (bench/run-worker.ts). */
  runWorker: string;
  /** The git tree of the baseline's src/: what the workload depends on, so its cache key. */
  baselineSrcTree: string;
}

function git(...args: string[]): string {
  return execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

function hashOf(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** A symlink to the repository's node_modules, so bundles and tsc resolve packages from `dir`. */
function linkNodeModules(dir: string): void {
  const link = join(dir, 'node_modules');
  if (!existsSync(link)) symlinkSync(nodeModules, link, 'dir');
}

/**
 * The adapter for the baseline commit: bench/adapters/<a prefix of its sha>.ts in the working
 * tree (for commits older than this bench), else the commit's own bench/adapters/current.ts.
 */
function baselineAdapter(sha: string): { text: string; from: string } {
  for (const file of readdirSync(adaptersDir)) {
    const name = basename(file, '.ts');
    if (file.endsWith('.ts') && /^[0-9a-f]{7,40}$/.test(name) && sha.startsWith(name)) {
      return { text: readFileSync(join(adaptersDir, file), 'utf8'), from: `bench/adapters/${file}` };
    }
  }
  try {
    return { text: git('show', `${sha}:bench/adapters/current.ts`), from: `bench/adapters/current.ts of ${sha.slice(0, 7)}` };
  } catch {
    throw new Error(`no bench adapter for ${sha.slice(0, 7)}: write bench/adapters/${sha.slice(0, 7)}.ts against that commit's API (see bench/adapters/types.ts)`);
  }
}

/** The baseline commit's src/ (and tsconfig.json), extracted once per commit. */
function extractTree(sha: string): string {
  const tree = join(cacheDir, `tree-${sha}`);
  if (existsSync(tree)) return tree;
  const part = mkdtempSync(join(cacheDir, `tree-${sha}.part-`));
  execFileSync('sh', ['-c', 'git archive "$1" src tsconfig.json | tar -x -C "$2"', 'sh', sha, part], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    renameSync(part, tree);
  } catch {
    rmSync(part, { recursive: true, force: true }); // another run extracted it first
  }
  return tree;
}

/**
 * Type-check the baseline adapter against the baseline's own src/ (in the working tree it is
 * `@ts-nocheck`: the working tree's src/ is not what it was written for). Once per adapter text.
 */
function typecheck(tree: string, adapterFile: string): void {
  const stamp = join(tree, `typechecked-${hashOf(readFileSync(adapterFile, 'utf8') + readFileSync(join(tree, 'bench', 'adapters', 'types.ts'), 'utf8'))}`);
  if (existsSync(stamp)) return;
  const config = join(tree, 'tsconfig.bench.json');
  writeFileSync(config, JSON.stringify({ extends: './tsconfig.json', compilerOptions: { noEmit: true }, include: [relative(tree, adapterFile)] }));
  try {
    execFileSync(process.execPath, [join(nodeModules, 'typescript', 'bin', 'tsc'), '-p', config], { cwd: tree, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const out = (e as { stdout?: string }).stdout ?? String(e);
    throw new Error(`the baseline adapter does not type-check against the baseline's src/ (${tree}):\n${out}`);
  }
  writeFileSync(stamp, '');
}

/** `root` is where the bundle's path comments are relative to: the same text from any cwd. */
async function bundle(root: string, entry: string, outfile: string, options: { xstateExternal?: boolean } = {}): Promise<string> {
  await build({
    absWorkingDir: root,
    entryPoints: [entry],
    outfile,
    // As in the shipped build (tools/build-options.mjs): production code paths, not minified.
    ...nodeBundle,
    nodePaths: [nodeModules],
    external: options.xstateExternal ? ['xstate'] : [],
    logLevel: 'warning',
  });
  return outfile;
}

async function load(bundleFile: string, description: string): Promise<Build> {
  const mod = (await import(pathToFileURL(bundleFile).href)) as { adapter?: EngineAdapter };
  if (!mod.adapter) throw new Error(`${bundleFile} exports no adapter`);
  return { description, key: hashOf(readFileSync(bundleFile, 'utf8')), bundle: bundleFile, adapter: mod.adapter };
}

function candidateState(): string {
  const head = git('rev-parse', '--short', 'HEAD');
  const dirty = git('status', '--porcelain', '--', 'src', 'bench/adapters') !== '';
  return `the working tree at ${head}${dirty ? ' with uncommitted changes in src/ or bench/adapters/' : ''}`;
}

/** Build and load both sides. The bundles live in a directory removed when the process exits. */
export async function loadBuilds(): Promise<Builds> {
  mkdirSync(cacheDir, { recursive: true });
  const ref = process.env['BASELINE_REF'] ?? defaultBaselineRef;
  let sha: string;
  try {
    sha = git('rev-parse', '--verify', `${ref}^{commit}`);
  } catch {
    throw new Error(`BASELINE_REF=${ref} is not a commit of this repository`);
  }
  const adapter = baselineAdapter(sha);
  const tree = extractTree(sha);
  linkNodeModules(tree);
  mkdirSync(join(tree, 'bench', 'adapters'), { recursive: true });
  writeFileSync(join(tree, 'bench', 'adapters', 'types.ts'), readFileSync(join(adaptersDir, 'types.ts')));
  const adapterFile = join(tree, 'bench', 'adapters', 'baseline.ts');
  // Checked for real here, against the commit it was written for.
  writeFileSync(adapterFile, adapter.text.replace(/^\/\/ @ts-nocheck.*$/m, '//'));
  typecheck(tree, adapterFile);

  const run = mkdtempSync(join(cacheDir, 'run-'));
  process.on('exit', () => rmSync(run, { recursive: true, force: true }));
  process.once('SIGINT', () => process.exit(130)); // so the line above runs on Ctrl-C too
  linkNodeModules(run); // the XState-external bundle imports 'xstate' from here

  const [baselineJs, candidateJs, externalJs, runWorker] = await Promise.all([
    bundle(tree, adapterFile, join(run, 'baseline.mjs')),
    bundle(repoRoot, join(adaptersDir, 'current.ts'), join(run, 'candidate.mjs')),
    bundle(repoRoot, join(adaptersDir, 'current.ts'), join(run, 'candidate-xstate-external.mjs'), { xstateExternal: true }),
    bundle(repoRoot, join(repoRoot, 'bench', 'run-worker.ts'), join(run, 'run-worker.mjs')),
  ]);
  const refName = process.env['BASELINE_REF'] === undefined ? `${sha.slice(0, 7)} (the default; BASELINE_REF overrides)` : `${ref} = ${sha.slice(0, 7)} (BASELINE_REF)`;
  return {
    baseline: await load(baselineJs, `${refName} through ${adapter.from}`),
    candidate: await load(candidateJs, `${candidateState()} through bench/adapters/current.ts`),
    candidateXstateExternal: await load(externalJs, 'the candidate with XState external'),
    runWorker,
    baselineSrcTree: git('rev-parse', `${sha}:src`),
  };
}

/**
 * A value kept in the cache directory under `name` (v8-serialized, so bigints survive), made by
 * `make` when it is missing. Written through a temporary file renamed into place.
 */
export function cached<T>(name: string, make: () => T): { value: T; hit: boolean; path: string } {
  const path = join(cacheDir, name);
  if (existsSync(path)) return { value: deserialize(readFileSync(path)) as T, hit: true, path };
  const value = make();
  const part = `${path}.part-${process.pid}`;
  writeFileSync(part, serialize(value));
  renameSync(part, path);
  return { value, hit: false, path };
}
