/**
 * What the bench needs from one build of the engine, and nothing more. The bench loads two
 * builds into one process — a baseline commit's `src/` and the working tree's — each through an
 * adapter module that implements this interface against its own API. When the engine's API
 * changes, only the working tree's adapter (`current.ts`) changes; an adapter written for an old
 * commit (`c75e571.ts`) stays as it was, because that commit does not change.
 *
 * Worlds and timelines are opaque to the bench (`W`, `T`). Commands are plain data (the
 * `Command` union of src/engine/command.ts): one build's commands can be fed to the other.
 */

/** The handful of settings the bench varies; everything else is the build's default config. */
export interface BenchConfig {
  cpus: number;
  seed: number;
  cyclesPerTick?: bigint;
}

/** One command of the command language, as plain data. */
export interface BenchCommand {
  readonly kind: string;
}

/** A session: a world, its history, and `back`. */
export interface BenchTimeline {
  /** Apply one command, `back N` included; false when the world rejected it. */
  apply(command: BenchCommand): boolean;
  /** World-changing commands held in the history (the current branch). */
  readonly position: number;
  /** The newest command of the history, to redo after a `back 1`. */
  last(): BenchCommand | undefined;
}

/** Methods, not function properties: an `EngineAdapter<World, Timeline>` is an `EngineAdapter`. */
export interface EngineAdapter<W = unknown, T extends BenchTimeline = BenchTimeline> {
  createWorld(config: BenchConfig): W;
  /** Apply the commands in order; how many the world rejected. */
  applyCommands(world: W, commands: readonly BenchCommand[]): number;
  /** Play script text (one command per line) into the world. */
  playLines(world: W, text: string): void;
  stateHash(world: W): string;
  /** A complete, independent copy of the world: what every snapshot of a session costs. */
  copyWorld(world: W): W;
  /** A fresh session on `config`. */
  newTimeline(config: BenchConfig): T;
  /** The playground's session as it starts: the starter world, as `pmuplay` opens it. */
  starterTimeline(): T;
  /** The seeded workload of src/engine/workload.ts. */
  generateWorkload(options: { seed: number; commands: number; tasks: number; config: BenchConfig }): BenchCommand[];
  /** The recording pmuplay would write of `commands`: header, commands, checkpoints. */
  recordCommands(config: BenchConfig, commands: readonly BenchCommand[]): string;
  /** Replay a recording as `pmuplay run` does, checking every checkpoint. */
  verifyRecording(text: string): { commandLines: number; checkpoints: number; failed: number };
  /** The engine's own counters, where it keeps them (src/engine/stats.ts). */
  engineCounters?(): { machineEvents: number; pmuInterrupts: number };
}
