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

/** How far a counter overshoots a wrap due when the task's event count reaches `target`:
 * depends on target mod q only (target = q*a + r: the wrap cycle is 4a + cycleAt(r)). */
function overshoot(r: bigint, q: bigint): bigint {
  return eventsAt(cycleAt(r, q), q) - r;
}

/**
 * The wraps of one counter: the k-th (k = 0, 1, ...) is due when the task's event count reaches
 * S(k), where S(0) is set by the counter's value now and S(k+1) = S(k) + o(k) + dist (o(k) the
 * overshoot, dist the preset's distance to the wrap). The residues S(k) mod q follow a map on
 * at most q values, so they enter a cycle within q steps: S(k) and the sum of overshoots are
 * O(q) to set up and O(1) to evaluate for any k.
 */
export class Orbit {
  private readonly residues: bigint[] = [];
  /** prefix[j] = o(0) + ... + o(j-1) over the listed residues. */
  private readonly prefix: bigint[] = [0n];
  private readonly tail: bigint;
  private readonly loop: bigint;
  /** The largest overshoot (1 at most while ipcQuarters <= 8). */
  private readonly overshootMax: bigint = 0n;

  constructor(readonly first: bigint, readonly dist: bigint, readonly q: bigint) {
    const seen = new Map<bigint, number>();
    let r = first % q;
    while (!seen.has(r)) {
      seen.set(r, this.residues.length);
      this.residues.push(r);
      const o = overshoot(r, q);
      this.prefix.push(this.prefix.at(-1)! + o);
      if (o > this.overshootMax) this.overshootMax = o;
      r = (r + o + dist) % q;
    }
    this.tail = BigInt(seen.get(r)!);
    this.loop = BigInt(this.residues.length) - this.tail;
  }

  /** o(0) + ... + o(k-1). */
  overshoots(k: bigint): bigint {
    const { tail, loop, prefix } = this;
    if (k <= tail) return prefix[Number(k)]!;
    const t = Number(tail);
    const per = prefix[t + Number(loop)]! - prefix[t]!;
    const rem = Number((k - tail) % loop);
    return prefix[t]! + ((k - tail) / loop) * per + (prefix[t + rem]! - prefix[t]!);
  }

  /** The event count at which the k-th wrap is due. */
  due(k: bigint): bigint {
    return this.first + k * this.dist + this.overshoots(k);
  }

  /** The cycle of the k-th wrap (the interrupt comes at the end of it). */
  cycle(k: bigint): bigint {
    return cycleAt(this.due(k), this.q);
  }

  /** The event count right after the k-th wrap, overshoot included. */
  after(k: bigint): bigint {
    return this.due(k + 1n) - this.dist;
  }

  /** How many wraps are due by event count `end`. */
  countBy(end: bigint): bigint {
    if (this.first > end) return 0n;
    // S(k) grows by dist to dist + overshootMax a step: the last k due lies in a short range.
    let lo = (end - this.first) / (this.dist + this.overshootMax);
    let hi = (end - this.first) / this.dist + 1n;
    while (hi - lo > 1n) {
      const mid = (lo + hi) / 2n;
      if (this.due(mid) <= end) lo = mid;
      else hi = mid;
    }
    return lo + 1n;
  }
}
