/**
 * Long work done a piece at a time, so a caller with an event loop (the playground) can show
 * progress between pieces, answer keys and signals, and give up. The engine reads no clock of
 * its own: the caller passes one. Pieces of ticks are sized from how long the last ones took;
 * `tick a` then `tick b` leaves the world `tick a+b` leaves, so where the cuts fall changes
 * nothing but the time between answers.
 */

/** A clock in milliseconds. */
export type Clock = () => number;

export interface Work<T> {
  /** Work until the clock reaches `deadline` (at least one piece); true when finished. */
  runUntil(now: Clock, deadline: number): boolean;
  /** What the work gave, once finished. */
  readonly result: T | null;
  readonly done: number;
  readonly total: number;
}

/** How many ticks the next piece should be, from the time the last ones took. */
export class PieceSizer {
  size = 16;

  constructor(private readonly most: number) {}

  /** `units` took `ms`; `left` ms remain before the deadline. */
  took(units: number, ms: number, left: number): void {
    const perUnit = ms / Math.max(1, units);
    const fit = perUnit > 0 ? Math.floor(left / 2 / perUnit) : this.size * 2;
    this.size = Math.max(1, Math.min(this.most, fit, this.size * 2));
  }
}

/**
 * Work from a generator that does one piece per `next()`, yields how much is done, and
 * returns the result. Giving up is dropping it.
 */
export class PiecesWork<T> implements Work<T> {
  result: T | null = null;
  done = 0;

  constructor(
    private readonly pieces: Generator<number, T>,
    readonly total: number,
    private readonly sizer: PieceSizer,
  ) {}

  runUntil(now: Clock, deadline: number): boolean {
    if (this.result !== null) return true;
    for (;;) {
      const t0 = now();
      const before = this.done;
      const next = this.pieces.next();
      if (next.done) {
        this.result = next.value;
        return true;
      }
      this.done = next.value;
      const t1 = now();
      this.sizer.took(this.done - before, t1 - t0, deadline - t1);
      if (t1 >= deadline) return false;
    }
  }
}

/** Run work to its end at once (headless callers, tests). */
export function finish<T>(work: Work<T>): T {
  work.runUntil(() => 0, Infinity);
  return work.result!;
}
