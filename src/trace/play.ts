/**
 * A trace made by playing commands into a fresh world (the engine is deterministic, so it is
 * the run, step for step) and handing each step's result to the builder (build.ts): what
 * `run --trace`, `save --trace` and explore write. Done in pieces, as a `save` is, so the
 * playground stays answering while a long session is traced.
 */
import type { Command } from '../engine/command.js';
import { ticksPerCommand } from '../engine/limits.js';
import { applyCommand } from '../engine/step.js';
import { PieceSizer, PiecesWork, finish } from '../engine/work.js';
import { type Config, createWorld } from '../engine/world.js';
import { TraceBuilder } from './build.js';
import { type TraceFile, traceJson } from './trace-event.js';

/** A `tick N` of at most this many ticks is traced tick by tick (counters sampled after each). */
export const tickByTickMax = 1000;

/**
 * A longer one goes in pieces of this many ticks, each a step of the trace (its events placed
 * at their ticks, the counters sampled at its end): few enough that the engine's log keeps every
 * event of a piece (`logLinesMax` a step) in any but a world of overflows, and a fixed number,
 * so the trace does not depend on how fast the pieces ran.
 */
export const longTickPiece = 100;

/**
 * Play `commands` into a fresh world with `config`, building the trace as it goes, a piece at a
 * time (yields the steps done). A rejected command ends the trace there. A `tick N` is applied
 * one tick at a time, or `longTickPiece` at a time, which leaves the same world.
 */
function* tracePieces(config: Config, commands: readonly Command[]): Generator<number, TraceFile> {
  const world = createWorld(config);
  const builder = new TraceBuilder(config);
  let done = 0;
  const apply = (c: Command): boolean => {
    const r = applyCommand(world, c);
    if (r.ok) builder.add(c, r, world);
    return r.ok;
  };
  for (const c of commands) {
    let ok = true;
    if (c.kind === 'tick') {
      for (let left = c.n; left > 0 && ok; ) {
        const k = c.n <= tickByTickMax ? 1 : Math.min(left, longTickPiece);
        ok = apply({ kind: 'tick', n: k });
        left -= k;
        done += k;
        if (left > 0) yield done;
      }
    } else {
      ok = apply(c);
      done++;
    }
    if (!ok) break;
    yield done;
  }
  return builder.finish(world);
}

/** The trace of `commands` played into a fresh world, as `out` makes it, done in pieces. */
function traceWork<T>(config: Config, commands: readonly Command[], out: (file: TraceFile) => T): PiecesWork<T> {
  const sizer = new PieceSizer(ticksPerCommand(config));
  const steps = commands.reduce((sum, c) => sum + (c.kind === 'tick' ? c.n : 1), 0);
  function* pieces(): Generator<number, T> {
    return out(yield* tracePieces(config, commands));
  }
  return new PiecesWork(pieces(), steps, sizer);
}

/** The trace of `commands` played into a fresh world with `config`. */
export function traceOf(config: Config, commands: readonly Command[]): TraceFile {
  return finish(traceWork(config, commands, (file) => file));
}

/** The trace's file text, done in pieces (the playground's `save --trace` of a long session). */
export function traceTextWork(config: Config, commands: readonly Command[]): PiecesWork<string> {
  return traceWork(config, commands, traceJson);
}
