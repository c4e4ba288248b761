import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// The real command line, run from source through tsx.
function pmuplay(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const dir = mkdtempSync(join(tmpdir(), 'pmuplay-cli-'));
const file = (name: string, content: string | Buffer) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};

describe('pmuplay (the shell)', () => {
  it('prints its version and help', () => {
    expect(pmuplay('--version').out.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const help = pmuplay('--help');
    expect(help.code).toBe(0);
    expect(help.out).toContain('pmuplay run FILE...');
  });

  it('runs a script and exits 0 when its expects hold', () => {
    const r = pmuplay('run', '--quiet', 'saves/examples/v4-other-mm.pmu');
    expect(r.code).toBe(0);
    expect(r.out).toContain('access/other-mm: task 101 (victim, mm 2) runs at EL0 with CR|ER on CPU 1');
  });

  it.each([
    ['a missing file', ['run', join(dir, 'nope.pmu')], 'no such file'],
    ['a directory', ['run', dir], 'is a directory'],
    ['a binary file', ['run', file('bin.pmu', Buffer.from([0x73, 0x00, 0x01]))], 'binary data'],
    ['text that is not UTF-8', ['run', file('latin1.pmu', Buffer.from([0x73, 0x61, 0x79, 0x20, 0xe9, 0x0a]))], 'not valid UTF-8'],
    ['an empty file', ['run', file('empty.pmu', '')], 'the file is empty'],
    ['a bad --cpus', ['run', '--cpus', 'many', 'saves/examples/starter.pmu'], '--cpus: cpus takes a whole number from 1 to 64'],
    ['an unknown design', ['run', '--policy', 'v9', 'saves/examples/starter.pmu'], "unknown design 'v9' (known: v4, v5, upstream, x86, hardened)"],
    ['an unknown mode', ['frobnicate'], "unknown mode 'frobnicate'"],
    ['run without files', ['run'], 'run needs at least one .pmu file'],
  ])('exits 2 with a clear message on %s', (_what, args, message) => {
    const r = pmuplay(...args);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
  });

  it('exits 2 on an unknown flag', () => {
    const r = pmuplay('run', '--frobnicate', 'saves/examples/starter.pmu');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/Unknown flag/);
  });

  it('exits 2 on a file with a line that does not parse, naming file, line and column', () => {
    const path = file('broken.pmu', 'spawn a\nopen 100 cycels\n');
    const r = pmuplay('run', path);
    expect(r.code).toBe(2);
    expect(r.out).toContain(`${path}:2:10: open: expected cycles|instructions at column 10, got 'cycels'`);
  });

  it.each([
    ['a missing recording', ['replay', join(dir, 'gone.pmu')], 'no such file'],
    ['a recording that does not parse', ['replay', file('bad-rec.pmu', 'pmuplay 1 seed=1\nspawn a\nmmap 100\n')], ':3:9: mmap: expected an fd'],
    ['two recordings', ['replay', 'a.pmu', 'b.pmu'], 'replay takes one recording'],
    ['a good recording but no terminal', ['replay', 'saves/examples/starter.pmu'], 'replay needs a terminal'],
    ['a recording path in a missing directory', ['--record', join(dir, 'no', 'x.pmu')], `cannot record to ${join(dir, 'no', 'x.pmu')}: the directory ${join(dir, 'no')} does not exist`],
  ])('replay and record: exits 2 with a clear message on %s', (_what, args, message) => {
    const r = pmuplay(...args);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
  });

  it('demo lists the demos; demo NAME --headless prints the narration and the outcomes', () => {
    const list = pmuplay('demo');
    expect(list.code).toBe(0);
    expect(list.out).toMatch(/^ {2}tour +a first look/m);
    const tour = pmuplay('demo', 'tour', '--headless');
    expect(tour.code).toBe(0);
    expect(tour.out).toContain('» Two programs, each with its own address space');
    expect(tour.out).toContain('access/other-mm: task 101 (compiler, mm 2)');
  });

  it('demo --policy runs a demo under the design that fixes it: its leak expects fail', () => {
    const r = pmuplay('demo', 'ipi-grants-others', '--headless', '--policy', 'v5');
    expect(r.code).toBe(1);
    expect(r.out).toContain('FAILED demos/ipi-grants-others.pmu:14: finding access/other-mm: none so far');
  });

  it.each([
    ['an unknown demo', ['demo', 'nope'], "unknown demo 'nope' (known: tour, "],
    ['a demo but no terminal', ['demo', 'tour'], 'a demo needs a terminal'],
  ])('demo: exits 2 with a clear message on %s', (_what, args, message) => {
    const r = pmuplay(...args);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
  });

  it('with no arguments and no terminal, says so and points to pmuplay run', () => {
    const r = pmuplay();
    expect(r.code).toBe(2);
    expect(r.err).toContain('the playground needs a terminal');
    expect(r.err).toContain('pmuplay run FILE.pmu');
  });
});
