import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Config } from './engine/world.js';
import { type Prepared, prepareScenario } from './engine/explore-scenario.js';
import { Search } from './engine/explore.js';
import { formatCommand } from './engine/format.js';
import { parseScript, resolveConfig } from './engine/script.js';
import { runInParallel } from './explore-parallel.js';

function prepare(path: string, overrides: Partial<Config> = {}, states?: number): Prepared {
  const parsed = parseScript(readFileSync(path, 'utf8'));
  if (!parsed.ok) throw new Error(parsed.errors[0]!.message);
  const r = prepareScenario(parsed.script, resolveConfig(parsed.script.header, overrides));
  if (!r.ok) throw new Error(r.errors[0]!.message);
  if (states !== undefined) r.prepared.scenario.bounds.states = states;
  return r.prepared;
}

/** Everything a search's user sees: the stats, each finding's trace and text, and where programs stalled. */
function outcome(s: Search) {
  return {
    stats: s.stats,
    found: [...s.found.values()].map((c) => ({ code: c.code, choices: c.choices.map(formatCommand), text: c.finding.text })),
    unfinished: s.unfinished().map((u) => ({ pid: u.pid, position: u.position, why: u.why })),
  };
}

function inOneThread(p: Prepared) {
  const s = new Search(p);
  while (!s.run(1000));
  return outcome(s);
}

const scenarios = readdirSync('saves/explore').filter((f) => f.endsWith('.pmu')).map((f) => `saves/explore/${f}`);

describe('explore on worker threads', () => {
  // Small chunks and spreading from the first layers of 4, so that states move between the
  // threads and results from both interleave even in the small shipped scenarios.
  const small = { chunk: 4, spreadFrom: 4 };

  it.each(scenarios.flatMap((f) => (['v4', 'hardened'] as const).map((design) => [f, design] as const)))(
    'finds what one thread finds, with the same traces and counts: %s under %s',
    async (file, design) => {
      const p = prepare(file, { design });
      const expected = inOneThread(p);
      const s = new Search(prepare(file, { design }));
      const report = await runInParallel(s, { workers: 1, ...small });
      expect(outcome(s)).toEqual(expected);
      expect(report.expanded.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
      if (expected.stats.distinct > 40) expect(report.expanded[1]).toBeGreaterThan(0);
    },
    60_000,
  );

  it('stops at the state bound where one thread stops, with two workers, and both workers and this thread expand', async () => {
    const p = () => prepare('bench/explore-large.pmu', {}, 3000);
    const expected = inOneThread(p());
    expect(expected.stats.end).toBe('states');
    const s = new Search(p());
    const report = await runInParallel(s, { workers: 2, ...small });
    expect(outcome(s)).toEqual(expected);
    expect(report.expanded.every((k) => k > 100)).toBe(true);
    expect(report.moved).toBeGreaterThan(0);
    // While it waits for the workers, this thread works ahead some chunks at most (16 of 4 here).
    expect(report.aheadMax).toBeGreaterThan(0);
    expect(report.aheadMax).toBeLessThanOrEqual(64);
  }, 120_000);

  it('takes over a search one thread began, mid-layer', async () => {
    const p = () => prepare('saves/explore/pmselr.pmu');
    const expected = inOneThread(p());
    const s = new Search(p());
    s.run(50); // part of a layer done in this thread
    await runInParallel(s, { workers: 1, ...small });
    expect(outcome(s)).toEqual(expected);
  }, 60_000);

  it('stops when told between chunks (Ctrl-C), soon after', async () => {
    const s = new Search(prepare('bench/explore-large.pmu', {}, 3000));
    let slices = 0;
    await runInParallel(s, {
      workers: 1,
      ...small,
      onSlice: () => {
        if (++slices === 3) s.stop();
      },
    });
    expect(s.stats.end).toBe('stopped');
    expect(s.stats.distinct).toBeLessThan(3000);
    // Told at the third slice, it took no more than a chunk more.
    expect(slices).toBe(3);
  }, 60_000);
});
