/**
 * The arithmetic of counter wraps for the closed form (overflow.ts): when a counter that is
 * preset again at each overflow (`armpmu_event_set_period`) wraps, given the task's fixed
 * instruction rate. Pure bigint arithmetic, no world.
 */
/** Instructions retired after `c` cycles at `q` per 4 cycles (cycles themselves: q = 4). */
export function eventsAt(c: bigint, q: bigint): bigint {
  return (c * q) / 4n;
}

/** The first cycle by which `target` events have happened. */
export function cycleAt(target: bigint, q: bigint): bigint {
  return (target * 4n + q - 1n) / q;
}

/**
 * The wraps of one counter: the k-th (k = 0, 1, ...) is due when the task's event count reaches
 * first + k * dist. `armpmu_event_set_period` takes what the counter overshot a wrap by (the
 * interrupt comes at the end of the cycle that reached it) out of the next period, through
 * `period_left`: so the wraps stay exactly `dist` (max_period) events apart, overshoots and
 * all, and every question below is O(1).
 */
export class Orbit {
  constructor(readonly first: bigint, readonly dist: bigint, readonly q: bigint) {}

  /** The event count at which the k-th wrap is due. */
  due(k: bigint): bigint {
    return this.first + k * this.dist;
  }

  /** The cycle of the k-th wrap (the interrupt comes at the end of it). */
  cycle(k: bigint): bigint {
    return cycleAt(this.due(k), this.q);
  }

  /** The event count when the k-th wrap's interrupt is taken, overshoot included. */
  after(k: bigint): bigint {
    return eventsAt(this.cycle(k), this.q);
  }

  /** How many wraps are due by event count `end`. */
  countBy(end: bigint): bigint {
    return this.first > end ? 0n : (end - this.first) / this.dist + 1n;
  }
}
