import { renderToString } from 'ink';
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { type Config, defaultConfig } from '../engine/world.js';
import { Timeline } from '../engine/timeline.js';
import { play, playLines } from '../engine/session.js';
import { App } from './App.js';
import { Playground } from './playground.js';
import { commandWords, helpLines, specsOf, usage } from '../engine/commands-spec.js';
import { Screen, type UiView, screenLimits } from './Screen.js';
import { allLog } from './keys.js';
import { pageLines } from './playback.js';
import { starterLines } from './starter.js';
import { viewOf } from './view.js';

const ui: UiView = { mode: 'normal', line: '', cursor: 0, message: null, caption: null, running: false, pace: '2/s' };

function frame(script: string, width = 80, height = 24, over: Partial<UiView> = {}, config: Partial<Config> = {}): string {
  const { world } = play(script, config);
  return renderToString(<Screen view={viewOf(world, 200)} ui={{ ...ui, ...over }} width={width} height={height} color={false} />, { columns: width });
}

const starter = starterLines.join('\n');

describe('the screen', () => {
  it('shows the header: design, tick, the engine\'s step, seed, findings, run state with its pace', () => {
    const f = frame(`${starter}\nmmap 100 3\ntick 2`);
    expect(f.split('\n')[0]).toMatch(/^pmuplay {2}design v4 {2}tick 2 {2}step 9 {2}seed 1 {2}findings 1 {2}paused \(pace 2\/s\)/);
    expect(frame(starter, 80, 24, { running: true, pace: '5/s' }).split('\n')[0]).toMatch(/findings 0 {2}running 5\/s/);
  });

  it('shows REC while recording, and keeps the header to the width', () => {
    const head = frame(`${starter}\ntick 100000\ntick 23456`, 80, 24, { recording: 'x.pmu' }).split('\n')[0]!;
    expect(head).toMatch(/^REC design v4 {2}tick 123456 {2}step 123462 {2}seed 1 {2}findings 0 {2}paused \(pace 2\/s\)/);
    expect(head.length).toBeLessThanOrEqual(80);
    expect(frame(starter).split('\n')[0]).not.toContain('REC');
  });

  it('scrolls the log up (a marker says how far, and End), and filters it to findings', () => {
    const script = `${starter}\nmmap 100 3\ntick 3`;
    const plain = frame(script, 120, 40);
    const scrolled = frame(script, 120, 40, { log: { ...allLog, scroll: 5 } });
    expect(plain).not.toContain('lines up');
    expect(scrolled).toContain('-- log, 5 lines up (End: newest) --');
    const findings = frame(script, 120, 40, { log: { ...allLog, findings: true } });
    expect(findings).toContain('-- findings only (f: all) --');
    const logRows = findings.split('\n').filter((l) => /^ +\d+ (cpu\d| {4}) /.test(l));
    expect(logRows.length).toBe(1);
    expect(logRows[0]).toContain('! access/other-mm');
  });

  it('filters the log to one CPU and to one task, and says so', () => {
    const script = `${starter}\nmmap 100 3\ntick 3`;
    const rows = (f: string) => f.split('\n').filter((l) => /^ +\d+ (cpu\d| {4}) /.test(l));
    const cpu2 = frame(script, 120, 40, { log: { ...allLog, cpu: 2 } });
    expect(cpu2).toContain('-- cpu2 only (c: next) --');
    expect(rows(cpu2).length).toBeGreaterThan(0);
    expect(rows(cpu2).every((l) => /^ +\d+ cpu2 /.test(l))).toBe(true);
    const task = frame(script, 120, 40, { log: { ...allLog, pid: 102 } });
    expect(task).toContain('-- task 102 only (t: next) --');
    expect(rows(task).length).toBeGreaterThan(1);
    expect(rows(task).every((l) => /\b102\b/.test(l))).toBe(true);
    // The finding is about the task that had access: it stays under that task's filter.
    expect(rows(frame(script, 120, 40, { log: { ...allLog, findings: true, pid: 102 } }))).toHaveLength(1);
    expect(frame(script, 120, 40, { log: { ...allLog, findings: true, pid: 100 } })).toMatch(/findings only \(f: all\), task 100 only \(t: next\): none among the newest \d+ lines/);
  });

  it('tells the keys how far the log and a page can scroll on this screen', () => {
    const { world } = play(`${starter}\nmmap 100 3\ntick 30`);
    const view = viewOf(world, 200);
    const lim = screenLimits(view, ui, 80, 24);
    // At 80x24 the log has a few rows: it can go up by all it holds but those.
    expect(lim.logUp).toBeGreaterThan(0);
    expect(lim.logUp).toBeLessThan(view.log.length);
    expect(screenLimits(view, { ...ui, log: { ...allLog, findings: true } }, 80, 24).logUp).toBe(0);
    const help = { lines: helpLines('expect'), selected: null };
    const page = screenLimits(view, { ...ui, mode: 'page', page: help }, 80, 24);
    expect(page.pageTop).toBeGreaterThan(0);
    // Scrolled to its limit, the page's last row is on screen and nothing says there is more.
    const f = frame(`${starter}\nmmap 100 3\ntick 30`, 80, 24, { mode: 'page', page: { ...help, top: page.pageTop } });
    expect(f).not.toContain('below (down');
    expect(f).toContain('(up: the rows above)');
  });

  it('shows the findings list with the selected one marked, kept in view', () => {
    const { world } = play(`${starter}\nmmap 100 3\ntick 3`);
    const page = pageLines({ kind: 'findings', selected: 1 }, world);
    const f = renderToString(<Screen view={viewOf(world, 200)} ui={{ ...ui, mode: 'page', page }} width={80} height={24} color={false} />, { columns: 80 });
    expect(f).toContain('Findings (1)');
    expect(f).toContain('up/down picks, enter explains, g goes back to its step; any other key closes');
    expect(f).toMatch(/\n> #1 {2}step 7 cpu2 {2}access\/other-mm: /);
  });

  it('marks a CPU whose access the design does not mean for its task: ! and the reason, where a granted pane shows for whom', () => {
    const f = frame(`${starter}\nmmap 100 3`, 120, 40);
    expect(f).toContain('USERENR !CR|ER for mm1, not mm2');
    expect(f).toContain('USERENR +CR|ER for mm1');
    // Under v5 the same mapping leaves CPU 2 alone: no mark anywhere.
    expect(frame(`${starter}\nmmap 100 3`, 120, 40, {}, { design: 'v5' })).not.toContain('!CR|ER');
  });

  it('shows each CPU pane: mode, task, mm, access and for whom, PMSELR, counters', () => {
    const f = frame(`${starter}\nmmap 100 3\nmsr 100 pmselr 5`);
    expect(f).toContain('CPU0 EL0  100 app A64  mm1');
    expect(f).toContain('CPU2 EL0  102 other A64  mm2');
    expect(f).toContain('CPU3 idle  -  -');
    expect(f).toMatch(/USERENR \+CR\|ER for mm1 \(IPI refresh_pm/);
    expect(f).toContain('PMSELR 5 by 100');
    expect(f).toContain('CC 100:3 0xffffffff80000001  free E0-E5');
    expect(f).toContain('free CC E0-E5');
  });

  it('marks findings in the log with ! and granted access with +, so no colour is needed', () => {
    const plain = frame(`${starter}\nmmap 100 3`);
    expect(plain).toMatch(/cpu2 ! access\/other-mm: task 102 \(other, mm 2\)/);
    expect(plain).toContain('USERENR +CR|ER');
    expect(plain).not.toContain('\x1b[');
  });

  it('lists tasks with their state and events', () => {
    const f = frame(`${starter}\nmmap 100 3\nsleep 103`, 120, 30);
    expect(f).toMatch(/100 +app +A64 +EL0 +0 +mm1 +3:cyc\+u\+m\*/);
    expect(f).toMatch(/103 +legacy +A32 +asleep +0 +mm3/);
  });

  it('shows the x86 register instead of PMUSERENR under x86', () => {
    const f = frame('spawn a on 0\nopen 100 cycles\nmmap 100 3', 80, 24, {}, { design: 'x86' });
    expect(f).toContain('CR4 +PCE for mm1');
    expect(f).toContain('CR4 PCE=0');
  });

  it('shows control characters from a file or the user as text: captions, log, messages, the command line', () => {
    const hostile = '\x1b]0;pwned\x07\x1b[2J\x9b2J\r\x08\x7f';
    const shown = '\\x1b]0;pwned\\x07\\x1b[2J\\x9b2J\\r\\x08\\x7f';
    const over: Partial<UiView> = { mode: 'input', line: `say "${hostile}"`, cursor: 3, caption: hostile, message: { text: `unknown command '${hostile}'`, error: true } };
    const f = frame(`${starter}\nsay "${hostile}"`, 120, 30, over);
    // eslint-disable-next-line no-control-regex
    expect(f).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
    expect(f).toContain(`» ${shown}`);
    expect(f).toContain(`error: unknown command '${shown}'`);
    expect(f).toContain(`: say "${shown}"`);
  });

  it('shows the command line with the cursor, the caption and an error under the prompt', () => {
    const f = frame(starter, 80, 24, { mode: 'input', line: 'mmap 100 x', cursor: 10, caption: 'hello there', message: { text: 'mmap: expected an fd at column 10', error: true } });
    const lines = f.split('\n');
    const prompt = lines.findIndex((l) => l.startsWith(': mmap 100 x'));
    expect(lines[prompt - 1]).toMatch(/^» hello there/);
    expect(lines[prompt + 1]).toMatch(/^error: mmap: expected an fd at column 10/);
  });

  it('uses the room of a larger terminal: 8 CPUs in one band of 4 columns at 160x50', () => {
    const f = frame('spawn a', 160, 50, {}, { cpus: 8 });
    expect(f.split('\n')[1]).toMatch(/^CPU0 .*CPU1 .*CPU2 .*CPU3 /);
    expect(f.split('\n').length).toBeLessThanOrEqual(50);
  });

  it('asks for a bigger window instead of drawing a broken frame', () => {
    expect(frame(starter, 60, 20)).toBe('make the window at least 80x24 (it is 60x20)');
  });

  it('shows the help overlay with keys and commands', () => {
    const f = frame(starter, 80, 24, { mode: 'page' });
    expect(f).toContain('space     run / pause');
    expect(f).toContain('e         the findings: up/down picks, enter explains, g goes to its step');
    expect(f).toContain('help marks');
    expect(f).not.toContain('make the window taller');
    expect(f.split('\n').every((l) => l.length <= 80)).toBe(true);
    expect(f).toContain('spawn  thread  fork  open');
  });

  it('gives a replay or demo the help of a read-only player: no command line, no commands', () => {
    for (const kind of ['replay', 'demo'] as const) {
      const f = frame(starter, 80, 24, { mode: 'page', kind });
      expect(f).toContain(`Keys (a ${kind} plays its file's commands and is read-only)`);
      expect(f).toContain('space     play / pause');
      expect(f).toContain('n         play to the next finding');
      expect(f).not.toContain('type a command');
      expect(f).not.toContain('spawn  thread');
    }
  });

  it('suggests a first command in an empty playground only', () => {
    expect(frame('')).toContain('no tasks yet — try: spawn app');
    const replay = frame('', 80, 24, { kind: 'demo' });
    expect(replay).toContain('no tasks yet');
    expect(replay).not.toContain('try: spawn');
  });

  it('wraps a caption to three lines at 80 columns, taking the rows from the log', () => {
    const caption = "The receiver read 01001000 01001001: \"HI\". Sixteen context switches, no syscall, nothing the kernel can see. The fix, in the hardened design: PMSELR is zeroed when access changes hands.";
    const script = `${starter}\nmmap 100 3\ntick 3`;
    const one = frame(script).split('\n');
    const three = frame(script, 80, 24, { caption }).split('\n');
    expect(three.length).toBe(one.length);
    const at = three.findIndex((l) => l.startsWith('» '));
    expect(three.slice(at, at + 3).map((l) => l.trimEnd())).toEqual([
      '» The receiver read 01001000 01001001: "HI". Sixteen context switches, no',
      '  syscall, nothing the kernel can see. The fix, in the hardened design: PMSELR',
      '  is zeroed when access changes hands.',
    ]);
    expect(three.every((l) => l.length <= 80)).toBe(true);
    // The log gave its two oldest rows; everything else stays where it was.
    expect(three.slice(0, at - 4)).toEqual(one.slice(0, at - 4));
    expect(three.slice(at - 4, at)).toEqual(one.slice(at - 2, at + 2));
  });

  it('cuts only a caption longer than three lines, with …', () => {
    const f = frame(starter, 80, 24, { caption: 'word '.repeat(60) }).split('\n');
    const at = f.findIndex((l) => l.startsWith('» '));
    expect(f[at + 2]).toMatch(/^ {2}word .*…$/);
    expect(f[at + 3]).toMatch(/^ ?: a command/);
  });

  it('shows help CMD on the help screen, wrapped to the width, every form at 80x24', () => {
    for (const word of commandWords) {
      // A page longer than the screen scrolls (down): every form is on some screen of it.
      const screens = [0, 5, 10, 15, 20].map((top) => frame(starter, 80, 24, { mode: 'page', page: { lines: helpLines(word), selected: null, top } }));
      for (const s of specsOf(word)) expect(screens.some((f) => f.includes(usage(s)))).toBe(true);
      for (const s of specsOf(word)) expect(screens.some((f) => f.includes(`  example: ${s.example}`))).toBe(true);
      expect(screens.every((f) => f.split('\n').every((l) => l.length <= 80))).toBe(true);
    }
    const f = frame(starter, 80, 24, { mode: 'page', page: { lines: helpLines('mmap'), selected: null } });
    expect(f).toContain('  example: mmap 100 3');
    expect(f).toContain('Any key closes this page.');
  });
});

describe('the app', () => {
  it('runs a typed command, shows the leak, and keeps a typo for editing', async () => {
    const timeline = new Timeline(defaultConfig);
    playLines(timeline.world, starter);
    const world = timeline.world;
    const app = render(<App driver={new Playground(timeline, () => performance.now())} color={false} size={{ width: 100, height: 30 }} />);
    // Ink reads input asynchronously: wait for each effect instead of sleeping a fixed time.
    const until = async (ok: () => boolean) => {
      for (let i = 0; i < 1000 && !ok(); i++) await new Promise((r) => setTimeout(r, 20));
      return ok();
    };
    await until(() => app.lastFrame() !== undefined);
    app.stdin.write(':');
    expect(await until(() => app.lastFrame()!.includes('\n: '))).toBe(true);
    app.stdin.write('mmap 100 3');
    expect(await until(() => app.lastFrame()!.includes(': mmap 100 3'))).toBe(true);
    app.stdin.write('\r');
    expect(await until(() => app.lastFrame()!.includes('mmap fd 3 done'))).toBe(true);
    expect(world.findingCounts.get('access/other-mm')).toBe(1);
    app.stdin.write('mmap 100 x');
    expect(await until(() => app.lastFrame()!.includes(': mmap 100 x'))).toBe(true);
    app.stdin.write('\r');
    expect(await until(() => app.lastFrame()!.includes('error: mmap'))).toBe(true);
    const f = app.lastFrame()!;
    expect(f).toContain(': mmap 100 x');
    expect(f).toContain("error: mmap: expected an fd (a whole number up to 65535) at column 10, got 'x'");
    app.unmount();
  });

  it('the app survives escape sequences it cannot name (pasted colours, a terminal\'s status reply)', async () => {
    const timeline = new Timeline(defaultConfig);
    playLines(timeline.world, starter);
    const app = render(<App driver={new Playground(timeline, () => performance.now())} color={false} size={{ width: 100, height: 30 }} />);
    const until = async (ok: () => boolean) => {
      for (let i = 0; i < 1000 && !ok(); i++) await new Promise((r) => setTimeout(r, 20));
      return ok();
    };
    await until(() => app.lastFrame() !== undefined);
    for (const seq of ['\x1b[31m', '\x1b[0n', '\x1b[m']) app.stdin.write(seq);
    app.stdin.write(':');
    expect(await until(() => app.lastFrame()!.includes('\n: '))).toBe(true);
    app.stdin.write('tick');
    expect(await until(() => app.lastFrame()!.includes(': tick'))).toBe(true);
    app.unmount();
  });
});
