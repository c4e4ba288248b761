/**
 * Playing a recording line by line over a Timeline — through `playScript`, the one way a
 * script is played — with step, step back, jump to the next finding, and the first checkpoint
 * that did not match kept. Pure: no terminal, no timers.
 */
import { type ScriptStep, playScript } from '../engine/session.js';
import type { Check } from '../engine/step.js';
import { type Script, resolveConfig } from '../engine/script.js';
import { Timeline } from '../engine/timeline.js';
import type { Config } from '../engine/world.js';

/** Characters a second a room reads a caption at. */
const readingRate = 20;

/**
 * How many more ticks a demo holds a caption at `speed` ticks a second: long enough for a room
 * to read it (at most 8 seconds); none at max pace, and none when the next line pauses on it
 * (the pause holds it, and space goes on).
 */
export function captionHold(text: string, speed: number, nextKind: string | null): number {
  if (speed === Infinity || nextKind === 'pause') return 0;
  return Math.max(0, Math.ceil(Math.min(8, text.length / readingRate) * speed) - 1);
}

export class Player {
  /** Made again when a step back crosses a `back N` line of the file (`restore`). */
  timeline: Timeline;
  /** Index of the next line to play. */
  next = 0;
  caption: string | null = null;
  divergence: { line: number; text: string } | null = null;
  rejected: { line: number; text: string } | null = null;
  lastCheck: { line: number; check: Check } | null = null;
  /** What the last line played answered (a read's value, a command's result), as the
   * playground's message line shows it; null after a step back or a line with no answer. */
  answer: string | null = null;
  /** Before each played line: where the script and the timeline stood, and the caption then
   * (a step back shows the caption of the step it returns to). */
  private trail: { next: number; position: number; caption: string | null }[] = [];
  /** The script from `next` on, as it plays; made again after a step back. */
  private steps: Generator<ScriptStep> | null = null;

  constructor(
    overrides: Partial<Config>,
    readonly script: Script,
  ) {
    this.timeline = new Timeline(resolveConfig(script.header, overrides));
  }

  get total(): number {
    return this.script.lines.length;
  }

  get atEnd(): boolean {
    return this.next >= this.total || this.rejected !== null;
  }

  /** The line number in the file of the next line to play (or of the last line). */
  get lineNumber(): number {
    return this.script.lines[Math.min(this.next, this.total - 1)]?.line ?? 0;
  }

  /** The line number in the file of the last line played (0 before the first). */
  get playedLine(): number {
    return this.next === 0 ? 0 : (this.script.lines[this.next - 1]?.line ?? 0);
  }

  /** What the next line to play is (`say`, `pause`, …), or null at the end. */
  get nextKind(): string | null {
    return this.atEnd ? null : (this.script.lines[this.next]?.command.kind ?? null);
  }

  /** The line number in the file of the last line to play. */
  get lastLine(): number {
    return this.script.lines[this.total - 1]?.line ?? 0;
  }

  step(): ScriptStep | null {
    if (this.atEnd) return null;
    this.trail.push({ next: this.next, position: this.timeline.position, caption: this.caption });
    this.steps ??= playScript(this.timeline, this.script.lines.slice(this.next));
    const played = this.steps.next();
    if (played.done) return null;
    const { line, result } = played.value;
    this.next++;
    this.answer = result.ok && line.command.kind !== 'say' && result.lines.length > 0 ? result.lines.join('  ') : null;
    if (!result.ok) this.rejected = { line: line.line, text: result.rejection.message };
    else {
      if (line.command.kind === 'say') this.caption = line.command.text;
      if (result.check) {
        this.lastCheck = { line: line.line, check: result.check };
        if (!result.check.passed && !this.divergence) this.divergence = { line: line.line, text: result.check.text };
      }
    }
    return { line, result };
  }

  /**
   * Back to just before the last line played, as `.` plays one: a line that changed the world
   * is undone, a caption (`say`) goes back to the one before it. False at the start.
   */
  back(): boolean {
    const entry = this.trail.pop();
    return entry !== undefined && this.restore(entry);
  }

  /**
   * Back to just after the line during which step `step` was done (a finding at that step is
   * on screen then; `,` goes to before it). Nothing changes when no line played has it.
   */
  backTo(step: number): boolean {
    // The newest line played that did step `step`: it started below it and ended at or past it
    // (positions can go down: a file may hold `back N` lines).
    for (let j = this.trail.length - 1; j >= 0; j--) {
      const after = this.trail[j + 1]?.position ?? this.timeline.position;
      if (this.trail[j]!.position < step && after >= step) {
        if (j + 1 === this.trail.length) return false;
        // That line stays played: back to just after it.
        const entry = this.trail[j + 1]!;
        this.trail.length = j + 1;
        return this.restore(entry);
      }
    }
    return false;
  }

  /** Back to where the player stood before a line: the world, the file, the caption. */
  private restore(entry: { next: number; position: number; caption: string | null }): true {
    const steps = this.timeline.position - entry.position;
    if (steps > 0) this.timeline.back(steps);
    else if (steps < 0) {
      // A `back N` line since then cut the branch that held that point: play the file to it
      // again (a replay is deterministic, so this is the world it was).
      this.timeline = new Timeline(this.timeline.config);
      for (const played of playScript(this.timeline, this.script.lines.slice(0, entry.next))) void played;
    }
    this.next = entry.next;
    this.caption = entry.caption;
    this.rejected = null;
    this.answer = null;
    this.steps = null;
    return true;
  }

  /** Play until a new finding appears (true) or the end (false). */
  nextFinding(): boolean {
    return this.seekFinding() === 'found';
  }

  /**
   * Play until a new finding appears, the end, or `enough()` says to give the caller its turn
   * (a screen that must answer keys): then `more`, and the next call goes on from there.
   */
  seekFinding(enough: () => boolean = () => false): 'found' | 'end' | 'more' {
    while (!this.atEnd) {
      const r = this.step()?.result;
      if (r?.ok && r.findings.length > 0) return 'found';
      if (enough()) return 'more';
    }
    return 'end';
  }
}
