import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, openSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { meowArgs, noArgs } from './cli-args.js';
import { didYouMean, editDistance } from './did-you-mean.js';
import { type Io, main } from './main.js';
import { exitOutputFailed, settle, trackedOut } from './process-io.js';
import { fifoWithRescue, killRescues } from './test-fifo.js';

// The command line in-process: main(argv, io) with streams that collect the text.
async function pmuplay(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = {
    stdout: { write: (t) => void (out += t) },
    stderr: { write: (t) => void (err += t) },
    stdinIsTTY: false,
    stdoutIsTTY: false,
    env: { NO_COLOR: '1' },
  };
  const code = await main(args, io);
  return { code, out, err };
}

describe('no arguments', () => {
  it('are what meow makes of them, without loading meow', async () => {
    const meow = await meowArgs([]);
    const fast = noArgs();
    expect(fast.input).toEqual(meow.input);
    expect(fast.flags).toEqual(meow.flags);
    expect(fast.flags.help || fast.flags.version).toBe(false);
  });
});

const dir = mkdtempSync(join(tmpdir(), 'pmuplay-cli-'));
afterEach(killRescues);
const file = (name: string, content: string | Buffer) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};

describe('pmuplay (the shell)', () => {
  it('prints its version and help', async () => {
    const version = await pmuplay('--version');
    expect(version.code).toBe(0);
    expect(version.out.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const help = await pmuplay('--help');
    expect(help.code).toBe(0);
    expect(help.out).toContain('pmuplay run FILE...');
    expect(help.out).toContain('Output: results');
    expect(help.out).toContain('74 the output could not be written');
    expect(help.out).toContain('(ESC as \\x1b)');
    // eslint-disable-next-line no-control-regex
    expect(help.out).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
    expect(help.err).toBe('');
  });

  it('-h and -v are --help and --version', async () => {
    const [h, help, v, version] = await Promise.all([pmuplay('-h'), pmuplay('--help'), pmuplay('run', '-v'), pmuplay('--version')]);
    expect([h.code, h.out, h.err]).toEqual([0, help.out, '']);
    expect([v.code, v.out, v.err]).toEqual([0, version.out, '']);
  });

  it.each([
    ['a mistyped flag', ['run', '--polcy', 'all', 'saves/examples/starter.pmu'], 'pmuplay: Unknown flag: --polcy (did you mean --policy?); see pmuplay --help\n'],
    ['a flag cut short', ['run', '--head', 'x.pmu'], 'pmuplay: Unknown flag: --head (did you mean --headless?); see pmuplay --help\n'],
    // meow folds case and would take the next word as the value of --Json: it is refused as typed.
    ['a flag in the wrong case', ['run', '--Json', 'saves/examples/starter.pmu'], 'pmuplay: Unknown flag: --Json (did you mean --json?); see pmuplay --help\n'],
    ['two mistyped flags', ['--recrod', 'x.pmu', '--sed', '2'], 'pmuplay: Unknown flags: --recrod (did you mean --record?), --sed (did you mean --seed?); see pmuplay --help\n'],
    ['a mistyped mode', ['rnu', 'x.pmu'], "pmuplay: unknown mode 'rnu' (did you mean run? modes: run, replay, demo, explore, kernel-check; see pmuplay --help)\n"],
    ['a file where the mode goes', ['x.pmu'], "pmuplay: unknown mode 'x.pmu': to run a file, pmuplay run x.pmu; to play a recording, pmuplay replay x.pmu\n"],
    ['a mode with nothing near', ['frobnicate'], "pmuplay: unknown mode 'frobnicate' (modes: run, replay, demo, explore, kernel-check; see pmuplay --help)\n"],
  ])('did you mean: %s (exit 2)', async (_what, args, message) => {
    const r = await pmuplay(...args);
    expect([r.code, r.out, r.err]).toEqual([2, '', message]);
  });

  it('did you mean: a mistyped demo name, and one cut short', async () => {
    const tuor = await pmuplay('demo', 'tuor', '--headless');
    expect(tuor.code).toBe(2);
    expect(tuor.err).toMatch(/^pmuplay: unknown demo 'tuor' \(did you mean tour\? known: tour, /);
    const cut = await pmuplay('demo', 'ipi-grants');
    expect(cut.err).toContain("unknown demo 'ipi-grants' (did you mean ipi-grants-others? known: ");
    expect((await pmuplay('demo', 'zzz')).err).toContain("unknown demo 'zzz' (known: tour, ");
  });

  it('did you mean: the nearest word within one edit in three characters', () => {
    expect(editDistance('recrod', 'record')).toBe(1); // a swap is one edit
    expect(editDistance('', 'abc')).toBe(3);
    expect(didYouMean('polcy', ['policy', 'seed'])).toBe('policy');
    expect(didYouMean('JSON', ['json'])).toBe('json');
    expect(didYouMean('x', ['v', 'h'])).toBe('v'); // one edit is always near
    expect(didYouMean('frobnicate', ['force', 'record'])).toBeUndefined();
    expect(didYouMean('unmap', ['unmap-ipi', 'unmap-ipi-fixed'])).toBe('unmap-ipi');
  });

  const recordTo = join(dir, 'never-written.pmu');
  it.each([
    ['--policy all in the playground', ['--policy', 'all'], '--policy all applies to run and demo NAME --headless (a table of every design); the playground runs one design: give --policy v4, v5, upstream, x86 or hardened'],
    ['--policy all in replay', ['replay', '--policy', 'all', 'saves/examples/starter.pmu'], '--policy all applies to run and demo NAME --headless (a table of every design); replay runs one design'],
    ['--policy all in a TUI demo', ['demo', 'tour', '--policy', 'all'], '--policy all applies to run and demo NAME --headless (a table of every design); a demo in the TUI runs one design'],
    ['--record in replay', ['replay', '--record', recordTo, 'saves/examples/starter.pmu'], '--record applies to the playground, run FILE and demo NAME --headless, not to replay (a replay is read-only; the recording is already a file)'],
    ['--record in a TUI demo', ['demo', 'tour', '--record', recordTo], '--record applies to the playground, run FILE and demo NAME --headless, not to a demo in the TUI (add --headless to record the demo as it runs)'],
    ['--record with --policy all', ['run', '--policy', 'all', '--record', recordTo, 'saves/examples/starter.pmu'], '--record records one run; --policy all runs every design (give one --policy NAME to record)'],
    ['--record over two files', ['run', '--record', recordTo, 'saves/examples/starter.pmu', 'saves/examples/v4-other-mm.pmu'], '--record records one run: give run one FILE (2 given)'],
    ['--force in replay', ['replay', '--force', 'saves/examples/starter.pmu'], '--force applies to the playground, run FILE and demo NAME --headless, not to replay'],
    ['--strict in the playground', ['--strict'], '--strict applies to run and demo NAME --headless, not to the playground'],
    ['--strict in a TUI demo', ['demo', 'tour', '--strict'], '--strict applies to run and demo NAME --headless, not to a demo in the TUI (add --headless to check the demo)'],
    ['--json in a TUI demo', ['demo', 'tour', '--json'], '--json applies to run, demo NAME --headless, explore and kernel-check, not to a demo in the TUI (add --headless to print the demo)'],
    ['--json and --quiet in replay', ['replay', '--json', '--quiet', 'saves/examples/starter.pmu'], '--json applies to run, demo NAME --headless, explore and kernel-check, not to replay; --quiet applies to run and demo NAME --headless, not to replay'],
    ['--workers in run', ['run', '--workers', '1', 'saves/examples/starter.pmu'], '--workers applies to explore, not to run'],
    ['--quiet in the playground', ['--quiet'], '--quiet applies to run and demo NAME --headless, not to the playground'],
    ['--headless in run', ['run', '--headless', 'saves/examples/starter.pmu'], '--headless applies to demo NAME, not to run (run is always headless)'],
    ['--headless in the playground', ['--headless'], '--headless applies to demo NAME, not to the playground'],
    ['--headless with no demo named', ['demo', '--headless'], '--headless applies to demo NAME, not to the demo list (pmuplay demo with no NAME)'],
    ['a world flag on the demo list', ['demo', '--seed', '3', '--no-long-counters'], '--seed applies to the playground, run, replay, demo NAME and explore, not to the demo list (pmuplay demo with no NAME); --long-counters applies to the playground, run, replay, demo NAME and explore, not to the demo list'],
  ])('a flag that does not apply is a usage error saying where it does: %s (exit 2, nothing run)', async (_what, args, message) => {
    const r = await pmuplay(...args);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toContain(`pmuplay: ${message}`);
    expect(r.err.split('\n')).toHaveLength(2); // one line
    expect(existsSync(recordTo)).toBe(false);
  });

  it('run --record FILE writes the run as a recording with checkpoints, which replays; an existing FILE needs --force', async () => {
    const path = join(dir, 'recorded-run.pmu');
    const r = await pmuplay('run', '--quiet', '--record', path, 'saves/examples/v4-other-mm.pmu');
    expect([r.code, r.err]).toEqual([0, '']);
    expect(r.out).toContain(`-- recorded 5 steps to ${path} (pmuplay replay ${path})\n`);
    const text = readFileSync(path, 'utf8').split('\n');
    expect(text[0]).toBe('pmuplay 1 seed=1 cpus=4 counters=6 long-counters=off policy=v4 cycles-per-tick=1000000 slice=4 perf-user-access=1 rdpmc=1');
    expect(text.slice(1, 6)).toEqual(['spawn reader on 0', 'spawn victim on 1', 'open 100 cycles user', 'mmap 100 3', 'mrs 101 pmccntr']);
    expect(text[6]).toMatch(/^checkpoint 63963f5789788d58 /);
    const again = await pmuplay('run', path);
    expect(again.code).toBe(0);
    expect(again.out).toContain('ok: state hash 63963f5789788d58');
    const refused = await pmuplay('run', '--record', path, 'saves/examples/starter.pmu');
    expect([refused.code, refused.out, refused.err]).toEqual([2, '', `pmuplay: cannot record to ${path}: ${path} exists; give --force to replace it\n`]);
    const forced = await pmuplay('run', '--json', '--record', path, '--force', 'saves/examples/starter.pmu');
    expect(forced.code).toBe(0);
    expect(JSON.parse(forced.out.trimEnd().split('\n').at(-1)!)).toEqual({ type: 'recorded', file: 'saves/examples/starter.pmu', message: `recorded 9 steps to ${path} (pmuplay replay ${path})` });
    expect(readFileSync(path, 'utf8')).toContain('spawn legacy aarch32');
  });

  it('demo NAME --headless --record records the demo; its narration stays in the demo file', async () => {
    const path = join(dir, 'recorded-tour.pmu');
    const r = await pmuplay('demo', 'tour', '--headless', '--record', path);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`-- recorded 7 steps to ${path}`);
    expect((await pmuplay('run', path)).code).toBe(0);
  });

  it('demo NAME --headless --strict exits 1 on a finding; --policy all prints the table', async () => {
    const strict = await pmuplay('demo', 'tour', '--headless', '--strict');
    expect(strict.code).toBe(1);
    expect(strict.out).toContain('access/other-mm: 1');
    const all = await pmuplay('demo', 'ipi-grants-others', '--headless', '--policy', 'all');
    expect(all.code).toBe(1); // its expects are v4's
    expect(all.out).toContain('== saves/demos/ipi-grants-others.pmu under every design (seed 1)');
  });

  it('demo NAME --headless --json carries the narration, as say objects', async () => {
    const r = await pmuplay('demo', 'tour', '--headless', '--json');
    expect(r.code).toBe(0);
    const says = r.out
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; text?: string; line?: number })
      .filter((o) => o.type === 'say');
    expect(says.length).toBeGreaterThan(3);
    expect(says[0]).toMatchObject({ type: 'say', file: 'saves/demos/tour.pmu', line: expect.any(Number), step: 0 });
    expect(says.some((o) => o.text?.includes('Two programs, each with its own address space'))).toBe(true);
  });

  it('run over several files ends with a total; --policy all with a failed expect exits 1, and honours --strict', async () => {
    const two = await pmuplay('run', '--quiet', 'saves/examples/v4-other-mm.pmu', 'saves/examples/starter.pmu');
    expect(two.code).toBe(0);
    expect(two.out.trimEnd().split('\n').at(-1)).toBe('== total: 2 files, 14 steps, 4 findings, 0 of 5 expects failed');
    const all = await pmuplay('run', '--policy', 'all', 'saves/examples/v4-other-mm.pmu');
    expect(all.code).toBe(1);
    expect(all.out).toMatch(/expects failed\s+0\/2\s+2\/2 \(line 7\)/);
    const clean = file('clean.pmu', 'spawn a\nopen 100 cycles user\nexpect no-finding\n');
    expect((await pmuplay('run', '--policy', 'all', clean)).code).toBe(0);
    const finding = file('finding.pmu', 'spawn a on 0\nspawn b on 1\nopen 100 cycles user\nmmap 100 3\n');
    expect((await pmuplay('run', '--policy', 'all', finding)).code).toBe(0);
    expect((await pmuplay('run', '--policy', 'all', '--strict', finding)).code).toBe(1);
  });

  it('a header\'s long-counters=on stands unless --long-counters or --no-long-counters is typed', async () => {
    const path = file('long.pmu', 'pmuplay 1 long-counters=on\nspawn a\n');
    expect((await pmuplay('run', path)).out).toContain('6 counters (64-bit)');
    expect((await pmuplay('run', '--no-long-counters', path)).out).not.toContain('(64-bit)');
    const short = file('short.pmu', 'pmuplay 1 long-counters=off\nspawn a\n');
    expect((await pmuplay('run', '--long-counters', short)).out).toContain('6 counters (64-bit)');
  });

  it('runs a script and exits 0 when its expects hold', async () => {
    const r = await pmuplay('run', '--quiet', 'saves/examples/v4-other-mm.pmu');
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
    ['an unknown flag', ['run', '--frobnicate', 'saves/examples/starter.pmu'], 'Unknown flag: --frobnicate; see pmuplay --help'],
    ['an unknown short flag', ['run', '-x', 'saves/examples/starter.pmu'], 'Unknown flag: -x'],
    ['a flag given twice', ['run', '--seed', '1', '--seed', '2', 'saves/examples/starter.pmu'], 'The flag --seed can only be set once'],
  ])('exits 2 with a clear message on %s', async (_what, args, message) => {
    const r = await pmuplay(...args);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
  });

  it('exits 2 on a file with a line that does not parse, naming file, line and column', async () => {
    const path = file('broken.pmu', 'spawn a\nopen 100 cycels\n');
    const r = await pmuplay('run', path);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${path}:2:10: open: expected cycles|instructions at column 10, got 'cycels'`);
    expect(r.out).toBe('');
  });

  it('prints at most 20 errors a file, then how many more; a long token is cut with an ellipsis', async () => {
    const path = file('many-bad.pmu', `open 100 ${'z'.repeat(1 << 20)}\n` + 'frobnicate\n'.repeat(5000));
    const r = await pmuplay('run', path);
    expect(r.code).toBe(2);
    const lines = r.err.trimEnd().split('\n');
    expect(lines).toHaveLength(21);
    expect(lines[0]).toBe(`${path}:1:10: open: expected cycles|instructions at column 10, got '${'z'.repeat(39)}…'; usage: open PID cycles|instructions [user] [64bit] [inherit] [cloexec]`);
    expect(lines[20]).toBe(`${path}: … and 4981 more errors`);
    const json = await pmuplay('run', '--json', path);
    const objects = json.out.trimEnd().split('\n').map((l) => JSON.parse(l) as { type: string; count?: number });
    expect(objects).toHaveLength(21);
    expect(objects[20]).toEqual({ type: 'more-errors', file: path, count: 4981, message: '… and 4981 more errors' });
  });

  it('one policy for streams: results on stdout, diagnostics on stderr; --json keeps one stream', async () => {
    const missing = join(dir, 'nope.pmu');
    const bad = file('bad-line.pmu', 'spawn a\nmmap 100\n');
    const text = await pmuplay('run', 'saves/examples/starter.pmu', missing);
    expect(text.code).toBe(2);
    expect(text.out).toBe('');
    expect(text.err).toBe(`pmuplay: ${missing}: cannot read: no such file\n`);
    const parse = await pmuplay('run', bad);
    expect([parse.code, parse.out, parse.err]).toEqual([2, '', `${bad}:2:9: mmap: expected an fd at column 9, the line ended; usage: mmap PID FD\n`]);
    for (const args of [['run', '--json', missing], ['run', '--json', bad]]) {
      const json = await pmuplay(...args);
      expect(json.code).toBe(2);
      expect(json.err).toBe('');
      expect(JSON.parse(json.out.split('\n')[0]!)).toMatchObject({ type: 'error' });
    }
    const usage = await pmuplay('run', '--json', '--cpus', 'many', 'saves/examples/starter.pmu');
    expect([usage.code, usage.out]).toEqual([2, '']);
    expect(usage.err).toContain('--cpus');
  });

  it.each([
    ['a missing recording', ['replay', join(dir, 'gone.pmu')], 'no such file'],
    ['a recording that does not parse', ['replay', file('bad-rec.pmu', 'pmuplay 1 seed=1\nspawn a\nmmap 100\n')], ':3:9: mmap: expected an fd'],
    ['two recordings', ['replay', 'a.pmu', 'b.pmu'], 'replay takes one recording'],
    ['a good recording but no terminal', ['replay', 'saves/examples/starter.pmu'], 'replay needs a terminal'],
    ['a recording path in a missing directory', ['--record', join(dir, 'no', 'x.pmu')], `cannot record to ${join(dir, 'no', 'x.pmu')}: the directory ${join(dir, 'no')} does not exist`],
  ])('replay and record: exits 2 with a clear message on %s', async (_what, args, message) => {
    const r = await pmuplay(...args);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
  });

  it('--record refuses an existing file without --force (exit 2, the file untouched); --force passes the check', async () => {
    const path = file('taken.pmu', 'the old file\n');
    chmodSync(path, 0o600);
    const refused = await pmuplay('--record', path);
    expect(refused.code).toBe(2);
    expect(refused.err).toBe(`pmuplay: cannot record to ${path}: ${path} exists; give --force to replace it\n`);
    // With --force the file is checked and found fit; the next refusal (no terminal here) comes
    // before the file is opened, so it is still untouched.
    const forced = await pmuplay('--record', path, '--force');
    expect(forced.code).toBe(2);
    expect(forced.err).toContain('the playground needs a terminal');
    expect(readFileSync(path, 'utf8')).toBe('the old file\n');
    expect(statSync(path).mode & 0o7777).toBe(0o600);
    const alone = await pmuplay('--force');
    expect([alone.code, alone.err]).toEqual([2, 'pmuplay: --force goes with --record FILE or --trace FILE (it lets them replace FILE)\n']);
  });

  it('--record refuses a FIFO and a device at once, even with --force', { timeout: 30_000 }, async () => {
    const fifo = fifoWithRescue(join(dir, 'record-fifo.pmu'), 'read');
    const r = await pmuplay('--record', fifo, '--force');
    expect(r.code).toBe(2);
    expect(r.err).toContain(`cannot record to ${fifo}: ${fifo} is a FIFO (named pipe), not a regular file`);
    const dev = await pmuplay('--record', '/dev/null', '--force');
    expect(dev.code).toBe(2);
    expect(dev.err).toContain('cannot record to /dev/null: /dev/null is a character device, not a regular file');
  });

  it('run refuses special files and files over 16 MiB at once, exit 2, naming the file', { timeout: 30_000 }, async () => {
    const fifo = fifoWithRescue(join(dir, 'run-fifo.pmu'), 'write');
    const big = file('big.pmu', '');
    truncateSync(big, 80.5 * 1024 * 1024);
    for (const [path, message] of [
      ['/dev/zero', '/dev/zero: is a character device, not a regular file'],
      ['/dev/urandom', '/dev/urandom: is a character device, not a regular file'],
      [fifo, `${fifo}: is a FIFO (named pipe), not a regular file`],
      [big, `${big}: 80.5 MiB, more than the 16 MiB a .pmu file may be`],
    ]) {
      const r = await pmuplay('run', path!);
      expect(r.code).toBe(2);
      expect(r.err).toContain(message);
      expect(r.out).toBe('');
    }
  });

  it('demo lists the demos; demo NAME --headless prints the narration and the outcomes', async () => {
    const list = await pmuplay('demo');
    expect(list.code).toBe(0);
    expect(list.out).toMatch(/^ {2}tour +v4\n {4}a first look/m);
    expect(list.out).toMatch(/^ {2}mmap-lock-race +v4 \+ fault mmap-lock-skip, ipi manual\n {4}event_mapped /m);
    expect(list.out.split('\n').filter((l) => l.length > 80)).toEqual([]);
    const tour = await pmuplay('demo', 'tour', '--headless');
    expect(tour.code).toBe(0);
    expect(tour.out).toContain('» Two programs, each with its own address space');
    expect(tour.out).toContain('access/other-mm: task 101 (compiler, mm 2)');
  });

  it('demo --policy runs a demo under the design that fixes it: its leak expects fail', async () => {
    const r = await pmuplay('demo', 'ipi-grants-others', '--headless', '--policy', 'v5');
    expect(r.code).toBe(1);
    expect(r.out).toContain('FAILED saves/demos/ipi-grants-others.pmu:14: finding access/other-mm: none so far');
  });

  it.each([
    ['an unknown demo', ['demo', 'nope'], "unknown demo 'nope' (known: tour, "],
    ['an unknown demo, headless', ['demo', 'nope', '--headless', '--json'], "unknown demo 'nope' (known: tour, "],
    ['a demo but no terminal', ['demo', 'tour'], 'a demo needs a terminal'],
  ])('demo: exits 2 with a clear message on %s', async (_what, args, message) => {
    const r = await pmuplay(...args);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
  });

  it('with no arguments and no terminal, says so and points to pmuplay run', async () => {
    const r = await pmuplay();
    expect(r.code).toBe(2);
    expect(r.err).toContain('the playground needs a terminal');
    expect(r.err).toContain('pmuplay run FILE.pmu');
  });
});

describe('terminal safety: text from a file or a flag shows its control characters', () => {
  const hostile = '\x1b]0;pwned\x07\x1b[2J\x1b[31mred\r\x08\x9b2J\x85';
  /** What is left of the output once our own colours are taken out: no control character but LF. */
  // eslint-disable-next-line no-control-regex
  const raw = (text: string) => text.replace(/\x1b\[(?:3[12]|39|2|22)m/g, '').replace(/[^\x00-\x09\x0b-\x1f\x7f-\x9f]/g, '');
  async function onTerminal(...args: string[]) {
    let out = '';
    let err = '';
    const io: Io = { stdout: { write: (t) => void (out += t) }, stderr: { write: (t) => void (err += t) }, stdinIsTTY: false, stdoutIsTTY: true, env: {} };
    const code = await main(args, io);
    return { code, out, err };
  }

  it('run: a say caption, a command and a rejection from a file, in colour', async () => {
    const path = file('hostile.pmu', `say "${hostile}"\nspawn a\nexpect finding access/stale # ${hostile}\nmigrate 100 9 # ${hostile}\n`);
    const r = await onTerminal('run', path);
    expect(r.code).toBe(2);
    expect(r.out).toContain('\x1b[31m'); // our colours still work
    expect(r.out).toContain('» \\x1b]0;pwned\\x07\\x1b[2J\\x1b[31mred\\r\\x08\\x9b2J\\x85');
    expect(raw(r.out)).toBe('');
    expect(r.err).toContain('rejected: migrate');
    expect(raw(r.err)).toBe('');
  });

  it('run: tokens echoed in parse errors, header values, file names', async () => {
    const bad = file('hostile-parse.pmu', `pmuplay 1 seed=\x1b[2J\nopen 100 \x1b]0;x\x07\n\x9b31m\n`);
    const r = await onTerminal('run', bad, join(dir, 'no\x1b[2J.pmu'));
    expect(r.code).toBe(2);
    expect(r.err).toContain("no\\x1b[2J.pmu: cannot read");
    const parse = await onTerminal('run', bad);
    expect(parse.err).toContain("seed takes a whole number from 0 to 4294967295, got '\\x1b[2J'");
    expect(parse.err).toContain("got '\\x1b]0;x\\x07'");
    expect(parse.err).toContain("unknown command '\\x9b31m'");
    expect(raw(r.err + parse.err + parse.out)).toBe('');
  });

  it('demo --headless and replay: names and flags from the command line', async () => {
    const demo = await onTerminal('demo', `tour\x1b[2J`, '--headless');
    expect(demo.err).toContain("unknown demo 'tour\\x1b[2J'");
    const flag = await onTerminal('demo', 'tour', '--headless', '--policy', '\x9b2J');
    expect(flag.err).toContain("unknown design '\\x9b2J'");
    const replay = await onTerminal('replay', file('hostile-rec.pmu', `pmuplay 1 seed=1\nsay "unterminated ${hostile}\n`));
    expect(replay.err).toContain('unterminated string');
    expect(raw(demo.err + flag.err + replay.err + replay.out)).toBe('');
  });

  it('--json stays exact: the caption comes back byte for byte', async () => {
    const path = file('hostile-json.pmu', `say "${hostile}"\nspawn a\n`);
    const r = await onTerminal('run', '--json', path);
    const say = r.out
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; command?: string })
      .find((o) => o.type === 'result' && o.command?.startsWith('say'));
    expect(say?.command).toBe(`say "${hostile}"`);
    expect(raw(r.out)).toBe('');
  });
});

/** A stream whose writes fail as a full disk's do: the callback and the 'error' event come later. */
function failingStream(code: string): Writable {
  return new Writable({
    write(_chunk, _enc, cb) {
      setImmediate(() => cb(Object.assign(new Error(`${code}: it failed, write`), { code })));
    },
  });
}

function collecting(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      text += chunk.toString();
      cb();
    },
  });
  return { stream, text: () => text };
}

describe('output that cannot be written', () => {
  it('a failed write to stdout exits 74 with a message on stderr', async () => {
    const err = collecting();
    const stdout = trackedOut(failingStream('ENOSPC'));
    const stderr = trackedOut(err.stream);
    stdout.write('a result\n');
    expect(await settle(0, stdout, stderr)).toBe(exitOutputFailed);
    expect(err.text()).toContain('pmuplay: cannot write the output to stdout: ENOSPC');
  });

  it('a closed pipe (the reader stopped, as | head does) is quiet and exits 0', async () => {
    const err = collecting();
    const stdout = trackedOut(failingStream('EPIPE'));
    const stderr = trackedOut(err.stream);
    stdout.write('a result\n');
    stdout.write('another\n');
    expect(await settle(1, stdout, stderr)).toBe(0);
    expect(err.text()).toBe('');
  });

  it('a failed write to stderr exits 74, saying so on stdout', async () => {
    const out = collecting();
    const stdout = trackedOut(out.stream);
    const stderr = trackedOut(failingStream('EIO'));
    stderr.write('pmuplay: a diagnostic\n');
    expect(await settle(2, stdout, stderr)).toBe(exitOutputFailed);
    expect(out.text()).toContain('pmuplay: cannot write to stderr: EIO');
  });
});

// The real program, built by vitest's global setup (tools/test-build.mjs): only these few.
describe('dist/cli.js (smoke)', () => {
  const cli = (args: string[], stdout: 'pipe' | number = 'pipe') =>
    spawnSync(process.execPath, ['dist/cli.js', ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', stdout, 'pipe'] });

  it('starts, runs a script, and exits 74 when stdout is a full disk', { timeout: 30_000 }, () => {
    const ok = cli(['run', '--quiet', 'saves/examples/v4-other-mm.pmu']);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain('access/other-mm');
    if (!existsSync('/dev/full')) return;
    const full = cli(['run', 'saves/examples/v4-other-mm.pmu'], openSync('/dev/full', 'w'));
    expect(full.stderr).toContain('pmuplay: cannot write the output to stdout: ENOSPC');
    expect(full.status).toBe(exitOutputFailed);
  });

  it('stays quiet and exits 0 when the reader closes the pipe early', { timeout: 30_000 }, async () => {
    // About 2 MB of output: far more than a pipe holds, so the writer meets the closed pipe.
    const path = file('long.pmu', 'spawn a\nopen 100 cycles\n' + 'tick\n'.repeat(20_000));
    const child = spawn(process.execPath, ['dist/cli.js', 'run', path], { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(err).toBe('');
    expect(code).toBe(0);
  });
});

describe('the mode word', () => {
  it('is the first word that is neither a flag nor a flag\'s value', async () => {
    const { modeWord } = await import('./cli-args.js');
    expect(modeWord(['--policy', 'v4', 'explore', 'f.pmu'])).toBe('explore');
    expect(modeWord(['--json', 'explore', 'f.pmu'])).toBe('explore');
    expect(modeWord(['--out', 'explore', 'run', 'f.pmu'])).toBe('run');
    expect(modeWord(['--cycles-per-tick=5', 'run'])).toBe('run');
    expect(modeWord(['--cycles-per-tick', '5', 'run'])).toBe('run');
    expect(modeWord([])).toBe(undefined);
  });
});
