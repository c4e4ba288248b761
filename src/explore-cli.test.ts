import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exploreFile } from './explore-cli.js';
import type { Io } from './main.js';
import { pmuplay } from './test-main.js';


const dir = mkdtempSync(join(tmpdir(), 'pmuplay-explore-'));

/** Each review concern, and the code the search must find for it under v4. */
const concerns: [string, string[]][] = [
  ['other-mm', ['access/other-mm']],
  ['unmap-stale', ['access/stale']],
  ['unmap-oops', ['oops/null-deref']],
  ['pmselr', ['leak/pmselr']],
  ['aarch32', ['access/aarch32']],
  ['mmap-lock-race', ['access/denied', 'lockdep/mmap-lock']],
];

describe('saves/explore: the review, found rather than typed', () => {
  it('holds a scenario for every concern, and no hand-placed deliver or switch', () => {
    const files = readdirSync('saves/explore').filter((f) => f.endsWith('.pmu')).sort();
    expect(files).toEqual(concerns.map(([name]) => `${name}.pmu`).sort());
    for (const f of files) expect(readFileSync(join('saves/explore', f), 'utf8')).not.toMatch(/^(deliver|switch) /m);
  });

  it.each(concerns)('%s: v4 finds %j, and each trace replays with run', async (name, codes) => {
    const out = join(dir, name);
    const r = await pmuplay('explore', `saves/explore/${name}.pmu`, '--out', out);
    expect(r.err).toBe('');
    expect(r.code).toBe(1);
    for (const code of codes) {
      expect(r.out).toContain(`found ${code} in `);
      const trace = join(out, `${name}.${code.replace('/', '-')}.pmu`);
      const replay = await pmuplay('run', '--quiet', trace);
      expect(replay.out).toContain(`ok: finding ${code}`);
      expect(replay.out).toContain('ok: state hash');
      expect(replay.code).toBe(0);
    }
  });

  it.each(concerns)('%s: hardened, within the same bounds, finds nothing and says what it searched', async (name) => {
    const r = await pmuplay('explore', `saves/explore/${name}.pmu`, '--out', join(dir, `${name}-hardened`), '--policy', 'hardened');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/no finding under hardened: \d+ programs? \(\d+ commands?\), every pending IPI taken at any point/);
    expect(r.out).toMatch(/searched \d+ distinct states \(\d+ generated\), depth \d+ reached: every state within the bounds/);
  });
});

describe('pmuplay explore', () => {
  it('--json: the scenario, each finding with its trace, and the summary, one object a line', async () => {
    const r = await pmuplay('explore', 'saves/explore/other-mm.pmu', '--json', '--out', join(dir, 'json'));
    const objects = r.out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(objects.map((o) => o['type'])).toEqual(['explore', 'found', 'found', 'summary']);
    expect(objects[1]).toMatchObject({ code: 'access/other-mm', steps: 2, choices: ['mmap 100 3', 'deliver 1'] });
    expect(objects[3]).toMatchObject({ end: 'exhausted', found: [{ code: 'access/other-mm', steps: 2 }, { code: 'access/stale', steps: 5 }] });
  });

  it('bad input: the file, line and column, exit 2, nothing searched', async () => {
    const bad = join(dir, 'bad.pmu');
    writeFileSync(bad, 'spawn a\nexplore depth=0\n');
    const r = await pmuplay('explore', bad);
    expect(r).toMatchObject({ code: 2, out: '' });
    expect(r.err).toContain(`${bad}:2:9: explore: depth takes a whole number from 1 to 1000`);
    const ghost = join(dir, 'ghost.pmu');
    writeFileSync(ghost, 'spawn a\nexplore\nprogram 100: mrs 100 pmccntr\nprogram 105: mrs 105 pmccntr\n');
    expect((await pmuplay('explore', ghost)).err).toBe(`${ghost}:4:9: program 105: task 105 is not created by the setup, so its program could never run\n`);
    expect((await pmuplay('explore', '--policy', 'all', ghost)).code).toBe(2);
    expect((await pmuplay('explore')).err).toContain('explore takes one scenario file');
    expect((await pmuplay('run', '--out', 'x', ghost)).err).toContain('--out applies to explore, not to run');
  });

  it('refuses a state bound the heap cannot hold, with the estimate', async () => {
    const big = join(dir, 'big.pmu');
    writeFileSync(big, 'spawn a\nexplore states=10000000\n');
    let err = '';
    const io: Io = { stdout: { write: () => {} }, stderr: { write: (t) => void (err += t) }, stdinIsTTY: false, stdoutIsTTY: false, env: {} };
    const code = await exploreFile(big, { overrides: {}, json: false, out: join(dir, 'big'), heapBytes: 2 ** 30 }, io);
    expect(code).toBe(2);
    expect(err).toMatch(/states=10,000,000 would keep about [0-9.]+ GiB of fingerprints, more than this process's heap \(1.0 GiB\) allows; lower states= \(at most 4,026,531 here\)/);
  });

  it('a long search prints a progress line on stderr; Ctrl-C stops it and the summary says how far it got', async () => {
    let out = '';
    let err = '';
    const io: Io = { stdout: { write: (t) => void (out += t) }, stderr: { write: (t) => void (err += t) }, stdinIsTTY: false, stdoutIsTTY: false, env: {} };
    // A clock that moves 1.5 s a look: a progress line every other slice.
    let t = 0;
    let stop = () => {};
    let slices = 0;
    const large = join(dir, 'large.pmu');
    // Four tasks writing PMSELR, three of them sharing CPU 0: thousands of states, no finding under hardened.
    const writes = (pid: number) => `program ${pid}: msr ${pid} pmselr 1; msr ${pid} pmselr 2; msr ${pid} pmselr 3`;
    writeFileSync(large, ['pmuplay 1 cpus=2 policy=hardened', 'spawn a on 0', 'spawn b on 0', 'spawn c on 0', 'spawn d on 1', 'explore switches=6 depth=30', ...[100, 101, 102, 103].map(writes)].join('\n') + '\n');
    const code = await exploreFile(large, {
      overrides: {}, json: false, out: join(dir, 'progress'),
      now: () => {
        if (++slices === 4) stop();
        return (t += 1500);
      },
      onInterrupt: (s) => {
        stop = s;
        return () => {};
      },
    }, io);
    expect(err).toMatch(/^explore: depth \d+, [\d,]+ distinct states \([\d,]+ generated\), [\d,]+\/s, 0 finding codes so far; Ctrl-C stops\n/);
    expect(out).toMatch(/stopped by Ctrl-C while expanding depth \d+: depths 0-\d+ were searched whole/);
    expect(code).toBe(130);
  });

  it('--workers shares a long search with worker threads and prints what one thread prints, timing aside', async () => {
    const file = join(dir, 'shared.pmu');
    // Past the states explore searches alone before starting its workers.
    const writes = (pid: number) => `program ${pid}: msr ${pid} pmselr 1; msr ${pid} pmselr 2; msr ${pid} pmselr 3`;
    writeFileSync(file, ['pmuplay 1 cpus=2 policy=v4 perf-user-access=1', 'spawn a on 0', 'spawn b on 0', 'spawn c on 1', 'open 100 cycles user', 'explore switches=2 depth=14', 'program 100: mmap 100 3; read 100 3; munmap 100 3', ...[101, 102].map(writes)].join('\n') + '\n');
    const untimed = (out: string) => out.replace(/; [\d.]+ s, [\d,]+ states\/s( on 2 threads)?/, '').replaceAll(dir, 'DIR');
    const one = await pmuplay('explore', file, '--workers', '0', '--out', join(dir, 'one'));
    const two = await pmuplay('explore', file, '--workers', '1', '--out', join(dir, 'two'));
    const generated = Number(/\(([\d,]+) generated\)/.exec(one.out)![1]!.replaceAll(',', ''));
    expect(generated).toBeGreaterThan(2000);
    expect(untimed(two.out).replaceAll('/two/', '/one/')).toBe(untimed(one.out));
    expect(two.out).toMatch(/states\/s on 2 threads\n/);
    expect(one.out).not.toContain('threads');
    expect(two.code).toBe(one.code);
    for (const f of readdirSync(join(dir, 'one'))) expect(readFileSync(join(dir, 'two', f), 'utf8')).toBe(readFileSync(join(dir, 'one', f), 'utf8'));
  }, 60_000);

  it.each([['x'], ['-1'], ['65'], ['1.5']])('--workers %s is a usage error (exit 2)', async (w) => {
    const r = await pmuplay('explore', 'saves/explore/other-mm.pmu', `--workers=${w}`, '--out', join(dir, 'w'));
    expect(r.code).toBe(2);
    expect(r.err).toContain(`--workers: ${w} is not a number of worker threads from 0 to 64`);
  });

  it('--workers with no number says to give one', async () => {
    const r = await pmuplay('explore', 'saves/explore/other-mm.pmu', '--workers=', '--out', join(dir, 'w'));
    expect(r.code).toBe(2);
    expect(r.err).toContain('--workers: give a number of worker threads from 0 to 64');
  });

  it('pmuplay run plays a scenario\'s setup and says what explore would search', async () => {
    const r = await pmuplay('run', 'saves/explore/other-mm.pmu');
    expect(r.code).toBe(0);
    expect(r.out).toContain('explore: the setup ends here');
    expect(r.out).toContain('program 100: 3 commands for pmuplay explore to interleave');
  });
});
