/**
 * A session's history: the world, the steps that changed it (the current branch), and
 * snapshots (world copies, snapshot.ts) taken whenever a command crosses a multiple of
 * `every` steps (a long `tick N` gets one, at its end), so `back N` restores the nearest
 * snapshot at or before the target and replays from there.
 *
 * Positions count steps, as `world.step` does: a `tick N` is N steps, any other command that
 * changes the world is one, and narration and checks are none. So `back N` means the same
 * live and in a file: N steps back, into the middle of a `tick N` if need be.
 *
 * At most `keep` snapshots besides the first are held: when there are more, every other one
 * in the older half goes, so old history keeps landmarks that grow sparser with age. Ticks are
 * kept as runs (a count), so a run mode's millions of ticks cost one entry: memory stays
 * flat. A long `tick N` and a far `back` can be long work: `tickWork` and `backWork` do them
 * a piece at a time (work.ts), so a caller can show progress or give up; a `back` changes
 * nothing until it finishes.
 */
import type { Command } from './command.js';
import type { Finding, LogEntry } from './events.js';
import { findingsKeptMax, logLinesMax, ticksPerCommand } from './limits.js';
import { copyWorld } from './snapshot.js';
import { type StepResult, applyCommand, isObserving } from './step.js';
import { validate } from './validate.js';
import { PieceSizer, PiecesWork, finish } from './work.js';
import { type Config, type World, createWorld } from './world.js';

/** A world copy costs about as much as a few commands: one every 128 keeps `back 1` short. */
export const snapshotEveryDefault = 128;
export const snapshotsKeptDefault = 64;

/** The one entry a tick is kept as: runs of it hold a count. */
const oneTick: Command = Object.freeze({ kind: 'tick', n: 1 });

export class Timeline {
  world: World;
  /**
   * The branch's steps, as runs: `counts[i]` times `runs[i]` in a row (only ticks are ever
   * gathered; any other command is a run of one). Two flat arrays, no object per entry.
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

  /** How many steps the current branch holds (the world's step, counted from the start). */
  get position(): number {
    return this.length;
  }

  /** The most ticks one command may take in this world. */
  get ticksPerCommand(): number {
    return ticksPerCommand(this.config);
  }

  /** The branch as commands a file can hold, oldest first: tick runs as `tick N` lines. */
  history(): Command[] {
    const out: Command[] = [];
    const most = this.ticksPerCommand;
    this.runs.forEach((c, i) => {
      if (c !== oneTick) out.push(c);
      else for (let left = this.counts[i]!; left > 0; left -= most) out.push({ kind: 'tick', n: Math.min(left, most) });
    });
    return out;
  }

  /** The newest world-changing command of the branch (a tick run as one tick). */
  lastCommand(): Command | undefined {
    return this.runs[this.runs.length - 1];
  }

  get snapshotCount(): number {
    return this.snapshots.length + 1;
  }

  apply(c: Command): StepResult {
    if (c.kind === 'back') return this.back(c.n);
    const r = applyCommand(this.world, c);
    if (r.ok && !isObserving(c)) this.record(c);
    return r;
  }

  private record(c: Command): void {
    const steps = c.kind === 'tick' ? c.n : 1;
    const last = this.runs.length - 1;
    if (c.kind === 'tick' && last >= 0 && this.runs[last] === oneTick) this.counts[last]! += steps;
    else {
      this.runs.push(c.kind === 'tick' ? oneTick : c);
      this.counts.push(steps);
    }
    const before = this.length;
    this.length += steps;
    if (this.every > 0 && Math.floor(this.length / this.every) > Math.floor(before / this.every)) {
      this.snapshots.push({ at: this.length, snap: copyWorld(this.world) });
      if (this.snapshots.length > this.keep) {
        const half = this.snapshots.length >> 1;
        this.snapshots = this.snapshots.filter((_, i) => i >= half || i % 2 === 1);
      }
    }
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

  /**
   * Apply the branch's steps from position `from` up to `to` to `world`, yielding the position
   * reached after each piece: one command, or at most `piece()` ticks.
   */
  private *replaying(world: World, from: number, to: number, piece: () => number): Generator<number> {
    if (from >= to) return;
    let { i, start: at } = this.runAt(from);
    for (; i < this.runs.length && at < to; i++) {
      const end = Math.min(at + this.counts[i]!, to);
      let p = Math.max(at, from);
      while (p < end) {
        const n = this.runs[i] === oneTick ? Math.min(end - p, piece()) : 1;
        applyCommand(world, n === 1 ? this.runs[i]! : { kind: 'tick', n });
        p += n;
        yield p;
      }
      at += this.counts[i]!;
    }
  }

  /**
   * `tick n` as work done in pieces. Each piece is a `tick k` on the branch as it ends, so
   * giving up keeps the ticks done; `onPiece` hears of each (the recorder).
   */
  tickWork(n: number, onPiece?: (ticks: number) => void, untilFinding = false): PiecesWork<StepResult> | Extract<StepResult, { ok: false }> {
    // Until a finding, it is a tick at a time: each is checked as a tick 1 (a world too big for
    // a tick of n at once still looks that far).
    const refused = validate(this.world, { kind: 'tick', n: untilFinding ? 1 : n });
    if (refused) return { ok: false, rejection: refused };
    const sizer = new PieceSizer(this.ticksPerCommand);
    return new PiecesWork(this.tickPieces(n, sizer, onPiece, untilFinding), n, sizer);
  }

  /** `untilFinding`: a tick at a time, ending after the first that finds something. */
  private *tickPieces(n: number, sizer: PieceSizer, onPiece: ((ticks: number) => void) | undefined, untilFinding: boolean): Generator<number, StepResult> {
    const events: LogEntry[] = [];
    const findings: Finding[] = [];
    let dropped = 0;
    let lines: string[] = [];
    for (let done = 0; done < n && !(untilFinding && findings.length > 0); ) {
      const k = untilFinding ? 1 : Math.min(n - done, sizer.size);
      const r = this.apply({ kind: 'tick', n: k });
      if (!r.ok) return r;
      onPiece?.(k);
      done += k;
      // What the whole tick did, as one result: the newest events and findings, and the
      // lines of the last piece (the tick it ended at, and what settled).
      events.push(...r.events);
      findings.push(...r.findings);
      dropped += r.dropped + Math.max(0, events.length - logLinesMax);
      if (events.length > logLinesMax) events.splice(0, events.length - logLinesMax);
      lines = r.lines;
      yield done;
    }
    return { ok: true, lines, events, findings: findings.slice(-findingsKeptMax), dropped };
  }

  /** Cut the branch to its first `n` steps. */
  private truncate(n: number): void {
    if (n < this.length) {
      const { i, start } = this.runAt(n);
      const keep = start < n ? i + 1 : i;
      if (start < n) this.counts[i] = n - start;
      this.runs.length = keep;
      this.counts.length = keep;
    }
    this.length = n;
    while (this.snapshots.length > 0 && this.snapshots[this.snapshots.length - 1]!.at > n) this.snapshots.pop();
  }

  /** Step back `n` steps, at once. */
  back(n: number): StepResult {
    const work = this.backWork(n);
    return 'rejection' in work ? work : finish(work);
  }

  /**
   * Step back `n` steps as work done in pieces: restore the nearest snapshot into a copy,
   * replay forward to the target, and only then make it the world and drop the steps after
   * it. Until then the timeline is as it was; a caller that gives up just drops the work.
   */
  backWork(n: number): PiecesWork<StepResult> | Extract<StepResult, { ok: false }> {
    if (this.length === 0) {
      return { ok: false, rejection: { code: 'back/at-start', message: 'back: this is the start of the session, there is nothing to step back over' } };
    }
    const target = Math.max(0, this.length - n);
    let base: { at: number; snap: World } | undefined;
    for (let k = this.snapshots.length - 1; k >= 0 && !base; k--) if (this.snapshots[k]!.at <= target) base = this.snapshots[k];
    const from = base ? base.at : 0;
    const world = copyWorld(base ? base.snap : this.first);
    const sizer = new PieceSizer(this.ticksPerCommand);
    return new PiecesWork(this.backPieces(world, from, target, n, sizer), target - from, sizer);
  }

  private *backPieces(world: World, from: number, target: number, n: number, sizer: PieceSizer): Generator<number, StepResult> {
    const length = this.length;
    for (const at of this.replaying(world, from, target, () => sizer.size)) yield at - from;
    if (this.length !== length) throw new Error('engine bug: the timeline changed while a back was under way');
    this.world = world;
    const went = this.length - target;
    this.truncate(target);
    return { ok: true, events: [], findings: [], dropped: 0, lines: [`back ${went} step${went === 1 ? '' : 's'} to step ${world.step}${went < n ? ' (the start of the session)' : ''}; a new command starts a new branch`] };
  }
}
