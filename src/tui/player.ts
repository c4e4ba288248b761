/**
 * Playing a recording line by line over a Timeline: step, step back, jump to the next finding,
 * and keep the first checkpoint that did not match. Pure: no terminal, no timers.
 */
import type { Check, StepResult } from '../engine/step.js';
import { type Script, type ScriptLine, resolveConfig } from '../engine/script.js';
import { Timeline } from '../engine/timeline.js';
import type { Config } from '../engine/world.js';

export class Player {
  readonly timeline: Timeline;
  /** Index of the next line to play. */
  next = 0;
  caption: string | null = null;
  divergence: { line: number; text: string } | null = null;
  rejected: { line: number; text: string } | null = null;
  lastCheck: { line: number; check: Check } | null = null;
  /** Before each played line: where the script and the timeline stood. */
  private trail: { next: number; position: number }[] = [];

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

  step(): { line: ScriptLine; result: StepResult } | null {
    if (this.atEnd) return null;
    const line = this.script.lines[this.next]!;
    this.trail.push({ next: this.next, position: this.timeline.position });
    const result = this.timeline.apply(line.command);
    this.next++;
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

  /** Back to just before the last line that changed the world. False at the start. */
  back(): boolean {
    const now = this.timeline.position;
    let entry = this.trail.pop();
    while (entry && entry.position >= now) entry = this.trail.pop();
    if (!entry) {
      this.trail = [];
      return false;
    }
    this.timeline.back(now - entry.position);
    this.next = entry.next;
    this.rejected = null;
    return true;
  }

  /** Play until a new finding appears (true) or the end (false). */
  nextFinding(): boolean {
    while (!this.atEnd) {
      const r = this.step()?.result;
      if (r?.ok && r.findings.length > 0) return true;
    }
    return false;
  }
}
