/**
 * A session's history: the world, the commands that changed it (the current branch), and
 * snapshots (world copies, copy.ts) taken every `every` commands, so `back N` restores the
 * nearest snapshot at or before the target and replays from there. At most `keep` snapshots
 * besides the first are held: when there are more, every other one in the older half goes, so
 * old history keeps landmarks that grow sparser with age and `back` far into a long session
 * replays a stretch proportional to the distance, never the whole session. The commands are
 * kept as runs, so a run mode's millions of `tick`s cost one entry: memory stays flat.
 */
import type { Command } from './command.js';
import { copyWorld } from './snapshot.js';
import { type StepResult, applyCommand, isObserving } from './step.js';
import { type Config, type World, createWorld } from './world.js';

export const snapshotEveryDefault = 256;
export const snapshotsKeptDefault = 64;

/** `count` times the same command in a row (only `tick`s are ever gathered). */
interface Run {
  command: Command;
  count: number;
}

function sameTick(a: Command, b: Command): boolean {
  return a.kind === 'tick' && b.kind === 'tick' && a.n === b.n;
}

export class Timeline {
  world: World;
  /** Commands that changed the world, in order, on the current branch, as runs. */
  private runs: Run[] = [];
  private length = 0;
  private snapshots: { at: number; snap: World }[] = [];
  private readonly first: World;

  constructor(
    readonly config: Config,
    private readonly every = snapshotEveryDefault,
    private readonly keep = snapshotsKeptDefault,
  ) {
    this.world = createWorld(config);
    this.first = copyWorld(this.world);
  }

  /** How many world-changing commands the current branch holds. */
  get position(): number {
    return this.length;
  }

  /** The world-changing commands of the current branch, oldest first. */
  history(): Command[] {
    const out: Command[] = [];
    for (const r of this.runs) for (let i = 0; i < r.count; i++) out.push(r.command);
    return out;
  }

  get snapshotCount(): number {
    return this.snapshots.length + 1;
  }

  apply(c: Command): StepResult {
    if (c.kind === 'back') return this.back(c.n);
    const r = applyCommand(this.world, c);
    if (!r.ok || isObserving(c)) return r;
    const last = this.runs[this.runs.length - 1];
    if (last && sameTick(last.command, c)) last.count++;
    else this.runs.push({ command: c, count: 1 });
    this.length++;
    if (this.every > 0 && this.length % this.every === 0) {
      this.snapshots.push({ at: this.length, snap: copyWorld(this.world) });
      if (this.snapshots.length > this.keep) {
        const half = this.snapshots.length >> 1;
        this.snapshots = this.snapshots.filter((_, i) => i >= half || i % 2 === 1);
      }
    }
    return r;
  }

  /** Apply the commands of the branch from position `from` up to `to` (both within it). */
  private replay(from: number, to: number): void {
    let at = 0;
    for (const r of this.runs) {
      const end = at + r.count;
      for (let p = Math.max(at, from); p < Math.min(end, to); p++) applyCommand(this.world, r.command);
      at = end;
      if (at >= to) break;
    }
  }

  /** Cut the branch to its first `n` commands. */
  private truncate(n: number): void {
    let at = 0;
    let i = 0;
    for (; i < this.runs.length && at + this.runs[i]!.count <= n; i++) at += this.runs[i]!.count;
    if (i < this.runs.length && at < n) {
      this.runs[i] = { command: this.runs[i]!.command, count: n - at };
      i++;
    }
    this.runs.length = i;
    this.length = n;
  }

  /** Step back `n` commands: restore the nearest snapshot, replay forward, drop the rest. */
  back(n: number): StepResult {
    if (this.length === 0) {
      return { ok: false, rejection: { code: 'back/at-start', message: 'back: this is the start of the session, there is nothing to step back over' } };
    }
    const target = Math.max(0, this.length - n);
    while (this.snapshots.length > 0 && this.snapshots[this.snapshots.length - 1]!.at > target) this.snapshots.pop();
    const base = this.snapshots[this.snapshots.length - 1];
    this.world = copyWorld(base ? base.snap : this.first);
    this.replay(base ? base.at : 0, target);
    const went = this.length - target;
    this.truncate(target);
    return { ok: true, events: [], findings: [], dropped: 0, lines: [`back ${went} to step ${this.world.step}${went < n ? ' (the start of the session)' : ''}; a new command starts a new branch`] };
  }
}
