import { describe, expect, it } from 'vitest';
import { type Prepared, prepareScenario } from './explore-scenario.js';
import { Search } from './explore.js';
import { formatCommand } from './format.js';
import { parseScript, resolveConfig } from './script.js';
import { play } from './session.js';

function prepare(text: string): Prepared {
  const parsed = parseScript(text);
  if (!parsed.ok) throw new Error(parsed.errors[0]!.message);
  const r = prepareScenario(parsed.script, resolveConfig(parsed.script.header, {}));
  if (!r.ok) throw new Error(r.errors[0]!.message);
  return r.prepared;
}

function errorsOf(text: string) {
  const parsed = parseScript(text);
  if (!parsed.ok) return parsed.errors;
  const r = prepareScenario(parsed.script, resolveConfig(parsed.script.header, {}));
  return r.ok ? [] : r.errors;
}

function search(text: string): Search {
  const s = new Search(prepare(text));
  while (!s.run(100));
  return s;
}

const otherMm = `pmuplay 1 cpus=3 policy=v4 perf-user-access=1
spawn app on 0
spawn other on 1
open 100 cycles user
explore depth=8
program 100: mmap 100 3; munmap 100 3
program 101: mrs 101 pmccntr
`;

describe('the scenario lines', () => {
  it.each([
    ['program 100: mmap 100 3; read 100', 34, 'read: expected an fd at column 34, the line ended; usage: read PID FD'],
    ['program 100: mmap 100 3; mrs 101 pmccntr', 26, "program 100: 'mrs 101 pmccntr' is task 101's; a program holds its own task's commands (task 100)"],
    ['program 100: mmap 100 3;; read 100 3', 25, 'program: expected a command at column 25'],
    ['program 100: tick 3', 14, "program: 'tick' is not something a task does itself"],
    ['program x: mmap 100 3', 9, "program: expected a pid and a colon (100:) at column 9, got 'x:'"],
    ['explore depth=8 depth=9', 17, 'explore: depth given twice at column 17'],
    ['explore ipi=sometimes', 9, "explore: ipi takes any|auto at column 9, got 'sometimes'"],
  ])('%s: an error at its column', (line, column, message) => {
    const r = parseScript(`spawn a\n${line}\n`);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors[0]).toMatchObject({ line: 2, column, message: expect.stringContaining(message) });
  });

  it('read back as written: a program keeps its commands, # ends the line, and format gives the canonical line', () => {
    const r = parseScript('program 100:  mmap 100 3 ;read 100 3 # then nothing\nexplore switches=1 ipi=auto\n');
    if (!r.ok) throw new Error(r.errors[0]!.message);
    expect(r.script.lines.map((l) => formatCommand(l.command))).toEqual(['program 100: mmap 100 3; read 100 3', 'explore ipi=auto switches=1']);
  });
});

describe('a scenario', () => {
  it('is a setup, one explore line, then programs; each mistake names its line and column', () => {
    expect(errorsOf('spawn a\nprogram 100: mrs 100 pmccntr\n')).toEqual([{ line: 2, column: 1, message: expect.stringContaining('program: before the explore line') }]);
    expect(errorsOf('spawn a\n')).toEqual([{ line: 1, column: 1, message: expect.stringContaining('no explore line') }]);
    expect(errorsOf('spawn a\nexplore\nexplore depth=2\n')[0]).toMatchObject({ line: 3, message: expect.stringContaining('a second explore line (the first is line 2)') });
    expect(errorsOf('spawn a\nexplore\ntick\n')[0]).toMatchObject({ line: 3, message: expect.stringContaining('after the explore line only program lines') });
    expect(errorsOf('spawn a\nexplore\nprogram 100: mrs 100 pmccntr\nprogram 100: read 100 3\n')[0]).toMatchObject({ line: 4, column: 9, message: expect.stringContaining('a second program for task 100') });
  });

  it('refuses, before any search, a program for a task the setup does not create', () => {
    expect(errorsOf('spawn a\nexplore\nprogram 101: mrs 101 pmccntr\n')).toEqual([
      { line: 3, column: 9, message: 'program 101: task 101 is not created by the setup, so its program could never run' },
    ]);
  });

  it('refuses a setup the world rejects, at its line', () => {
    expect(errorsOf('spawn a\nmmap 100 3\nexplore\n')).toEqual([{ line: 2, column: 1, message: expect.stringContaining('rejected: mmap:') }]);
  });

  it('starts the search with IPIs held (ipi=any) or taken at once (ipi=auto), and the trace says so', () => {
    expect(prepare(otherMm).scenario.start.map(formatCommand).at(-1)).toBe('ipi manual');
    expect(prepare(otherMm.replace('explore depth=8', 'explore ipi=auto')).scenario.start.map(formatCommand).at(-1)).toBe('ipi auto');
  });
});

describe('the search', () => {
  it('finds a shortest trace per code, and the trace replays to the same finding', () => {
    const s = search(otherMm);
    const cx = s.found.get('access/other-mm')!;
    expect(cx.choices.map(formatCommand)).toEqual(['mmap 100 3', 'deliver 1']);
    const text = [...prepare(otherMm).scenario.start, ...cx.choices].map(formatCommand).join('\n');
    const { world } = play(text, { cpus: 3, perfUserAccess: 1 });
    expect(world.findingCounts.get('access/other-mm')).toBe(1);
  });

  it('is deterministic: the same scenario and bounds give the same traces and counts', () => {
    const a = search(otherMm);
    const b = search(otherMm);
    expect(b.stats).toEqual(a.stats);
    expect([...b.found.values()].map((c) => c.choices.map(formatCommand))).toEqual([...a.found.values()].map((c) => c.choices.map(formatCommand)));
  });

  it('meets a state again in another order and does not expand it twice', () => {
    // Two programs whose commands commute: a;b and b;a reach one state.
    const s = search(`pmuplay 1 cpus=2 policy=hardened perf-user-access=1
spawn a on 0
spawn b on 1
explore
program 100: msr 100 pmselr 1; msr 100 pmselr 2
program 101: msr 101 pmselr 3; msr 101 pmselr 4
`);
    // a grid of 3 x 3 positions, each reached once
    expect(s.stats.distinct).toBe(9);
    expect(s.stats.generated).toBe(12);
    expect(s.stats.end).toBe('exhausted');
  });

  it('says when the depth bound, not the scenario, ended it', () => {
    expect(search(otherMm.replace('depth=8', 'depth=2')).stats.end).toBe('depth');
    expect(search(otherMm).stats.end).toBe('exhausted');
  });

  it('stops at the state bound, and when told to', () => {
    expect(search(otherMm.replace('depth=8', 'states=5')).stats).toMatchObject({ end: 'states', distinct: 5 });
    const s = new Search(prepare(otherMm));
    s.run(1);
    s.stop();
    expect(s.run(100)).toBe(true);
    expect(s.stats.end).toBe('stopped');
  });

  it('names a program that never finished and the rejection that held it', () => {
    const s = search(`pmuplay 1 cpus=2 policy=v4
spawn a on 0
explore
program 100: munmap 100 3
`);
    expect(s.unfinished()).toEqual([{ pid: 100, position: 0, command: { kind: 'munmap', pid: 100, fd: 3 }, why: expect.stringContaining('munmap:') }]);
  });

  it('offers switches only within the bound', () => {
    const text = `pmuplay 1 cpus=1 policy=hardened
spawn a on 0
spawn b on 0
explore switches=SW
`;
    expect(search(text.replace('SW', '0')).stats.distinct).toBe(1);
    expect(search(text.replace('SW', '2')).stats.distinct).toBe(3);
  });
});

it('reports a finding the setup itself made, in no steps', () => {
  const s = search(otherMm.replace('open 100 cycles user', 'open 100 cycles user\nmmap 100 3'));
  expect(s.found.get('access/other-mm')).toMatchObject({ choices: [] });
});

describe('random walks (walks=N)', () => {
  const walks = otherMm.replace('explore depth=8', 'explore depth=8 walks=50 seed=3');
  it('find the concern, the same way for the same seed', () => {
    const a = search(walks);
    const b = search(walks);
    expect(a.stats).toMatchObject({ end: 'walked', walks: 50 });
    expect(a.found.get('access/other-mm')!.choices.map(formatCommand)).toEqual(['mmap 100 3', 'deliver 1']);
    expect(b.stats).toEqual(a.stats);
    expect([...b.found.values()].map((c) => c.choices.map(formatCommand))).toEqual([...a.found.values()].map((c) => c.choices.map(formatCommand)));
  });

  it('stop at the state bound', () => {
    expect(search(walks.replace('seed=3', 'seed=3 states=4')).stats).toMatchObject({ end: 'states', distinct: 4 });
  });
});
