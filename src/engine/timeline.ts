/**
 * A session's history: the world, the commands that changed it (the current branch), and
 * snapshots taken every `every` commands, so `back N` restores the nearest snapshot at or
 * before the target and replays at most `every` commands — O(every), not O(session). Only
 * `keep` snapshots besides the first are held (the oldest go), so memory stays bounded; going
 * back further than the oldest kept snapshot replays from the start.
 */
import type { Command } from './command.js';
import { copyWorld } from './snapshot.js';
import { type StepResult, applyCommand, isObserving } from './step.js';
import { type Config, type World, createWorld } from './world.js';

export const snapshotEveryDefault = 256;
export const snapshotsKeptDefault = 64;

export class Timeline {
  world: World;
  /** Commands that changed the world, in order, on the current branch. */
  private done: Command[] = [];
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
    return this.done.length;
  }

  /** The world-changing commands of the current branch, oldest first. */
  history(): Command[] {
    return [...this.done];
  }

  get snapshotCount(): number {
    return this.snapshots.length + 1;
  }

  apply(c: Command): StepResult {
    if (c.kind === 'back') return this.back(c.n);
    const r = applyCommand(this.world, c);
    if (!r.ok || isObserving(c)) return r;
    this.done.push(c);
    if (this.every > 0 && this.done.length % this.every === 0) {
      this.snapshots.push({ at: this.done.length, snap: copyWorld(this.world) });
      if (this.snapshots.length > this.keep) this.snapshots.shift();
    }
    return r;
  }

  /** Step back `n` commands: restore the nearest snapshot, replay forward, drop the rest. */
  back(n: number): StepResult {
    if (this.done.length === 0) {
      return { ok: false, rejection: { code: 'back/at-start', message: 'back: this is the start of the session, there is nothing to step back over' } };
    }
    const target = Math.max(0, this.done.length - n);
    while (this.snapshots.length > 0 && this.snapshots[this.snapshots.length - 1]!.at > target) this.snapshots.pop();
    const base = this.snapshots[this.snapshots.length - 1];
    this.world = copyWorld(base ? base.snap : this.first);
    for (const c of this.done.slice(base ? base.at : 0, target)) applyCommand(this.world, c);
    const went = this.done.length - target;
    this.done = this.done.slice(0, target);
    return { ok: true, events: [], findings: [], dropped: 0, lines: [`back ${went} to step ${this.world.step}${went < n ? ' (the start of the session)' : ''}; a new command starts a new branch`] };
  }
}
