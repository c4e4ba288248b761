import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type RunOptions, type SourceFile, runFiles } from './headless.js';

const quiet: RunOptions = { overrides: {}, json: false, strict: false, quiet: true, color: false };

function run(files: SourceFile[], opts: Partial<RunOptions> = {}): { code: number; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  const code = runFiles(files, { ...quiet, ...opts }, (l) => out.push(l), (l) => err.push(l));
  return { code, out, err };
}

function pmuFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? pmuFiles(join(dir, e.name)) : e.name.endsWith('.pmu') ? [join(dir, e.name)] : [],
  );
}

describe('every file in saves/', () => {
  const files = pmuFiles('saves');
  it('there are files to check', () => {
    expect(files.length).toBeGreaterThanOrEqual(8);
  });
  it.each(files)('%s runs with every expect and checkpoint holding', (path) => {
    const { code, out, err } = run([{ name: path, text: readFileSync(path, 'utf8') }]);
    expect(out.filter((l) => l.includes('FAILED'))).toEqual([]);
    expect(err).toEqual([]);
    expect(code).toBe(0);
  });
});

describe('pmuplay run', () => {
  const ok: SourceFile = { name: 'ok.pmu', text: 'spawn a\nexpect no-finding\n' };

  it('exits 1 when an expect fails, naming the file and line', () => {
    const { code, out } = run([{ name: 'f.pmu', text: 'spawn a\nexpect finding access/stale\n' }]);
    expect(code).toBe(1);
    expect(out).toContain('  FAILED f.pmu:2: finding access/stale: none so far');
  });

  it('exits 2 on a line that does not parse, before running anything; the error goes to stderr', () => {
    const { code, out, err } = run([ok, { name: 'bad.pmu', text: 'spawn a\nmmap 100\n' }]);
    expect(code).toBe(2);
    expect(err).toEqual(['bad.pmu:2:9: mmap: expected an fd at column 9, the line ended; usage: mmap PID FD']);
    expect(out).toEqual([]);
  });

  it('exits 2 on a rejected command, with the file and line, on stderr; the run so far on stdout', () => {
    const { code, out, err } = run([{ name: 'r.pmu', text: 'spawn a\nmigrate 100 9\n' }], { quiet: false });
    expect(code).toBe(2);
    expect(err).toEqual(['r.pmu:2: rejected: migrate: there is no CPU 9 (CPUs are 0..3)']);
    expect(out.some((l) => l.includes('spawn a'))).toBe(true);
    expect(out.some((l) => l.startsWith('-- r.pmu: 1 steps, 0/0 expects held'))).toBe(true);
  });

  it('with --json, errors are objects on stdout too: one stream', () => {
    const parse = run([{ name: 'bad.pmu', text: 'spawn a\nmmap 100\n' }], { json: true });
    expect(parse.err).toEqual([]);
    expect(JSON.parse(parse.out[0]!)).toMatchObject({ type: 'error', file: 'bad.pmu', line: 2, column: 9 });
    const rejected = run([{ name: 'r.pmu', text: 'spawn a\nmigrate 100 9\n' }], { json: true });
    expect(rejected.err).toEqual([]);
    expect(rejected.out.map((l) => (JSON.parse(l) as { type: string }).type)).toContain('error');
  });

  it('exits 2 on an unknown header version', () => {
    const { code, err } = run([{ name: 'h.pmu', text: 'pmuplay 9 seed=1\nspawn a\n' }]);
    expect(code).toBe(2);
    expect(err[0]).toContain("h.pmu:1:9: header: unknown format version '9'");
  });

  it('with --strict, exits 1 when a finding occurs', () => {
    const text = 'spawn a on 0\nspawn b on 1\nopen 100 cycles\nmmap 100 3\n';
    expect(run([{ name: 's.pmu', text }]).code).toBe(0);
    expect(run([{ name: 's.pmu', text }], { strict: true }).code).toBe(1);
  });

  it('prints findings and a summary as JSON lines', () => {
    const text = 'spawn a on 0\nspawn b on 1\nopen 100 cycles\nmmap 100 3\n';
    const { out } = run([{ name: 'j.pmu', text }], { json: true });
    const objects = out.map((l) => JSON.parse(l) as { type: string; code?: string; findings?: object });
    expect(objects.filter((o) => o.type === 'finding').map((o) => o.code)).toEqual(['access/other-mm']);
    expect(objects.at(-1)).toMatchObject({ type: 'summary', findings: { 'access/other-mm': 1 }, failed: 0 });
  });

  it('lets flags override the header', () => {
    const text = 'pmuplay 1 cpus=2\nspawn a on 3\n';
    expect(run([{ name: 'c.pmu', text }]).code).toBe(2);
    expect(run([{ name: 'c.pmu', text }], { overrides: { cpus: 4 } }).code).toBe(0);
  });

  it('over several files, ends with a total: files, steps, findings, failed expects (and files stopped)', () => {
    const files: SourceFile[] = [
      { name: 'a.pmu', text: 'spawn a on 0\nspawn b on 1\nopen 100 cycles\nmmap 100 3\nexpect finding access/stale\n' },
      ok,
      { name: 'r.pmu', text: 'spawn a\nmigrate 100 9\n' },
    ];
    const { code, out } = run(files);
    expect(code).toBe(2);
    expect(out.at(-1)).toBe('== total: 3 files, 6 steps, 1 finding, 1 of 2 expects failed, 1 stopped by a rejected command');
    const json = run(files, { json: true });
    expect(JSON.parse(json.out.at(-1)!)).toEqual({ type: 'total', files: 3, steps: 6, expects: 2, failed: 1, stopped: 1, findings: { 'access/other-mm': 1 } });
    expect(run([ok]).out.some((l) => l.startsWith('== total'))).toBe(false);
  });

  it('a summary that lists only the latest findings says how many more came before them', () => {
    const text = readFileSync('saves/demos/pmselr-channel.pmu', 'utf8');
    const { out } = run([{ name: 'p.pmu', text }]);
    const at = out.indexOf('-- 16 findings:');
    expect(out.slice(at + 1, at + 2)).toEqual(['  leak/pmselr: 16']);
    expect(out.slice(at + 2).filter((l) => l.startsWith('  step '))).toHaveLength(5);
    expect(out.at(-1)).toBe('  … and 11 more before these');
    const few = run([{ name: 'f.pmu', text: 'spawn a on 0\nspawn b on 1\nopen 100 cycles\nmmap 100 3\n' }]);
    expect(few.out.some((l) => l.includes('more before these'))).toBe(false);
  });

  it('with --json --quiet, narration is still there: a say object per caption', () => {
    const { out } = run([{ name: 's.pmu', text: 'say "hello"\nspawn a\nsay "bye"\n' }], { json: true });
    const says = out.map((l) => JSON.parse(l) as { type: string }).filter((o) => o.type === 'say');
    expect(says).toEqual([
      { type: 'say', file: 's.pmu', line: 1, step: 0, text: 'hello' },
      { type: 'say', file: 's.pmu', line: 3, step: 1, text: 'bye' },
    ]);
  });

  it('reports a checkpoint that does not match', () => {
    const { code, out } = run([{ name: 'k.pmu', text: 'spawn a\ncheckpoint 0000000000000000\n' }]);
    expect(code).toBe(1);
    expect(out.some((l) => l.startsWith('  FAILED k.pmu:2: state hash '))).toBe(true);
  });
});

describe('pmuplay run --policy all', () => {
  const text = readFileSync('saves/examples/v4-unmap-stale.pmu', 'utf8');

  it('prints one table: finding codes by design, with the first step; a failed expect under any design exits 1', () => {
    const { code, out } = run([{ name: 'stale.pmu', text }], { compare: true });
    expect(code).toBe(1);
    expect(out[0]).toBe('== stale.pmu under every design (seed 1)');
    expect(out[1]).toMatch(/^\s+v4\s+v5\s+upstream\s+x86\s+hardened$/);
    expect(out[2]).toMatch(/^access\/stale\s+2 \(step 5\)\s+-\s+-\s+-\s+-$/);
    expect(out[3]).toMatch(/^expects failed\s+0\/5\s+3\/5 \(line 11\)/);
  });

  it('gives the same as data with --json', () => {
    const { out } = run([{ name: 'stale.pmu', text }], { compare: true, json: true });
    const data = JSON.parse(out[0]!) as { type: string; designs: Record<string, { findings: Record<string, unknown>; rejected: unknown }> };
    expect(data.type).toBe('compare');
    expect(Object.keys(data.designs)).toEqual(['v4', 'v5', 'upstream', 'x86', 'hardened']);
    expect(data.designs['v4']!.findings).toEqual({ 'access/stale': { count: 2, step: 5, line: 10 } });
    expect(data.designs['hardened']!.findings).toEqual({});
  });

  it('exits 0 when every expect holds under every design; --strict exits 1 on a finding under any', () => {
    const finding = { name: 'f.pmu', text: 'spawn a on 0\nspawn b on 1\nopen 100 cycles user\nmmap 100 3\n' };
    expect(run([finding], { compare: true }).code).toBe(0);
    expect(run([finding], { compare: true, strict: true }).code).toBe(1);
    const clean = { name: 'c.pmu', text: 'spawn a\nopen 100 cycles user\nexpect no-finding\n' };
    expect(run([clean], { compare: true, strict: true }).code).toBe(0);
  });

  it('over several files, ends with the totals per design (a table, or one JSON object)', () => {
    const files = [
      { name: 'stale.pmu', text },
      { name: 'x.pmu', text: 'spawn a on 0\nopen 100 instructions user 64bit\nmmap 100 3\n' },
    ];
    const { code, out } = run(files, { compare: true });
    expect(code).toBe(2);
    const at = out.indexOf('== total: 2 files under every design');
    expect(at).toBeGreaterThan(0);
    expect(out.slice(at + 1)).toEqual([
      '                v4   v5   upstream  x86  hardened',
      'steps           9    9    8         9    8',
      'findings        2    0    0         0    0',
      'expects failed  0/5  3/5  3/5       4/5  4/5',
      'files stopped   0    0    1         0    1',
    ]);
    const json = run(files, { compare: true, json: true });
    expect(JSON.parse(json.out.at(-1)!)).toEqual({
      type: 'total',
      files: 2,
      designs: {
        v4: { steps: 9, findings: 2, expects: 5, failed: 0, stopped: 0 },
        v5: { steps: 9, findings: 0, expects: 5, failed: 3, stopped: 0 },
        upstream: { steps: 8, findings: 0, expects: 5, failed: 3, stopped: 1 },
        x86: { steps: 9, findings: 0, expects: 5, failed: 4, stopped: 0 },
        hardened: { steps: 8, findings: 0, expects: 5, failed: 4, stopped: 1 },
      },
    });
    expect(run([{ name: 'stale.pmu', text }], { compare: true }).out.some((l) => l.startsWith('== total'))).toBe(false);
  });

  it('names a design whose world stopped the script', () => {
    const { code, out } = run([{ name: 'x.pmu', text: 'spawn a on 0\nopen 100 instructions user 64bit\nmmap 100 3\n' }], { compare: true });
    expect(code).toBe(2);
    expect(out).toContain('  upstream stopped at line 3: mmap: task 100 has no perf event on fd 3');
  });
});
