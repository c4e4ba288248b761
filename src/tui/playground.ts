/**
 * The live playground's logic, without Ink or timers: keys in; the timeline, the recording and
 * the UI state changed. `pump`, called from the event loop, does what time brings: the run
 * mode's ticks at their pace, or a slice of long work. Nothing here holds the event loop for
 * longer than a slice (`sliceMs`): a long `tick N`, a far `back` and a `save` run as work in
 * pieces (long-work.ts, engine/work.ts) with their progress shown; Esc stops them, q and
 * Ctrl-C quit at once. The clock is passed in, so tests drive a whole session with keys and a
 * fake clock.
 *
 * What the recording gets is what the timeline did, step for step, in canonical spelling:
 * run-mode and typed ticks as they happen (gathered into `tick N` lines), a `back` once it has
 * landed, a stopped tick as the ticks it did. So a recording replays to the same world at
 * every checkpoint.
 */
import { helpLines } from '../engine/commands-spec.js';
import { formatCommand } from '../engine/format.js';
import { parseCommand } from '../engine/parse.js';
import { recordingWork } from '../engine/session.js';
import { traceTextWork } from '../trace/play.js';
import type { StepResult } from '../engine/step.js';
import type { Timeline } from '../engine/timeline.js';
import { type Clock, PieceSizer } from '../engine/work.js';
import type { World } from '../engine/world.js';
import { complete } from './completion.js';
import { type KeyAction, type KeyInfo, type Mode, keyAction, keysOf } from './keys.js';
import { checkpointEvery } from '../recorder.js';
import { type Job, LongWork } from './long-work.js';
import { type LineState, accept, browse, emptyLine, eraseBack, insert, killLine, moveCursor, setText } from './line-editor.js';
import { type Controls, type Effect, goLine, pageLines, paceName, paces, playback, startControls } from './playback.js';
import { type UiView, limitsFor } from './Screen.js';

/** The longest the playground holds the event loop at a time, in ms. */
export const sliceMs = 25;
/** How far `n` looks for the next finding before it says there is none, in ticks. */
export const seekTicksMost = 100_000;
/** Gathered run-mode ticks reach the recording at least this often, in ms. */
export const flushMs = 250;

/** Where the session's steps go (a Recorder, or nothing). */
export interface CommandSink {
  /** A command the session accepted, as typed. */
  command(text: string, world: World): void;
  /** `n` ticks done; `world` is the world after them. */
  tick(n: number, world: World): void;
  /** Write the gathered ticks out. */
  flushTicks(world: World): void;
}

/** The hint shown as the caption while no `say` has set one: from the world and what the
 * user has done (starter.ts `starterHint`). */
export type Guide = (world: World, done: { asked: boolean; unmapped: boolean }) => string | null;

/** Commands that ask the monitor why: the guide follows them, and their answer opens as a page. */
const asking: ReadonlySet<string> = new Set(['check', 'explain', 'why']);

/** Write a recording's text to `path` (recorder.ts `saveRecording`); `exists` when a file is there and `overwrite` was not asked. */
export type SaveFile = (path: string, text: string, overwrite: boolean) => { kind: 'saved' | 'exists' | 'failed'; message: string };

export interface Ui {
  /** Typing in the command line. */
  typing: boolean;
  line: LineState;
  message: { text: string; error: boolean } | null;
  /** The last `say` of the branch up to here (a step back restores the one it returns to). */
  caption: string | null;
  /** Run or paused, the pace, the log view, the page open (playback.ts, shared with replays). */
  controls: Controls;
}

type Key = KeyInfo & { meta?: boolean };

export class Playground {
  ui: Ui;
  /** Bumped on every change the screen shows. */
  version = 0;
  /** Set once the session is over (q, Ctrl-C, `quit`): the shell exits. */
  quitting = false;
  /** Long work under way, and the keys that wait for it (the rest of a paste, typing ahead). */
  private readonly long: LongWork;
  private confirm: { question: string; yes: () => void } | null = null;
  /** The run mode's clock: when it started at this pace, and the ticks it has sent since. */
  private run = { since: 0, ticks: 0 };
  private lastFlush = 0;
  private readonly sizer: PieceSizer;
  /**
   * What the branch did that the world does not keep: each `say`, and the commands the guide
   * follows, with the position they were done at. A step back drops those done after it.
   */
  private marks: { at: number; kind: 'say' | 'ask' | 'unmap'; text: string }[] = [];

  constructor(
    readonly timeline: Timeline,
    private readonly clock: Clock,
    private readonly recorder?: CommandSink,
    private readonly save?: SaveFile,
    private readonly guide: Guide | null = null,
  ) {
    this.ui = { typing: false, line: emptyLine, message: null, caption: null, controls: startControls(false, 2) };
    this.sizer = new PieceSizer(timeline.ticksPerCommand);
    this.long = new LongWork(clock, sliceMs);
  }

  get world(): World {
    return this.timeline.world;
  }

  get mode(): Mode {
    return this.ui.typing ? 'input' : this.ui.controls.page ? 'page' : 'normal';
  }

  /** What the screen shows of the session besides the world. */
  screen(): UiView {
    const { ui } = this;
    const c = ui.controls;
    return { mode: this.mode, line: ui.line.text, cursor: ui.line.cursor, message: ui.message, caption: this.caption, running: c.running, pace: paceName(paces[c.pace]!), kind: 'playground', page: c.page && pageLines(c.page, this.world), log: c.log };
  }

  private size: { width: number; height: number } | null = null;

  resize(width: number, height: number): void {
    this.size = { width, height };
  }

  private controls(patch: Partial<Controls>): void {
    this.set({ controls: { ...this.ui.controls, ...patch } });
  }

  /** Long work under way, for the screen: what, how far, of how much. */
  get progress(): { what: string; done: number; total: number; unit: string } | null {
    return this.long.progress;
  }

  /** The caption line: the last `say`, else the guide's hint. */
  get caption(): string | null {
    if (this.ui.caption !== null || !this.guide) return this.ui.caption;
    const has = (kind: 'ask' | 'unmap') => this.marks.some((m) => m.kind === kind);
    return this.guide(this.world, { asked: has('ask'), unmapped: has('unmap') });
  }

  private mark(kind: 'say' | 'ask' | 'unmap', text = ''): void {
    this.marks.push({ at: this.timeline.position, kind, text });
  }

  /** After a step back: forget what was done after the position landed on. */
  private landed(): void {
    const at = this.timeline.position;
    this.marks = this.marks.filter((m) => m.at <= at);
    const said = this.marks.filter((m) => m.kind === 'say').at(-1);
    this.set({ caption: said ? said.text : null });
  }

  private set(patch: Partial<Ui>): void {
    this.ui = { ...this.ui, ...patch };
    this.version++;
  }

  private say(text: string, error = false): void {
    this.set({ message: text ? { text, error } : null });
  }

  /** One input event from Ink: a key, or a run of them that arrived together. */
  input(input: string, key: Key): void {
    // Esc followed at once by a key reaches us as Meta+key: leave the line, then take the key.
    if (this.ui.typing && key.meta && !key.escape && input.length === 1) {
      this.key('', { escape: true });
      this.key(input, {});
      return;
    }
    const keys = keysOf(input, key);
    for (const k of keys) {
      if (this.long.busy) this.keyWhileBusy(k.input, k.key, keys.length === 1);
      else this.key(k.input, k.key);
    }
  }

  key(input: string, key: KeyInfo): void {
    if (this.quitting) return;
    if (this.long.busy) return this.keyWhileBusy(input, key, true);
    if (this.confirm) {
      const { yes } = this.confirm;
      this.confirm = null;
      if (input === 'y' || input === 'Y') yes();
      else this.say('not saved');
      return;
    }
    const a = keyAction(this.mode, input, key);
    if (this.ui.typing) return this.lineKey(a);
    const before = this.ui.controls;
    const [controls, effect] = playback(before, a, this.world, false, 'playground', () => limitsFor(this.world, this.screen(), this.size));
    if (before.running && !controls.running) this.recorder?.flushTicks(this.world);
    this.set({ controls });
    this.effect(effect);
  }

  /** What a key does to the timeline, once the controls have taken it (playback.ts). */
  private effect(e: Effect): void {
    switch (e.kind) {
      case 'quit':
        return this.quit();
      case 'clock':
        this.run = { since: this.clock(), ticks: 0 };
        return this.ui.controls.running ? this.say('') : undefined;
      case 'step': {
        const r = this.timeline.apply({ kind: 'tick', n: 1 });
        if (r.ok) this.recorder?.command('tick', this.world);
        return this.shown(r);
      }
      case 'back':
        return this.startBack(1, 'back');
      case 'go': {
        const n = this.timeline.position - e.step;
        return this.startBack(n, `back ${n}`);
      }
      case 'seek':
        return this.startSeek();
      case 'note':
        return this.say(e.text);
      case 'other':
        if (e.action.type === 'focus') this.set({ typing: true });
        return;
      case 'none':
        return;
    }
  }

  /** A key in the command line. */
  private lineKey(a: KeyAction): void {
    const u = this.ui;
    switch (a.type) {
      case 'quit':
        return this.quit();
      case 'leave':
        // Esc drops the line (it stays in the history: up brings it back), so the next `:`
        // starts empty.
        return this.set({ typing: false, line: accept(u.line) });
      case 'submit':
        return this.submit();
      case 'history':
        return this.set({ line: browse(u.line, a.direction) });
      case 'complete': {
        const c = complete(this.world, u.line.text);
        return this.set({ line: setText(u.line, c.text), message: c.options.length ? { text: c.options.join('  '), error: false } : u.message });
      }
      case 'cursor':
        return this.set({ line: moveCursor(u.line, a.to) });
      case 'erase':
        return this.set({ line: eraseBack(u.line) });
      case 'kill-line':
        return this.set({ line: killLine(u.line) });
      case 'insert':
        return this.set({ line: insert(u.line, a.text) });
      default:
        return;
    }
  }

  /**
   * While long work runs, Esc stops it and Ctrl-C quits; so does `q` pressed alone (in a paste
   * it is text). Any other key waits, in order, for the work to end.
   */
  private keyWhileBusy(input: string, key: KeyInfo, alone: boolean): void {
    if ((key.ctrl && input === 'c') || (alone && input === 'q' && !key.ctrl)) return this.quit();
    if (key.escape) return this.long.stop();
    this.long.wait(input, key);
    this.progressMessage();
  }

  /** Keys that waited for long work, taken now that it is over (until one starts more). */
  private takeWaiting(): void {
    while (!this.long.busy && !this.quitting) {
      const k = this.long.nextWaiting();
      if (!k) return;
      this.key(k.input, k.key);
    }
  }

  /** A step's result on the message line. */
  private shown(r: StepResult): void {
    if (!r.ok) return this.say(r.rejection.message, true);
    this.say(r.lines.join('  '));
  }

  private pause(): void {
    if (!this.ui.controls.running) return;
    this.controls({ running: false });
    this.recorder?.flushTicks(this.world);
  }

  private quit(): void {
    this.long.stop();
    this.pause();
    this.quitting = true;
    this.version++;
  }

  /** The session ends however it ends (quit, a signal): long work stops, ticks are written. */
  close(): void {
    this.long.stop();
    this.recorder?.flushTicks(this.world);
  }

  private submit(): void {
    // The prompt is `:`; a `:` typed again in front (as the hints spell commands) is dropped.
    const text = this.ui.line.text.replace(/^(\s*)[:/]/, '$1');
    const trimmed = text.trim();
    const done = (message: string, error = false) => this.set({ line: accept(this.ui.line), message: message ? { text: message, error } : null });
    if (trimmed === 'quit') return this.quit();
    if (/^quit\s/.test(trimmed)) return this.say('quit: takes nothing after it (just quit, or q outside the command line)', true);
    if (trimmed === 'save' || trimmed.startsWith('save ')) {
      // `save --trace FILE`: the same branch, written as a trace for ui.perfetto.dev.
      const traced = /^save\s+--trace(\s|$)/.exec(trimmed);
      const path = trimmed.slice(traced ? traced[0].length : 4).trim();
      if (!path) return this.say(traced ? 'save --trace: expected a file name, e.g. save --trace session.json' : 'save: expected a file name, e.g. save session.pmu', true);
      if (!this.save) return this.say('save: not available here', true);
      done('');
      this.pause();
      return this.startSave(path, traced !== null);
    }
    const parsed = parseCommand(text);
    if (!parsed.ok) return this.say(parsed.error.message, true);
    const c = parsed.command;
    if (!c) return done('');
    // `help [CMD]` opens the help overlay (the list, or CMD's usage, kernel terms and example);
    // it only looks, so it is not recorded.
    if (c.kind === 'help') return this.openPage({ kind: 'help', topic: c.topic === null ? null : helpLines(c.topic) });
    // Long work (tick, back, save) pauses the run mode, as `.` and `,` do; any other command
    // runs beside it.
    if (c.kind === 'tick' || c.kind === 'back') this.pause();
    if (c.kind === 'tick') return this.startTick(c.n, text);
    if (c.kind === 'back') return this.startBack(c.n, text);
    const r = this.timeline.apply(c);
    // A rejected line stays on the command line to be fixed.
    if (!r.ok) return this.say(r.rejection.message, true);
    // The recording gets the command's canonical spelling: what the parser reads back, with
    // any control character typed or pasted into a string spelled out.
    this.recorder?.command(formatCommand(c), this.world);
    if (c.kind === 'munmap') this.mark('unmap');
    if (asking.has(c.kind)) this.mark('ask');
    if (c.kind === 'say') {
      this.mark('say', c.text);
      return this.set({ line: accept(this.ui.line), message: null, caption: c.text });
    }
    // What takes several lines (findings, an explanation) opens as a page, as help does.
    if (asking.has(c.kind)) {
      const at = r.explanation?.finding == null ? null : r.explanation.chain[0]!.step;
      const go = at !== null ? goLine(this.world, at, 'playground')
        : c.kind === 'check' && this.world.findings.total > 0 ? ['explain N: why finding #N happened, and where (explain alone: the latest; e: pick from the list)'] : [];
      return this.openPage({ kind: 'answer', lines: [...r.lines, ...go], step: at });
    }
    if (r.check) return done(`${r.check.passed ? 'ok' : 'FAILED'}: ${r.check.text}`, !r.check.passed);
    done(r.lines.join('  '));
  }

  /** Leave the command line for a page (help, an answer). */
  private openPage(page: NonNullable<Controls['page']>): void {
    this.set({ typing: false, line: accept(this.ui.line), message: null, controls: { ...this.ui.controls, page } });
  }

  private begin(job: Job): void {
    this.sliced(this.long.start(job));
  }

  /** After a slice: the keys that waited when the work is over, its progress while it is not. */
  private sliced(finished: boolean): void {
    if (finished) this.takeWaiting();
    else this.progressMessage();
    this.version++;
  }

  /** `tick N`, typed: in pieces, each on the branch (and in the recording) as it is done. */
  private startTick(n: number, text: string): void {
    const work = this.timeline.tickWork(n, (k) => this.recorder?.tick(k, this.world));
    if ('rejection' in work) return this.say(work.rejection.message, true);
    this.set({ line: accept(this.ui.line) });
    this.begin({
      what: text.trim(),
      unit: 'ticks',
      work,
      finish: () => {
        this.recorder?.flushTicks(this.world);
        this.shown(work.result!);
      },
      stop: () => {
        this.recorder?.flushTicks(this.world);
        this.say(`${text.trim()}: stopped after ${work.done} of ${n} ticks (those happened; the rest did not)`);
      },
    });
  }

  /** `back N` (and `,`): in pieces; nothing changes, and nothing is recorded, until it lands. */
  private startBack(n: number, text: string): void {
    const work = this.timeline.backWork(n);
    if ('rejection' in work) return this.say(work.rejection.message, true);
    if (this.ui.typing) this.set({ line: accept(this.ui.line) });
    this.begin({
      what: text.trim(),
      unit: 'steps replayed',
      work,
      finish: () => {
        this.recorder?.command(formatCommand({ kind: 'back', n }), this.world);
        this.landed();
        this.shown(work.result!);
      },
      stop: () => this.say(`${text.trim()}: stopped; nothing changed`),
    });
  }

  /** `n`: ticks until a new finding appears, as the run mode would do them (recorded as they
   * happen), at most `seekTicksMost`. */
  private startSeek(): void {
    const work = this.timeline.tickWork(seekTicksMost, (k) => this.recorder?.tick(k, this.world), true);
    if ('rejection' in work) return this.say(work.rejection.message, true);
    this.begin({
      what: 'n: looking for the next finding',
      unit: 'ticks',
      work,
      finish: () => {
        this.recorder?.flushTicks(this.world);
        const r = work.result!;
        if (!r.ok) return this.say(r.rejection.message, true);
        const f = r.findings[0];
        this.say(f ? `finding ${this.world.findings.total - r.findings.length + 1} after ${work.done} ticks: ${f.code}: ${f.text}  (e: the findings; explain: why)` : `no finding in ${work.done} ticks (n looks ${seekTicksMost} more)`);
      },
      stop: () => {
        this.recorder?.flushTicks(this.world);
        this.say(`n: stopped after ${work.done} ticks, no finding yet`);
      },
    });
  }

  /** `save FILE`: the branch replayed into a recording with checkpoints (or, `--trace`, a
   * trace for ui.perfetto.dev), then written. */
  private startSave(path: string, trace: boolean): void {
    const save = this.save!;
    const steps = this.timeline.position;
    const { config } = this.timeline;
    const work = trace ? traceTextWork(config, this.timeline.history()) : recordingWork(config, this.timeline.history(), checkpointEvery);
    const written = () => this.say(trace ? `saved the trace of ${steps} steps to ${path} (open it in ui.perfetto.dev)` : `saved ${steps} steps to ${path}`);
    this.begin({
      what: `save ${path}`,
      unit: 'steps replayed',
      work,
      finish: () => {
        const text = work.result!;
        const r = save(path, text, false);
        if (r.kind === 'saved') return written();
        if (r.kind === 'failed') return this.say(r.message, true);
        this.confirm = {
          question: `${r.message}: overwrite it? (y/n)`,
          yes: () => {
            const again = save(path, text, true);
            if (again.kind === 'saved') written();
            else this.say(again.message, true);
          },
        };
        this.say(this.confirm.question);
      },
      stop: () => this.say(`save ${path}: stopped; nothing written`),
    });
  }

  private progressMessage(): void {
    const text = this.long.progressText();
    if (text) this.say(text);
  }

  /** Run-mode ticks: `n` at once. */
  private runTicks(n: number): void {
    const r = this.timeline.apply({ kind: 'tick', n });
    this.version++;
    if (r.ok) this.recorder?.tick(n, this.world);
    else {
      this.pause();
      this.say(r.rejection.message, true);
    }
  }

  /**
   * Do what is due now: a slice of long work, or the run mode's ticks, for at most `msMax` ms
   * (the screen ends a slice at its next frame). Returns how many ms until there is more to do
   * (0: at once; Infinity: nothing until a key).
   */
  pump(msMax = sliceMs): number {
    if (this.quitting) return Infinity;
    const now = this.clock();
    if (now - this.lastFlush >= flushMs) {
      // Ticks done so far reach the recording at least this often (a long typed tick too).
      this.lastFlush = now;
      this.recorder?.flushTicks(this.world);
    }
    if (this.long.busy) {
      this.sliced(this.long.slice());
      return this.long.busy || this.ui.controls.running ? 0 : Infinity;
    }
    if (!this.ui.controls.running) return Infinity;
    const pace = paces[this.ui.controls.pace]!;
    if (pace === Infinity) {
      const until = now + Math.min(sliceMs, msMax);
      for (let t = now; t < until && this.ui.controls.running; ) {
        const n = this.sizer.size;
        this.runTicks(n);
        const after = this.clock();
        this.sizer.took(n, after - t, until - after);
        t = after;
      }
    } else {
      // Ticks due since the pace was set; a world too slow for the pace (or a pause for long
      // work) runs slower, it does not pile up ticks to catch up with: at most a tenth of a
      // second's worth at once.
      const due = Math.floor(((now - this.run.since) * pace) / 1000) - this.run.ticks;
      if (due > 0) {
        this.runTicks(Math.min(due, Math.ceil(pace / 10)));
        this.run.ticks += due;
      }
    }
    if (!this.ui.controls.running) return Infinity;
    return pace === Infinity ? 0 : Math.max(0, this.run.since + ((this.run.ticks + 1) * 1000) / pace - this.clock());
  }
}
