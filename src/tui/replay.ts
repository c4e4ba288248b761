/**
 * A replay or demo's logic, without Ink or timers, as the playground's is (playground.ts): keys
 * in, through the controls every screen shares (playback.ts), carried out on a Player (a step
 * is a line of the file); `pump`, called from the event loop, plays what time brings at the
 * pace, or a slice of a search for the next finding. A demo plays at once at a reading pace,
 * holds each caption long enough to read (`captionHold`) and stops at each `pause` line. The
 * clock is passed in, so tests drive a whole replay with keys and a fake clock.
 */
import type { Clock, Work } from '../engine/work.js';
import type { World } from '../engine/world.js';
import { type KeyInfo, keyAction, keysOf } from './keys.js';
import { LongWork } from './long-work.js';
import { type Controls, type Effect, pageLines, paceName, paces, playback, startControls } from './playback.js';
import { type Player, captionHold } from './player.js';
import { type UiView, limitsFor } from './Screen.js';

/** The longest a replay holds the event loop at a time, in ms (as the playground's slice). */
const sliceMs = 25;

/** A search for the next finding, a slice at a time, as work the screen shows and Esc stops. */
function seekWork(player: Player): Work<'found' | 'end'> {
  const work = {
    result: null as 'found' | 'end' | null,
    done: player.next,
    total: player.total,
    runUntil(now: Clock, deadline: number): boolean {
      const r = player.seekFinding(() => now() >= deadline);
      work.done = player.next;
      if (r === 'more') return false;
      work.result = r;
      return true;
    },
  };
  return work;
}

export class Replay {
  controls: Controls;
  /** Bumped on every change the screen shows. */
  version = 0;
  quitting = false;
  private note: string | null = null;
  /** Beats a demo still holds its caption for. */
  private hold = 0;
  /** The pace's clock: when it started at this pace, and the beats it has played since. */
  private run = { since: 0, beats: 0 };
  private readonly long: LongWork;

  constructor(
    readonly player: Player,
    readonly name: string,
    readonly demo: boolean,
    private readonly clock: Clock,
  ) {
    this.controls = startControls(demo, demo ? 1 : 3);
    this.long = new LongWork(clock, sliceMs);
    this.run.since = clock();
  }

  private size: { width: number; height: number } | null = null;

  resize(width: number, height: number): void {
    this.size = { width, height };
  }

  get world(): World {
    return this.player.timeline.world;
  }

  private get what(): string {
    return this.demo ? 'demo' : 'recording';
  }

  private changed(note: string | null = this.note): void {
    this.note = note;
    this.version++;
  }

  input(input: string, key: KeyInfo): void {
    for (const k of keysOf(input, key)) this.key(k.input, k.key);
  }

  key(input: string, key: KeyInfo): void {
    if (this.quitting) return;
    if (this.long.busy) {
      // While it looks for a finding: Esc stops, q and Ctrl-C quit; other keys do nothing.
      if (key.escape) this.long.stop();
      else if (input === 'q' || (key.ctrl && input === 'c')) this.quit();
      return;
    }
    const a = keyAction(this.controls.page ? 'page' : 'normal', input, key);
    const [controls, effect] = playback(this.controls, a, this.world, this.player.atEnd, 'file', () => limitsFor(this.world, this.screen(), this.size));
    this.controls = controls;
    this.changed(null);
    this.effect(effect);
  }

  private effect(e: Effect): void {
    switch (e.kind) {
      case 'quit':
        return this.quit();
      case 'clock':
        this.run = { since: this.clock(), beats: 0 };
        return;
      case 'step':
        this.hold = 0;
        this.player.step();
        return;
      case 'back':
        this.hold = 0;
        if (!this.player.back()) this.changed(`at the start of the ${this.what}`);
        return;
      case 'go':
        this.hold = 0;
        if (!this.player.backTo(e.step)) return this.changed(`step ${e.step} was done by the line just played (line ${this.player.playedLine}); , goes before it`);
        return this.changed(`back to line ${this.player.playedLine}, where step ${e.step} was done (. plays on)`);
      case 'seek':
        return this.seek();
      case 'note':
        return this.changed(e.text);
      case 'other':
        if (e.action.type === 'focus') this.changed(`a ${this.demo ? 'demo' : 'replay'} is read-only (to type commands, start the playground: pmuplay)`);
        return;
      case 'none':
        return;
    }
  }

  private quit(): void {
    this.long.stop();
    this.quitting = true;
    this.version++;
  }

  private seek(): void {
    const work = seekWork(this.player);
    const finished = this.long.start({
      what: 'looking for the next finding',
      unit: 'lines',
      work,
      finish: () => this.changed(work.result === 'found' ? null : 'no finding after this point'),
      stop: () => this.changed('stopped looking for the next finding'),
    });
    if (!finished) this.changed(this.long.progressText());
  }

  private stop(note: string | null = this.note): void {
    this.controls = { ...this.controls, running: false };
    this.changed(note);
  }

  /** One beat of the pace: a line, or a beat of a demo's caption hold. */
  private beat(): void {
    if (this.hold > 0) {
      this.hold--;
      return;
    }
    const command = this.player.step()?.line.command;
    if (this.demo && command?.kind === 'say') this.hold = captionHold(command.text, paces[this.controls.pace]!, this.player.nextKind);
    if (command?.kind === 'pause') this.stop('paused: space to go on');
    else if (this.player.atEnd || this.player.divergence) this.stop();
    this.version++;
  }

  /**
   * Do what is due now: a slice of a search, or the lines the pace has brought, for at most
   * `msMax` ms. Returns how many ms until there is more to do (0: at once; Infinity: nothing
   * until a key).
   */
  pump(msMax = sliceMs): number {
    if (this.quitting) return Infinity;
    if (this.long.busy) {
      if (!this.long.slice()) this.changed(this.long.progressText());
      else this.version++;
      return this.long.busy ? 0 : Infinity;
    }
    if (!this.controls.running) return Infinity;
    const pace = paces[this.controls.pace]!;
    const now = this.clock();
    if (pace === Infinity) {
      // At max, a slice of lines at a time (ended at the screen's next frame).
      const until = now + Math.min(sliceMs, msMax);
      do this.beat();
      while (this.controls.running && this.clock() < until);
      return this.controls.running ? 0 : Infinity;
    }
    // The beats due since the pace was set; a slow one is not caught up with (at most a tenth
    // of a second's worth at once).
    const due = Math.floor(((now - this.run.since) * pace) / 1000) - this.run.beats;
    for (let i = 0; i < Math.min(due, Math.ceil(pace / 10)) && this.controls.running; i++) this.beat();
    if (due > 0) this.run.beats += due;
    if (!this.controls.running) return Infinity;
    return Math.max(0, this.run.since + ((this.run.beats + 1) * 1000) / pace - this.clock());
  }

  /** What the screen shows besides the world. */
  screen(): UiView {
    const p = this.player;
    const kind = this.demo ? 'demo' : 'replay';
    // A file line, named as one: the engine's step is the header's.
    const held = p.divergence === null && p.lastCheck !== null ? ': every check held' : '';
    const position = `${kind} ${this.name}: line ${p.playedLine}/${p.lastLine}${p.atEnd ? `, the end${held}` : ''}${p.answer ? `  | ${p.answer}` : ''}`;
    const problem = p.rejected
      ? `line ${p.rejected.line} was rejected: ${p.rejected.text}`
      : p.divergence
        ? `line ${p.divergence.line}: checkpoint differs: ${p.divergence.text}`
        : null;
    const c = this.controls;
    return {
      mode: c.page ? 'page' : 'normal',
      line: '',
      cursor: 0,
      message: { text: problem ?? this.note ?? position, error: problem !== null },
      hint: 'space play/pause  . , a line  n finding  e findings  +- pace  ? keys  q quit',
      kind,
      caption: p.caption,
      running: c.running,
      pace: paceName(paces[c.pace]!),
      page: c.page && pageLines(c.page, this.world),
      log: c.log,
    };
  }
}
