import fc from 'fast-check';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stateHash } from '../engine/hash.js';
import { helpLines } from '../engine/commands-spec.js';
import { parseCommand } from '../engine/parse.js';
import { Timeline } from '../engine/timeline.js';
import { defaultConfig } from '../engine/world.js';
import { runFiles } from '../headless.js';
import { Recorder, saveRecording } from '../recorder.js';
import { checkTrace } from '../trace/check.js';
import type { KeyInfo } from './keys.js';
import { Playground } from './playground.js';
import { starterHint, starterLines } from './starter.js';

const dir = mkdtempSync(join(tmpdir(), 'pmuplay-pg-'));

/** A clock that moves `perRead` ms each time it is read, and more when the test lets time pass. */
function fakeClock() {
  let now = 0;
  const clock = { perRead: 1, read: () => (now += clock.perRead), pass: (ms: number) => void (now += ms) };
  return clock;
}

/** The lines of the page open (null: the keys and commands, or no page). */
const pageOf = (pg: Playground) => pg.screen().page?.lines ?? null;

/** Replay a file headless: its exit code and the hash it ends at. */
function replay(path: string): { code: number; hash: string } {
  let hash = '';
  const code = runFiles([{ name: path, text: readFileSync(path, 'utf8') }], { overrides: {}, json: true, strict: false, quiet: true, color: false }, (l) => {
    const o = JSON.parse(l) as { type: string; hash?: string; text?: string; passed?: boolean };
    if (o.type === 'summary') hash = o.hash!;
  });
  return { code, hash };
}

/**
 * A playground with a real recorder on a fresh file and the starter world, as `pmuplay --record`
 * makes — with a checkpoint every 3 lines instead of 100, so that short sessions have many.
 */
function session(name: string, config = defaultConfig) {
  const path = join(dir, name);
  const recorder = Recorder.open(path, config, { checkpointEvery: 3 });
  if (typeof recorder === 'string') throw new Error(recorder);
  const timeline = new Timeline(config);
  for (const line of starterLines) {
    const r = parseCommand(line);
    if (r.ok && r.command && timeline.apply(r.command).ok) recorder.command(line, timeline.world);
  }
  const clock = fakeClock();
  const pg = new Playground(timeline, clock.read, recorder, (file, text, overwrite) => saveRecording(file, text, { overwrite }), null);
  /** Let `ms` pass, pumping as the event loop would (bounded: a test must end). */
  const wait = (ms: number) => {
    for (let left = ms, turns = 0; left > 0 && turns < 10_000; turns++) {
      const next = pg.pump();
      const step = next === Infinity ? left : Math.max(1, Math.min(left, next));
      clock.pass(step);
      left -= step;
    }
  };
  /** Pump until long work is done (or a bound). */
  const settle = () => {
    for (let turns = 0; pg.progress && turns < 100_000; turns++) pg.pump();
  };
  const end = () => {
    pg.close();
    recorder.close(timeline.world);
    return stateHash(timeline.world);
  };
  return { path, pg, timeline, clock, wait, settle, end };
}

const press = (pg: Playground, input: string, key: KeyInfo = {}) => pg.input(input, key);

describe('a playground recording replays to the same world', () => {
  it('the issue\'s repro: two + , space, a second, space, `,`, q', { timeout: 60_000 }, () => {
    const s = session('repro.pmu');
    press(s.pg, '+');
    press(s.pg, '+');
    press(s.pg, ' ');
    s.wait(1000);
    press(s.pg, ' ');
    expect(s.timeline.world.tick).toBeGreaterThan(3);
    const before = s.timeline.world.tick;
    press(s.pg, ',');
    s.settle();
    // `,` steps back one step: one tick, live and in the file.
    expect(s.timeline.world.tick).toBe(before - 1);
    press(s.pg, 'q');
    expect(s.pg.quitting).toBe(true);
    const hash = s.end();
    expect(readFileSync(s.path, "utf8")).toMatch(/\ntick( \d+)?\nback\ncheckpoint /);
    expect(replay(s.path)).toEqual({ code: 0, hash });
  });

  it('a typed tick N runs in pieces, can be stopped, and the file holds the ticks that happened', { timeout: 60_000 }, () => {
    const s = session('stopped.pmu', { ...defaultConfig, cpus: 4 });
    // A slow machine: every piece takes 10 ms, so a slice holds two or three.
    s.clock.perRead = 10;
    press(s.pg, ':tick 100000\r');
    expect(s.pg.progress).toMatchObject({ what: 'tick 100000', total: 100000 });
    s.pg.pump();
    const done = s.pg.progress!.done;
    expect(done).toBeGreaterThan(0);
    expect(done).toBeLessThan(100000);
    press(s.pg, '', { escape: true });
    expect(s.pg.progress).toBe(null);
    expect(s.pg.ui.message?.text).toMatch(/^tick 100000: stopped after \d+ of 100000 ticks/);
    const hash = s.end();
    expect(replay(s.path)).toEqual({ code: 0, hash });
  });

  it('q during a long tick quits at once, and the recording holds the ticks that happened', { timeout: 60_000 }, () => {
    const s = session('quit-mid-tick.pmu', { ...defaultConfig, cpus: 4 });
    s.clock.perRead = 10;
    const tick = s.timeline.world.tick;
    press(s.pg, ':tick 100000\r');
    s.pg.pump();
    press(s.pg, 'q');
    expect(s.pg.quitting).toBe(true);
    expect(s.pg.progress).toBe(null);
    const done = s.timeline.world.tick - tick;
    expect(done).toBeGreaterThan(0);
    expect(done).toBeLessThan(100000);
    const hash = s.end();
    expect(readFileSync(s.path, 'utf8')).toContain(`\ntick ${done}\n`);
    expect(replay(s.path)).toEqual({ code: 0, hash });
  });

  it('a far back shows its progress, and Esc leaves the world where it was', { timeout: 60_000 }, () => {
    const s = session('far-back.pmu', { ...defaultConfig, cpus: 4 });
    for (let i = 0; i < 2; i++) {
      press(s.pg, ':tick 20000\r');
      s.settle();
      press(s.pg, '', { escape: true });
    }
    const before = stateHash(s.timeline.world);
    const position = s.timeline.position;
    s.clock.perRead = 10;
    press(s.pg, ':back 30000\r');
    s.pg.pump();
    expect(s.pg.progress).toMatchObject({ what: 'back 30000', unit: 'steps replayed' });
    expect(s.pg.ui.message?.text).toMatch(/^back 30000: \d+ of \d+ steps replayed… {2}Esc stops, q quits$/);
    press(s.pg, '', { escape: true });
    expect(s.pg.ui.message?.text).toBe('back 30000: stopped; nothing changed');
    expect([stateHash(s.timeline.world), s.timeline.position]).toEqual([before, position]);
    const hash = s.end();
    expect(readFileSync(s.path, 'utf8')).not.toMatch(/^back/m);
    expect(replay(s.path)).toEqual({ code: 0, hash });
  });

  it('refuses a tick longer than one command may be, with the way round it', () => {
    const s = session('too-long.pmu');
    press(s.pg, ':tick 300000\r');
    expect(s.pg.progress).toBe(null);
    expect(s.pg.ui.message).toEqual({ error: true, text: 'tick: at most 100000 ticks in one command in this world (4 CPUs, 1000000 cycles a tick: about a second of work); split it over several tick lines' });
    // The repro: at 2^48 cycles a tick every tick lists thousands of overflows.
    const huge = session('too-long-huge.pmu', { ...defaultConfig, cyclesPerTick: 1n << 48n });
    press(huge.pg, ':tick 1000\r');
    expect(huge.pg.progress).toBe(null);
    expect(huge.pg.ui.message?.text).toBe('tick: at most 307 ticks in one command in this world (4 CPUs, 281474976710656 cycles a tick: about a second of work); split it over several tick lines');
  });

  it('asks before save replaces a file, and the saved file replays to the world it was saved from', { timeout: 60_000 }, () => {
    const s = session('asks.pmu');
    const target = join(dir, 'saved-twice.pmu');
    press(s.pg, ':save ' + target + '\r');
    s.settle();
    expect(s.pg.ui.message?.text).toMatch(/^saved \d+ steps to /);
    press(s.pg, 'tick 3\r');
    s.settle();
    press(s.pg, 'save ' + target + '\r');
    s.settle();
    expect(s.pg.ui.message?.text).toBe(`${target} exists: overwrite it? (y/n)`);
    press(s.pg, 'y');
    expect(replay(target)).toEqual({ code: 0, hash: stateHash(s.timeline.world) });
  });
});

describe('save --trace FILE', () => {
  it('writes the branch as a trace that keeps the format, with the leak the starter shows; asks before replacing', { timeout: 60_000 }, () => {
    const s = session('traced.pmu');
    const target = join(dir, 'traced.json');
    press(s.pg, ':mmap 100 3\r');
    press(s.pg, 'tick 2\r');
    s.settle();
    press(s.pg, 'save --trace ' + target + '\r');
    s.settle();
    expect(s.pg.ui.message?.text).toBe(`saved the trace of ${s.timeline.position} steps to ${target} (open it in ui.perfetto.dev)`);
    const text = readFileSync(target, 'utf8');
    expect(checkTrace(text)).toEqual([]);
    expect(text).toContain('"name":"access/other-mm"');
    press(s.pg, 'save --trace ' + target + '\r');
    s.settle();
    expect(s.pg.ui.message?.text).toBe(`${target} exists: overwrite it? (y/n)`);
    press(s.pg, 'n');
    press(s.pg, ':save --trace\r');
    expect(s.pg.ui.message).toEqual({ text: 'save --trace: expected a file name, e.g. save --trace session.json', error: true });
    s.end();
  });
});

describe('what the recording holds', () => {
  it('a command typed while the run mode ticks has its checkpoint after it, of the world after it', () => {
    const s = session('typed-while-running.pmu');
    for (let i = 0; i < 4; i++) press(s.pg, '+');
    press(s.pg, ' ');
    for (let i = 0; i < 20; i++) {
      s.wait(90);
      press(s.pg, `:spawn z${i}\r`);
      press(s.pg, '', { escape: true });
    }
    const hash = s.end();
    const text = readFileSync(s.path, 'utf8');
    expect(text.match(/^checkpoint /gm)!.length).toBeGreaterThan(10);
    expect(text).toMatch(/\ntick \d+\nspawn z\d+ on|\ntick \d+\nspawn z\d+\n/);
    expect(replay(s.path)).toEqual({ code: 0, hash });
  });

  it('a control character pasted into a caption is spelled out, and the line reads back', () => {
    const s = session('pasted.pmu');
    press(s.pg, ':say "a\x9b2Jb"\r');
    expect(s.pg.ui.caption).toBe('a\x9b2Jb');
    const hash = s.end();
    const text = readFileSync(s.path, 'utf8');
    const controls = [...text].filter((ch) => ch !== '\n' && (ch < ' ' || (ch >= '\x7f' && ch <= '\x9f')));
    expect(controls).toEqual([]);
    expect(text).toContain('say "a\\x9b2Jb"');
    expect(replay(s.path)).toEqual({ code: 0, hash });
  });
});

describe('help on the command line', () => {
  it('help CMD opens the help screen with its usage, kernel terms and example; help alone the list; neither is recorded', () => {
    const s = session('help.pmu');
    press(s.pg, ':help mmap\r');
    expect(s.pg.mode).toBe('page');
    expect(pageOf(s.pg)).toEqual(helpLines('mmap'));
    expect(pageOf(s.pg)![0]).toMatch(/^mmap PID FD — /);
    press(s.pg, 'x');
    expect(s.pg.mode).toBe('normal');
    press(s.pg, ':help\r');
    expect([s.pg.mode, pageOf(s.pg)]).toEqual(['page', null]);
    press(s.pg, 'x');
    press(s.pg, '?');
    expect([s.pg.mode, pageOf(s.pg)]).toEqual(['page', null]);
    press(s.pg, 'x');
    s.end();
    expect(readFileSync(s.path, 'utf8')).not.toContain('help');
  });

  it('help nosuch and a line that does not parse say so with the usage; the line stays for editing', () => {
    const s = session('help-bad.pmu');
    press(s.pg, ':help nosuch\r');
    expect(s.pg.ui.message).toEqual({ text: "help: no command 'nosuch'; usage: help [CMD]", error: true });
    expect(s.pg.ui.line.text).toBe('help nosuch');
    press(s.pg, '\x15quit now\r');
    expect(s.pg.quitting).toBe(false);
    expect(s.pg.ui.message).toEqual({ text: 'quit: takes nothing after it (just quit, or q outside the command line)', error: true });
    press(s.pg, '\x15mmap 100\r');
    expect(s.pg.ui.message?.text).toBe('mmap: expected an fd at column 9, the line ended; usage: mmap PID FD');
    s.end();
  });
});

describe('a burst of keys is each key', () => {
  it('a paste that starts long work waits for it: its q is text, the rest runs after', { timeout: 60_000 }, () => {
    const s = session('paste.pmu', { ...defaultConfig, cpus: 4 });
    s.clock.perRead = 10;
    press(s.pg, ':tick 30000\rsay "quiet please"\r');
    expect(s.pg.progress).toMatchObject({ what: 'tick 30000' });
    expect(s.pg.quitting).toBe(false);
    s.settle();
    expect(s.pg.ui.caption).toBe('quiet please');
    const hash = s.end();
    expect(readFileSync(s.path, 'utf8')).toMatch(/\ntick \d+\n(checkpoint [^\n]*\n)?say "quiet please"\n/);
    expect(replay(s.path)).toEqual({ code: 0, hash });
  });

  it('ticks of a long typed tick reach the file while it runs', { timeout: 60_000 }, () => {
    const s = session('flushed.pmu', { ...defaultConfig, cpus: 4 });
    s.clock.perRead = 10;
    press(s.pg, ':tick 100000\r');
    for (let i = 0; i < 40 && s.pg.progress; i++) s.pg.pump();
    expect(s.pg.progress).not.toBe(null);
    expect(readFileSync(s.path, 'utf8')).toMatch(/\ntick \d+\n/);
    press(s.pg, '', { escape: true });
    const hash = s.end();
    expect(replay(s.path)).toEqual({ code: 0, hash });
  });

  it('... steps three times, +++ is three paces faster, Ctrl-U then text replaces the line', () => {
    const s = session('burst.pmu');
    const tick = s.timeline.world.tick;
    press(s.pg, '...');
    expect(s.timeline.world.tick).toBe(tick + 3);
    const pace = s.pg.ui.controls.pace;
    press(s.pg, '+++');
    expect(s.pg.ui.controls.pace).toBe(pace + 3);
    press(s.pg, ':spawn x');
    press(s.pg, '\x15tick 2');
    expect(s.pg.ui.line.text).toBe('tick 2');
    press(s.pg, '', { return: true });
    s.settle();
    expect(s.timeline.world.tick).toBe(tick + 5);
  });
});

// The session's moves, as a user makes them: keys, typed lines (one chunk or key by key),
// time passing at some pace, stopping long work, saves, and answers to the save question.
const lineArb = fc.constantFrom('tick', 'tick 3', 'tick 2000', 'back', 'back 7', 'back 300', 'spawn z', 'open 102 cycles', 'mmap 100 3', 'say hello', 'check', 'expect no-finding access/other-mm', 'bogus words', 'tick 999999', 'save');
const moveArb = fc.oneof(
  fc.record({ kind: fc.constant('key' as const), key: fc.constantFrom('.', ',', '+', '-', ' ', 'n', '?', 'x', '..', ',,,', '+-', 'e', 'g', 'c', 't', 'f') }),
  fc.record({ kind: fc.constant('line' as const), line: lineArb, chunked: fc.boolean() }),
  fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 1, max: 3000 }) }),
  fc.record({ kind: fc.constant('escape' as const) }),
  fc.record({ kind: fc.constant('answer' as const), yes: fc.boolean() }),
);

describe('random playground sessions', () => {
  it('every recording and every saved file replays to the world the session had', () => {
    let n = 0;
    fc.assert(
      fc.property(fc.array(moveArb, { minLength: 1, maxLength: 30 }), fc.constantFrom('q', 'ctrl-c', 'signal'), (moves, ending) => {
        const s = session(`random-${n++}.pmu`, { ...defaultConfig, cpus: 2 });
        const saved: { path: string; hash: string }[] = [];
        const savePath = join(dir, `random-${n}-saved.pmu`);
        for (const m of moves) {
          if (m.kind === 'key') press(s.pg, m.key);
          else if (m.kind === 'escape') press(s.pg, '', { escape: true });
          else if (m.kind === 'answer') press(s.pg, m.yes ? 'y' : 'n');
          else if (m.kind === 'wait') s.wait(m.ms);
          else {
            const text = m.line === 'save' ? `save ${savePath}` : m.line;
            if (s.pg.mode !== 'input') press(s.pg, ':');
            if (m.chunked) press(s.pg, text + '\r');
            else {
              for (const ch of text) press(s.pg, ch);
              press(s.pg, '', { return: true });
            }
            if (m.line === 'save') {
              // The save runs once any long work before it (a tick, n) is done, on the world then.
              s.settle();
              const at = stateHash(s.timeline.world);
              press(s.pg, 'y'); // the question, when the file was there
              if (/^saved /.test(s.pg.ui.message?.text ?? '')) saved.push({ path: savePath, hash: at });
            }
            press(s.pg, '', { escape: true });
          }
        }
        if (ending === 'q') press(s.pg, 'q');
        else if (ending === 'ctrl-c') press(s.pg, 'c', { ctrl: true });
        const hash = s.end();
        expect(replay(s.path)).toEqual({ code: 0, hash });
        // Only the newest save is on disk (each overwrote the last).
        const last = saved.at(-1);
        if (last) expect(replay(last.path)).toEqual({ code: 0, hash: last.hash });
      }),
      { numRuns: 100, seed: 20261126 },
    );
  }, 120_000);
});

describe('captions and the starter hint', () => {
  /** The starter world with its guide, as `pmuplay` starts (no recording). */
  function guided(design: 'v4' | 'v5' = 'v4') {
    const timeline = new Timeline({ ...defaultConfig, design });
    for (const line of starterLines) {
      const r = parseCommand(line);
      if (r.ok && r.command) timeline.apply(r.command);
    }
    const pg = new Playground(timeline, fakeClock().read, undefined, undefined, starterHint);
    const settle = () => {
      for (let turns = 0; pg.progress && turns < 100_000; turns++) pg.pump();
    };
    return { pg, settle };
  }

  it('the hint moves on: map, see the leak, ask, unmap, compare; and steps back with ,', () => {
    const { pg, settle } = guided();
    expect(pg.caption).toMatch(/^Task 100 has a cycles event open \(fd 3\)\. Type {2}:mmap 100 3/);
    press(pg, ':mmap 100 3\r');
    expect(pg.caption).toMatch(/^CPUs? .*2.* now lets? another mm read mm1's counters: the red ! line/);
    expect(pg.caption).toMatch(/:explain|:check/);
    press(pg, 'check\r');
    expect(pg.caption).toMatch(/^Now unmap the page: {2}:munmap 100 3/);
    // The findings open as a page; a key closes it.
    expect(pg.mode).toBe('page');
    press(pg, '', { escape: true });
    press(pg, ':munmap 100 3\r');
    expect(pg.caption).toMatch(/still allow counter reads after the last munmap .*pmuplay --policy v5/);
    press(pg, '', { escape: true });
    press(pg, ',');
    settle();
    expect(pg.caption).toMatch(/^Now unmap the page/);
    press(pg, ',');
    settle();
    expect(pg.caption).toMatch(/^Task 100 has a cycles event open/);
  });

  it('explain (typed with the hint\'s own colon) opens the chain as a page; why CPU too', () => {
    const { pg } = guided();
    press(pg, ':mmap 100 3\r');
    press(pg, ':explain\r');
    expect(pg.mode).toBe('page');
    expect(pageOf(pg)![0]).toBe('finding 1: access/other-mm');
    expect(pageOf(pg)!.join('\n')).toMatch(/refresh_pmuserenr\(mm 1\)[\s\S]*rule: [\s\S]*KERNEL\.md 5\.1[\s\S]*fix: /);
    press(pg, '', { escape: true });
    press(pg, ':why 9\r');
    expect(pg.ui.message).toMatchObject({ error: true, text: 'why: no CPU 9: the machine has CPUs 0..3' });
  });

  it('check opens the findings as a page, each with the number explain takes', () => {
    const { pg } = guided();
    press(pg, ':mmap 100 3\r');
    press(pg, ':check\r');
    expect(pg.mode).toBe('page');
    expect(pageOf(pg)!.some((l) => /^ {2}step 7 cpu2: access\/other-mm \(#1\): /.test(l))).toBe(true);
    expect(pageOf(pg)!.at(-1)).toBe('explain N: why finding #N happened, and where (explain alone: the latest; e: pick from the list)');
  });

  it('Esc drops a rejected line, so the next : starts empty; up brings it back', () => {
    const { pg } = guided();
    press(pg, ':explain 99\r');
    expect(pg.ui.line.text).toBe('explain 99');
    press(pg, '', { escape: true });
    press(pg, ':');
    expect(pg.ui.line.text).toBe('');
    press(pg, '', { upArrow: true });
    expect(pg.ui.line.text).toBe('explain 99');
  });

  it('g on an explained finding goes back to the step where it happened', () => {
    const { pg, settle } = guided();
    press(pg, ':mmap 100 3\r');
    const at = pg.world.step;
    press(pg, ':tick 3\r');
    settle();
    press(pg, '', { escape: true });
    press(pg, ':explain\r');
    expect(pageOf(pg)!.at(-1)).toBe(`g: go back to step ${at}, where it happened (what came after is dropped at your next step; save FILE first to keep it)`);
    press(pg, 'g');
    settle();
    expect(pg.mode).toBe('normal');
    expect(pg.world.step).toBe(at);
    expect(pg.world.findings.total).toBe(1);
  });

  it('n plays ticks to the next finding (recorded as ticks); e picks it from the list, g goes back to it', () => {
    // Under upstream the AArch32 task queued on CPU 0 inherits task 100's grant when its turn
    // comes, a few ticks on.
    const s = session('seek.pmu', { ...defaultConfig, design: 'upstream' });
    press(s.pg, ':sysctl perf_user_access 1\r');
    press(s.pg, '', { escape: true });
    const before = s.timeline.world.findings.total;
    press(s.pg, 'n');
    s.settle();
    expect(s.timeline.world.findings.total).toBeGreaterThan(before);
    expect(s.pg.ui.message?.text).toMatch(new RegExp(`^finding ${before + 1} after \\d+ ticks: `));
    const at = s.timeline.world.findings.items.at(-1)!.step;
    expect(at).toBe(s.timeline.world.step);
    press(s.pg, '..');
    press(s.pg, 'e');
    expect(s.pg.mode).toBe('page');
    press(s.pg, '', { return: true });
    expect(pageOf(s.pg)!.at(-1)).toBe(`g: go back to step ${at}, where it happened (what came after is dropped at your next step; save FILE first to keep it)`);
    press(s.pg, 'g');
    s.settle();
    expect(s.timeline.world.step).toBe(at);
    const hash = s.end();
    expect(readFileSync(s.path, 'utf8')).toMatch(/\ntick \d+\n/);
    expect(replay(s.path)).toEqual({ code: 0, hash });
  });

  it('under v5 the mapping leaks nothing, and the hint says so', () => {
    const { pg } = guided('v5');
    press(pg, ':mmap 100 3\r');
    expect(pg.caption).toMatch(/^Mapped, and no CPU outside the event's mm got access under v5\. .*pmuplay --policy v4/);
  });

  it('a say takes the caption over; , restores the caption of the step it goes back to', () => {
    const { pg, settle } = guided();
    press(pg, ':say "one"\r');
    press(pg, 'tick\r');
    settle();
    press(pg, 'say "two"\r');
    press(pg, 'tick\r');
    settle();
    expect(pg.caption).toBe('two');
    press(pg, '', { escape: true });
    press(pg, ',');
    settle();
    expect(pg.caption).toBe('two');
    press(pg, ',');
    settle();
    expect(pg.caption).toBe('one');
    press(pg, ',');
    settle();
    expect(pg.caption).toMatch(/^Task 100 has/);
  });
});
