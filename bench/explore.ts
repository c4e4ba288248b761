/**
 * `npm run bench` (issue 14): `pmuplay explore`'s speed, the working tree only. For each
 * shipped scenario in saves/explore/ under v4: the time to each finding code's shortest
 * counterexample (aim < 2 s) and the whole search's distinct states per second; then the
 * same on a larger scenario (bench/explore-large.pmu, ~10^5 states) where throughput, not
 * start-up, is what is measured (aim >= 100,000 distinct states/s). CPU time of this process
 * (`process.cpuUsage`), 3 rounds each, medians with their spread; the search runs on one core.
 * Last, the large scenario through the shipped CLI on one thread and on two (`--workers`).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareScenario } from '../src/engine/explore-scenario.js';
import { Search } from '../src/engine/explore.js';
import { parseScript, resolveConfig } from '../src/engine/script.js';
import { aimText, spread } from './paired.js';

const rounds = 3;

function cpuNow(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** One whole search of `path`: its CPU time, distinct states, and the CPU time at which each code was first found. */
function searchOnce(path: string): { ms: number; distinct: number; found: Map<string, number> } {
  const parsed = parseScript(readFileSync(path, 'utf8'));
  if (!parsed.ok) throw new Error(`${path}: ${parsed.errors[0]!.message}`);
  const t0 = cpuNow();
  const prep = prepareScenario(parsed.script, resolveConfig(parsed.script.header, {}));
  if (!prep.ok) throw new Error(`${path}: ${prep.errors[0]!.message}`);
  const search = new Search(prep.prepared);
  const found = new Map<string, number>();
  // Small slices, so a code's time is read within a few states of being found.
  while (!search.run(16)) for (const code of search.found.keys()) if (!found.has(code)) found.set(code, cpuNow() - t0);
  for (const code of search.found.keys()) if (!found.has(code)) found.set(code, cpuNow() - t0);
  return { ms: cpuNow() - t0, distinct: search.stats.distinct, found };
}

const ms = (n: number) => `${n.toFixed(1)} ms`;
const perS = (n: number) => `${Math.round(n).toLocaleString('en-US')}/s`;

console.log(`\nexplore: shipped scenarios under v4 (CPU time, ${rounds} rounds each)`);
const dir = 'saves/explore';
for (const name of readdirSync(dir).filter((f) => f.endsWith('.pmu')).sort()) {
  const runs = Array.from({ length: rounds }, () => searchOnce(join(dir, name)));
  const codes = [...runs[0]!.found.keys()];
  const rates = runs.map((r) => (r.distinct / r.ms) * 1000);
  console.log(`  ${name}: ${runs[0]!.distinct} distinct states, whole search ${spread(runs.map((r) => r.ms), ms)}, ${spread(rates, perS)}`);
  for (const code of codes) {
    const times = runs.map((r) => r.found.get(code)!);
    console.log(`    ${code}: shortest counterexample after ${spread(times, ms)}; ${aimText(Math.max(...times), { op: '<=', target: 2000, fmt: ms })}`);
  }
}

console.log(`\nexplore: throughput on bench/explore-large.pmu (CPU time, ${rounds} rounds)`);
const large = Array.from({ length: rounds }, () => searchOnce('bench/explore-large.pmu'));
const rates = large.map((r) => (r.distinct / r.ms) * 1000);
console.log(`  ${large[0]!.distinct.toLocaleString('en-US')} distinct states in ${spread(large.map((r) => r.ms), ms)}: ${spread(rates, perS)}; ${aimText(Math.min(...rates), { op: '>=', target: 100_000, fmt: perS })}`);

// --- Both cores: the same search on one thread and shared with a worker (explore --workers) ---
// The shipped CLI (dist/cli.js, in the process explore starts itself in), the two alternating
// in paired rounds. Wall time is what sharing buys, so the rate is distinct states per wall
// second; the process's CPU time (all threads) says what it costs.
interface ThreadsRound {
  rate: number;
  cpuMs: number;
  wallMs: number;
}

function exploreCli(workers: number): ThreadsRound {
  const r = spawnSync(process.execPath, ['dist/cli.js', 'explore', 'bench/explore-large.pmu', '--json', '--workers', String(workers), '--out', outDir], { encoding: 'utf8' });
  const summary = r.stdout.split('\n').map((l) => (l.startsWith('{') ? JSON.parse(l) : null)).find((o) => o?.type === 'summary');
  if (!summary) throw new Error(`explore --workers ${workers} printed no summary: ${r.stderr.slice(-500)}`);
  return { rate: summary.statesPerSecond, cpuMs: summary.cpuMs, wallMs: summary.wallMs };
}

const outDir = mkdtempSync(join(tmpdir(), 'pmuplay-bench-explore-'));
const threadPairs = 3;
console.log(`\nexplore: bench/explore-large.pmu through dist/cli.js, --workers 0 and --workers 1 alternating (${threadPairs} pairs; wall-clock rate)`);
const one: ThreadsRound[] = [];
const two: ThreadsRound[] = [];
for (let i = 0; i < threadPairs; i++) {
  one.push(exploreCli(0));
  two.push(exploreCli(1));
}
const speedups = one.map((o, i) => two[i]!.rate / o.rate);
console.log(`  one thread:  ${spread(one.map((r) => r.rate), perS)}, CPU ${spread(one.map((r) => r.cpuMs), ms)}`);
console.log(`  two threads: ${spread(two.map((r) => r.rate), perS)}, CPU ${spread(two.map((r) => r.cpuMs), ms)}`);
console.log(`  speed-up (pair by pair): ${spread(speedups, (x) => `${x.toFixed(2)}x`)}; ${aimText(Math.min(...two.map((r) => r.rate)), { op: '>=', target: 100_000, fmt: perS })}`);
rmSync(outDir, { recursive: true, force: true });
