import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CommandKind } from './command.js';
import { type Arg, type CommandSpec, type ValueKind, commandSpecs, commandWords, formsOf, helpIndex, helpLines, scenarioWords, specsOf, usage } from './commands-spec.js';
import { formatCommand } from './format.js';
import { parseCommand } from './parse.js';
import { playLines } from './session.js';
import { wordsOf } from './testing.js';
import { createWorld } from './world.js';

/** Every kind of command.ts's Command: the type checker makes this list whole. */
const everyKind: Record<CommandKind, true> = {
  spawn: true, thread: true, fork: true, open: true, 'open-cpu': true, close: true, 'close-cpu': true, mmap: true,
  munmap: true, read: true, reset: true, mrs: true, msr: true, migrate: true, exec32: true, exec64: true, exit: true,
  sleep: true, wake: true, switch: true, tick: true, run: true, ipi: true, deliver: true, policy: true, knob: true,
  fault: true, check: true, explain: true, why: true, say: true, pause: true, 'expect-finding': true, 'expect-no-finding': true,
  'expect-read': true, 'expect-reg': true, checkpoint: true, back: true, help: true, explore: true, program: true,
};

const language = commandSpecs.filter((s) => s.scope === 'language');

describe('the command table', () => {
  it('has a form for every command kind the parser makes, and every kind it names is one', () => {
    const named = new Set(commandSpecs.flatMap((s) => s.kinds));
    expect([...named].sort()).toEqual(Object.keys(everyKind).sort());
  });

  it.each(commandSpecs.map((s) => [usage(s), s] as const))('%s: its example parses, formats back the same, and is this form', (_, spec) => {
    const r = parseCommand(spec.example);
    if (spec.scope === 'playground') {
      expect(r).toMatchObject({ ok: false, error: { column: 1, message: `${spec.word}: only in the playground's command line, not in a script` } });
      return;
    }
    if (!r.ok || !r.command) throw new Error(`${spec.example}: ${r.ok ? 'blank' : r.error.message}`);
    expect(spec.kinds).toContain(r.command.kind);
    expect(formatCommand(r.command)).toBe(spec.example);
    expect(formsOf(wordsOf(spec.example))).toContain(spec);
  });

  it('says for each form what it does, in kernel terms, with its example', () => {
    for (const word of [...commandWords, ...scenarioWords]) {
      const lines = helpLines(word);
      for (const s of specsOf(word)) {
        expect(lines).toContain(`  example: ${s.example}`);
        expect(lines.some((l) => l.startsWith(`${usage(s)} — `))).toBe(true);
        expect(s.kernel.length).toBeGreaterThan(20);
      }
    }
    expect(helpIndex().length).toBe(commandSpecs.length + 1);
  });

  it('every command word starts a line the parser knows (no "unknown command")', () => {
    for (const word of [...commandWords, ...scenarioWords]) {
      const r = parseCommand(word);
      if (!r.ok) expect(r.error.message).not.toMatch(/unknown command/);
    }
  });

  it('every usage is in the README Commands table', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const table = readme.slice(readme.indexOf('## Commands'), readme.indexOf('## Findings'));
    for (const s of commandSpecs) expect(table).toContain('`' + usage(s).replaceAll('|', '\\|') + '`');
  });
});

describe('parse errors name the usage', () => {
  it.each([
    ['mmap 100', 'mmap: expected an fd at column 9, the line ended; usage: mmap PID FD'],
    ['open cpu 1', '; usage: open cpu CPU cycles|instructions [user] [64bit] [cloexec] [by PID]'],
    ['open 100 bogus', "got 'bogus'; usage: open PID cycles|instructions [user] [64bit] [inherit] [cloexec]"],
    ['open', '; usage: open PID cycles|instructions [user] [64bit] [inherit] [cloexec] or open cpu CPU'],
    ['expect read 100', '; usage: expect read PID FD sigill|sigsegv|fallback|value N'],
    ['tick 0', 'tick: expected at least 1 tick; usage: tick [N]'],
    ['help nosuch', "help: no command 'nosuch'; usage: help [CMD]"],
    ['help mmap x', "help: expected the end of the line at column 11, got 'x'; usage: help [CMD]"],
    ['save x.pmu', "save: only in the playground's command line, not in a script"],
    ['quit', "quit: only in the playground's command line, not in a script"],
  ])('%s', (line, message) => {
    const r = parseCommand(line);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toContain(message);
  });
});

describe('help', () => {
  it('is an observing command in scripts: the list, or one command, and nothing changes', () => {
    const world = createWorld();
    const [all, one] = playLines(world, 'help\nhelp mmap').map((l) => l.result);
    expect(all).toMatchObject({ ok: true });
    expect(all!.ok && all!.lines).toEqual(helpIndex());
    expect(one!.ok && one!.lines[0]).toBe("mmap PID FD — map the event's user page in PID's mm");
    expect(one!.ok && one!.lines).toContain('  example: mmap 100 3');
    const [explore, program] = playLines(world, 'help explore\nhelp program').map((l) => l.result);
    expect(explore!.ok && explore!.lines[0]).toMatch(/^explore \[ipi=any\|auto\] .* — a scenario: the setup ends here/);
    expect(program!.ok && program!.lines).toContain('  example: program 100: mmap 100 3; read 100 3; munmap 100 3');
    expect(world.step).toBe(0);
  });
});

/** Values of each kind the parser takes. */
const values: Record<ValueKind, fc.Arbitrary<string>> = {
  pid: fc.integer({ min: 0, max: 999_999 }).map(String),
  fd: fc.integer({ min: 0, max: 65_535 }).map(String),
  'cpu-fd': fc.integer({ min: 0, max: 65_535 }).map(String),
  cpu: fc.integer({ min: 0, max: 1023 }).map(String),
  number: fc.oneof(fc.integer({ min: 1, max: 1000 }).map(String), fc.constantFrom('0x10', '1_000')),
  reg: fc.oneof(fc.constantFrom('pmccntr', 'pmselr'), fc.integer({ min: 0, max: 30 }).map((n) => `pmevcntr${n}`)),
  design: fc.constantFrom('v4', 'v5', 'upstream', 'x86', 'hardened', 'other'),
  topic: fc.constantFrom(...commandWords),
  name: fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/),
  text: fc.stringMatching(/^[A-Za-z0-9 .,#]{0,20}$/).map((t) => `"${t}"`),
  hash: fc.stringMatching(/^[0-9a-f]{16}$/),
  part: fc.tuple(fc.stringMatching(/^[a-z][a-z0-9.]{0,8}$/), fc.stringMatching(/^[0-9a-f]{8}$/)).map(([k, v]) => `${k}=${v}`),
  // explore's KEY=VALUE and a program's words are drawn by their slot's name (boundOf, programLine).
  bound: fc.constant('depth=1'),
  'program-pid': fc.integer({ min: 0, max: 999_999 }).map((n) => `${n}:`),
  command: fc.constant('mrs'),
};

/** A value for explore's KEY=VALUE slot named `key=…`. */
function boundOf(name: string): fc.Arbitrary<string> {
  const key = name.split('=')[0]!;
  if (key === 'ipi') return fc.constantFrom('ipi=any', 'ipi=auto');
  const [lo, hi] = key === 'depth' ? [1, 1000] : key === 'states' ? [1, 10_000_000] : key === 'walks' ? [0, 100_000_000] : key === 'seed' ? [0, 0xffff_ffff] : [0, 100];
  return fc.integer({ min: lo, max: hi }).map((n) => `${key}=${n}`);
}

/** A program line: commands of its own task, each from the table's own examples with the pid changed. */
const programLine: fc.Arbitrary<string> = fc
  .tuple(fc.integer({ min: 0, max: 999_999 }), fc.array(fc.constantFrom('mmap P 3', 'munmap P 3', 'read P 3', 'mrs P pmccntr', 'msr P pmselr 5', 'open P cycles user', 'open cpu 1 cycles by P', 'migrate P 2', 'exit P', 'fork P', 'sleep P'), { minLength: 1, maxLength: 5 }))
  .map(([pid, cmds]) => `program ${pid}: ${cmds.map((c) => c.replaceAll('P', String(pid))).join('; ')}`);

/** A line of one form, drawn from its grammar with values the parser takes. */
function lineOf(spec: CommandSpec): fc.Arbitrary<string> {
  const seq = (args: Arg[]): fc.Arbitrary<string[]> => (args.length === 0 ? fc.constant<string[]>([]) : fc.tuple(...args.map(arg)).map((parts) => parts.flat()));
  const arg = (a: Arg): fc.Arbitrary<string[]> => {
    switch (a.t) {
      case 'word':
        return fc.constant([a.word]);
      case 'value':
        return (a.value === 'bound' ? boundOf(a.name) : values[a.value]).map((v) => [v]);
      case 'alt':
        return fc.oneof(...a.options.map(seq));
      case 'optional':
        return fc.oneof(fc.constant<string[]>([]), seq(a.args));
      case 'flags':
        return fc.shuffledSubarray(a.options).chain((os) => seq(os.flat()));
      case 'repeat':
        return fc.array(seq(a.args), { maxLength: 3 }).map((xs) => xs.flat());
    }
  };
  if (spec.word === 'program') return programLine;
  return seq(spec.args).map((words) => [spec.word, ...words].join(' '));
}

describe('the grammar and the parser agree', () => {
  it('every line a form describes parses to one of its kinds (open cpu: cloexec only with by PID)', () => {
    fc.assert(
      fc.property(fc.oneof(...language.map((spec) => lineOf(spec).map((line) => [spec, line] as const))), ([spec, line]) => {
        const r = parseCommand(line);
        if (spec.kinds.includes('open-cpu') && / cloexec/.test(line) && !/ by /.test(line)) {
          expect(r.ok).toBe(false);
          return;
        }
        if (!r.ok || !r.command) throw new Error(`${line}: ${r.ok ? 'blank' : r.error.message}`);
        expect(spec.kinds).toContain(r.command.kind);
        expect(formsOf(wordsOf(line))).toContain(spec);
      }),
      { numRuns: 3000 },
    );
  });
});
