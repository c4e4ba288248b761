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

/** A world copy costs about as much as a few commands: one every 128 keeps `back 1` short. */
export const snapshotEveryDefault = 128;
export const snapshotsKeptDefault = 64;

function sameTick(a: Command, b: Command): boolean {
  return a.kind === 'tick' && b.kind === 'tick' && a.n === b.n;
}

export class Timeline {
  world: World;
  /**
   * Commands that changed the world, in order, on the current branch, as runs: `counts[i]`
   * times `runs[i]` in a row (only `tick`s are ever gathered). Two flat arrays, no object per
   * entry: a long session's history costs a pointer and a number a command.
   */
  private runs: Command[] = [];
  private counts: number[] = [];
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
    this.runs.forEach((c, i) => {
      for (let k = 0; k < this.counts[i]!; k++) out.push(c);
    });
    return out;
  }

  /** The newest world-changing command of the branch. */
  lastCommand(): Command | undefined {
    return this.runs[this.runs.length - 1];
  }

  get snapshotCount(): number {
    return this.snapshots.length + 1;
  }

  apply(c: Command): StepResult {
    if (c.kind === 'back') return this.back(c.n);
    const r = applyCommand(this.world, c);
    if (!r.ok || isObserving(c)) return r;
    const last = this.runs.length - 1;
    if (last >= 0 && sameTick(this.runs[last]!, c)) this.counts[last]!++;
    else {
      this.runs.push(c);
      this.counts.push(1);
    }
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

  /**
   * The run holding position `p` (0-based, within the branch) and where that run starts,
   * found from the end: stepping back looks near the end, so this costs the distance, not the
   * session.
   */
  private runAt(p: number): { i: number; start: number } {
    let start = this.length;
    let i = this.runs.length;
    while (i > 0 && start > p) start -= this.counts[--i]!;
    return { i, start };
  }

  /** Apply the commands of the branch from position `from` up to `to` (both within it). */
  private replay(from: number, to: number): void {
    if (from >= to) return;
    let { i, start: at } = this.runAt(from);
    for (; i < this.runs.length && at < to; i++) {
      const end = at + this.counts[i]!;
      for (let p = Math.max(at, from); p < Math.min(end, to); p++) applyCommand(this.world, this.runs[i]!);
      at = end;
    }
  }

  /** Cut the branch to its first `n` commands. */
  private truncate(n: number): void {
    if (n < this.length) {
      const { i, start } = this.runAt(n);
      const keep = start < n ? i + 1 : i;
      if (start < n) this.counts[i] = n - start;
      this.runs.length = keep;
      this.counts.length = keep;
    }
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
