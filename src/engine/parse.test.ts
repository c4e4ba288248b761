import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Command, faultNames, findingCodes } from './command.js';
import { commandWords, formsOf } from './commands-spec.js';
import { wordsOf } from './testing.js';
import { formatCommand } from './format.js';
import { ticksPerCommandMax } from './limits.js';
import { parseCommand } from './parse.js';
import { parseScript } from './script.js';

const fixedSpellings = [
  'spawn app', 'spawn app aarch32', 'spawn app on 2', 'spawn app aarch32 on 3', 'thread 100', 'thread 100 on 1',
  'open 100 cycles', 'open 100 instructions user 64bit', 'open 100 cycles user 64bit inherit cloexec', 'open 100 cycles cloexec',
  'open cpu 1 cycles', 'open cpu 1 cycles by 100', 'open cpu 1 cycles user cloexec by 100', 'fork 100', 'fork 100 on 2', 'close 100 3', 'close cpu 3',
  'mmap 100 3', 'munmap 100 3', 'read 100 3', 'mrs 100 pmccntr', 'mrs 100 pmevcntr5', 'mrs 100 pmselr',
  'msr 100 pmselr 31', 'msr 100 pmccntr 18446744073709551615', 'msr 100 pmevcntr5 7', 'migrate 100 2', 'exec32 100', 'exec64 100', 'exit 100', 'sleep 100', 'wake 100',
  'switch 1 100', 'tick', 'tick 10', 'run 4096', 'ipi manual', 'ipi auto', 'deliver 1', 'policy v4',
  'sysctl perf_user_access 1', 'rdpmc 2', 'fault mmap-lock-skip on', 'fault cpumask-maintained off', 'check', 'explain', 'explain 3', 'why 2',
  'say "hello \\"world\\""', 'pause', 'expect finding access/other-mm', 'expect no-finding',
  'expect no-finding leak/pmselr', 'expect read 100 3 sigill', 'expect read 100 3 sigsegv', 'expect read 100 3 fallback',
  'expect read 100 3 value 42', 'expect reg 0 pmuserenr 12', 'expect reg 1 pmselr 0', 'checkpoint 0123456789abcdef', 'checkpoint 0123456789abcdef world=0011aaff cpu0.counters=12345678', 'back', 'back 3', 'reset 100 3', 'help', 'help mmap',
];

describe('parseCommand', () => {
  it.each(fixedSpellings)('parses %s and formats it back the same', (line) => {
    const r = parseCommand(line);
    expect(r.ok).toBe(true);
    if (!r.ok || !r.command) throw new Error('no command');
    expect(formatCommand(r.command)).toBe(line);
  });

  it.each([
    ['open 100 cycles cloexec inherit 64bit user', 'open 100 cycles user 64bit inherit cloexec'],
    ['open cpu 2 instructions by 101 cloexec user', 'open cpu 2 instructions user cloexec by 101'],
  ])('takes the words after the event in any order: %s', (line, canonical) => {
    const r = parseCommand(line);
    if (!r.ok || !r.command) throw new Error(`${line} does not parse`);
    expect(formatCommand(r.command)).toBe(canonical);
  });

  it('ignores blank lines and comments', () => {
    expect(parseCommand('')).toEqual({ ok: true, command: null });
    expect(parseCommand('   # just a note')).toEqual({ ok: true, command: null });
    expect(parseCommand('tick 3 # three ticks')).toEqual({ ok: true, command: { kind: 'tick', n: 3 } });
  });

  it('accepts hex and underscores in numbers', () => {
    expect(parseCommand('msr 100 pmselr 0x1f')).toEqual({ ok: true, command: { kind: 'msr', pid: 100, reg: { kind: 'pmselr' }, value: 31n } });
    expect(parseCommand('msr 100 pmevcntr2 0xffffffff')).toEqual({ ok: true, command: { kind: 'msr', pid: 100, reg: { kind: 'pmevcntr', n: 2 }, value: 0xffff_ffffn } });
    expect(parseCommand('run 2_147_483_640')).toEqual({ ok: true, command: { kind: 'run', cycles: 2147483640n } });
  });

  it.each([
    ['mmap 100', 9, "mmap: expected an fd"],
    ['mmap x 3', 6, "mmap: expected a pid (a whole number up to 999999) at column 6, got 'x'"],
    ['open 100 bogus', 10, 'open: expected cycles|instructions at column 10'],
    ['open 100 cycles user user', 22, "open: expected the end of the line or 64bit|inherit|cloexec at column 22, got 'user'"],
    ['open cpu 0 cycles cloexec', 19, "open: expected by PID with cloexec (only a task's fd is closed at exec) at column 19, got 'cloexec'"],
    ['open cpu 0 cycles by 100 by 101', 26, "open: expected the end of the line or user|64bit|cloexec at column 26, got 'by'"],
    ['fork 100 on', 12, 'fork: expected a CPU at column 12, the line ended'],
    ['mrs 100 pmevcntr40', 9, 'mrs: expected a register'],
    ['msr 100 pmevcntr40 1', 9, 'msr: expected a register (pmccntr|pmevcntrN|pmselr'],
    ['msr 100 21', 9, "msr: expected a register (pmccntr|pmevcntrN|pmselr, N below 31) at column 9, got '21'"],
    ['msr 100 pmselr 4294967296', 16, 'msr: expected a value (a whole number up to 4294967295)'],
    ['msr 100 pmccntr 18446744073709551616', 17, 'msr: expected a value (a whole number up to 18446744073709551615)'],
    ['msr 100 pmccntr', 16, 'msr: expected a value at column 16, the line ended'],
    ['expect read 100 3 sigbus', 19, 'expect: expected sigill|sigsegv|fallback|value'],
    ['frobnicate 1', 1, "unknown command 'frobnicate'"],
    ['say "unterminated', 5, 'unterminated string'],
    ['tick 0', 6, 'tick: expected at least 1 tick'],
    ['checkpoint xyz', 12, 'checkpoint: expected a state hash'],
    ['expect finding access/nope', 16, 'expect: expected access/other-mm|'],
    ['fault warp-drive on', 7, 'fault: expected mmap-lock-skip|'],
    ['say "a\\x1"', 7, 'bad escape at column 7: expected two hex digits after \\x'],
  ])('rejects %j at column %i', (line, column, message) => {
    const r = parseCommand(line);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.column).toBe(column);
    expect(r.error.message).toContain(message);
  });
});

const pid = fc.integer({ min: 0, max: 999_999 });
/** Text of characters U+0000..U+009F: every C0 control, ASCII, DEL and every C1 control. */
const controlText = fc.string({ unit: fc.integer({ min: 0, max: 0x9f }).map((c) => String.fromCharCode(c)), maxLength: 200 });
const fd = fc.integer({ min: 0, max: 65_535 });
const cpu = fc.integer({ min: 0, max: 1023 });
const ev = fc.constantFrom('cycles' as const, 'instructions' as const);
const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const name = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/);

const commandArb: fc.Arbitrary<Command> = fc.oneof(
  fc.record({ kind: fc.constant('spawn' as const), name, aarch32: fc.boolean(), cpu: fc.option(cpu) }),
  fc.record({ kind: fc.constant('thread' as const), pid, cpu: fc.option(cpu) }),
  fc.record({ kind: fc.constant('open' as const), pid, event: ev, user: fc.boolean(), is64: fc.boolean(), inherit: fc.boolean(), cloexec: fc.boolean() }),
  fc.record({ kind: fc.constant('fork' as const), pid, cpu: fc.option(cpu) }),
  fc.record({ kind: fc.constant('open-cpu' as const), cpu, event: ev, user: fc.boolean(), is64: fc.boolean(), cloexec: fc.boolean(), by: fc.option(pid) }).map((c) => ({ ...c, cloexec: c.cloexec && c.by !== null })),
  fc.record({ kind: fc.constantFrom('close' as const, 'mmap' as const, 'munmap' as const, 'read' as const, 'reset' as const), pid, fd }),
  fc.record({ kind: fc.constant('close-cpu' as const), fd }),
  fc.record({
    kind: fc.constant('mrs' as const),
    pid,
    reg: fc.oneof(fc.constant({ kind: 'pmccntr' as const }), fc.constant({ kind: 'pmselr' as const }), fc.record({ kind: fc.constant('pmevcntr' as const), n: fc.integer({ min: 0, max: 30 }) })),
  }),
  fc.oneof(
    fc.record({ kind: fc.constant('msr' as const), pid, reg: fc.constant({ kind: 'pmselr' as const }), value: u32.map(BigInt) }),
    fc.record({ kind: fc.constant('msr' as const), pid, reg: fc.oneof(fc.constant({ kind: 'pmccntr' as const }), fc.record({ kind: fc.constant('pmevcntr' as const), n: fc.integer({ min: 0, max: 30 }) })), value: u64 }),
  ),
  fc.record({ kind: fc.constant('migrate' as const), pid, cpu }),
  fc.record({ kind: fc.constantFrom('exec32' as const, 'exec64' as const, 'exit' as const, 'sleep' as const, 'wake' as const), pid }),
  fc.record({ kind: fc.constant('switch' as const), cpu, pid }),
  fc.record({ kind: fc.constant('tick' as const), n: fc.integer({ min: 1, max: ticksPerCommandMax }) }),
  fc.record({ kind: fc.constant('run' as const), cycles: u64 }),
  fc.record({ kind: fc.constant('ipi' as const), mode: fc.constantFrom('manual' as const, 'auto' as const) }),
  fc.record({ kind: fc.constant('deliver' as const), cpu }),
  fc.record({ kind: fc.constant('policy' as const), name }),
  fc.record({ kind: fc.constant('knob' as const), knob: fc.constant('perf_user_access' as const), value: fc.constantFrom(0, 1) }),
  fc.record({ kind: fc.constant('knob' as const), knob: fc.constant('rdpmc' as const), value: fc.constantFrom(0, 1, 2) }),
  fc.record({ kind: fc.constant('fault' as const), name: fc.constantFrom(...faultNames), on: fc.boolean() }),
  fc.record({ kind: fc.constantFrom('check' as const, 'pause' as const) }),
  fc.record({ kind: fc.constant('explain' as const), n: fc.option(fc.integer({ min: 0, max: 2 ** 53 - 1 })) }),
  fc.record({ kind: fc.constant('why' as const), cpu }),
  fc.record({ kind: fc.constant('say' as const), text: fc.oneof(fc.string({ maxLength: 200 }), controlText) }),
  fc.record({ kind: fc.constant('expect-finding' as const), code: fc.constantFrom(...findingCodes) }),
  fc.record({ kind: fc.constant('expect-no-finding' as const), code: fc.option(fc.constantFrom(...findingCodes)) }),
  fc.record({
    kind: fc.constant('expect-read' as const),
    pid,
    fd,
    outcome: fc.oneof(fc.constant({ kind: 'sigill' as const }), fc.constant({ kind: 'sigsegv' as const }), fc.constant({ kind: 'fallback' as const }), fc.record({ kind: fc.constant('value' as const), value: u64 })),
  }),
  fc.record({ kind: fc.constant('expect-reg' as const), cpu, reg: fc.constantFrom('pmuserenr' as const, 'pmselr' as const), value: u32 }),
  fc.record({
    kind: fc.constant('checkpoint' as const),
    hash: fc.stringMatching(/^[0-9a-f]{16}$/),
    parts: fc.array(fc.tuple(fc.stringMatching(/^[a-z][a-z0-9.]{0,12}$/), fc.stringMatching(/^[0-9a-f]{8}$/)), { maxLength: 4 }),
  }),
  fc.record({ kind: fc.constant('back' as const), n: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }) }),
  fc.record({ kind: fc.constant('help' as const), topic: fc.option(fc.constantFrom(...commandWords)) }),
);

describe('parser properties', () => {
  it('round-trips every command through its canonical spelling', () => {
    fc.assert(
      fc.property(commandArb, (c) => {
        const r = parseCommand(formatCommand(c));
        expect(r).toEqual({ ok: true, command: c });
      }),
      { numRuns: 3000 },
    );
  });

  it('every command, formatted, is a line of a form of the command table that makes its kind', () => {
    fc.assert(
      fc.property(commandArb, (c) => {
        const forms = formsOf(wordsOf(formatCommand(c)));
        expect(forms.some((s) => s.kinds.includes(c.kind))).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('never throws, and every error has a column inside the line or just past it', () => {
    const words = ['spawn', 'open', 'cpu', 'mmap', 'expect', 'read', 'value', 'on', '"', '#', '0x', '-1', '100', 'user', '64bit', 'pmevcntr', 'pmselr', '\t', '\\'];
    const soup = fc.array(fc.oneof(fc.constantFrom(...words), fc.string({ maxLength: 6 })), { maxLength: 8 }).map((a) => a.join(' '));
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 80 }), soup), (line) => {
        const r = parseCommand(line);
        if (!r.ok) {
          expect(r.error.column).toBeGreaterThanOrEqual(1);
          expect(r.error.column).toBeLessThanOrEqual(line.length + 1);
          expect(r.error.message.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 5000 },
    );
  });
});

describe('quoted strings', () => {
  it('a formatted say "a\\nb" reads back through the file parser: LF is escaped, not a line break', () => {
    const line = formatCommand({ kind: 'say', text: 'a\nb' });
    expect(line).toBe('say "a\\nb"');
    const r = parseScript(`pmuplay 1 seed=1\n${line}\nspawn x\n`);
    expect(r.ok && r.script.lines.map((l) => l.command)).toEqual([
      { kind: 'say', text: 'a\nb' },
      { kind: 'spawn', name: 'x', aarch32: false, cpu: null },
    ]);
  });

  it('escapes every control character as the parser reads it: \\n \\r \\t \\xHH', () => {
    expect(formatCommand({ kind: 'say', text: '\x1b]0;pwned\x07\r\t\x9b\x7f\\"' })).toBe('say "\\x1b]0;pwned\\x07\\r\\t\\x9b\\x7f\\\\\\""');
  });

  it('format then parse gives every string of U+0000..U+009F back, through the file parser, as one line with no raw control byte', () => {
    fc.assert(
      fc.property(controlText, (text) => {
        const line = formatCommand({ kind: 'say', text });
        // eslint-disable-next-line no-control-regex
        expect(line).not.toMatch(/[\x00-\x1f\x7f-\x9f]/);
        const r = parseScript(line + '\r\n' + line + '\n');
        expect(r.ok && r.script.lines.map((l) => l.command)).toEqual([
          { kind: 'say', text },
          { kind: 'say', text },
        ]);
      }),
      { numRuns: 2000 },
    );
  });

  it('every character 0..0x9f alone round-trips', () => {
    for (let c = 0; c <= 0x9f; c++) {
      const text = `<${String.fromCharCode(c)}>`;
      const r = parseScript(formatCommand({ kind: 'say', text }) + '\n');
      expect(r.ok && r.script.lines[0]!.command).toEqual({ kind: 'say', text });
    }
  });
});

describe('tokens echoed in errors', () => {
  it('a 1 MB token comes back cut to 40 characters with an ellipsis', () => {
    const token = 'x'.repeat(1 << 20);
    for (const line of [`open 100 ${token}`, token, `checkpoint ${token}`, `mrs 100 ${token}`]) {
      const r = parseCommand(line);
      expect(r.ok).toBe(false);
      if (r.ok) continue;
      expect(r.error.message).toContain(`'${'x'.repeat(39)}…'`);
      expect(r.error.message.length).toBeLessThan(200);
    }
  });

  it('a short token is echoed whole', () => {
    const r = parseCommand(`open 100 ${'y'.repeat(40)}`);
    expect(!r.ok && r.error.message).toContain(`got '${'y'.repeat(40)}'`);
  });
});
