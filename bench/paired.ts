/**
 * Paired rounds, and how their figures are printed. The bench compares two builds on a shared,
 * busy machine: wall time there says more about the neighbours than about the code, so a round is
 * measured in CPU time (`process.cpuUsage()`, user + system, after a full GC), and the two builds
 * alternate — baseline, candidate, baseline, candidate — so a slow minute slows both. A figure is
 * the median of its rounds with their min–max spread; a comparison is the median of the per-pair
 * ratios, which cancels what drifts between pairs.
 */
import type { EngineAdapter } from './adapters/types.js';

export interface Side {
  name: 'baseline' | 'candidate';
  adapter: EngineAdapter;
}

export function gc(): void {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (!collect) throw new Error('the bench needs a GC it can call: run node with --expose-gc');
  collect();
}

/** CPU time (user + system) of `f`, in microseconds. */
export function cpuMicros(f: () => void): number {
  const before = process.cpuUsage();
  f();
  const d = process.cpuUsage(before);
  return d.user + d.system;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export interface Paired {
  baseline: number[];
  candidate: number[];
  /** candidate / baseline, pair by pair. */
  ratios: number[];
}

/**
 * `pairs` pairs of rounds, baseline first in each. `round` returns the figure of one round (a
 * time per operation, a rate); it is called after a full GC.
 */
export function pairedRounds(sides: readonly [Side, Side], pairs: number, round: (side: Side, index: number) => number): Paired {
  const out: Paired = { baseline: [], candidate: [], ratios: [] };
  for (let i = 0; i < pairs; i++) {
    const figures = sides.map((side) => {
      gc();
      const v = round(side, i);
      out[side.name].push(v);
      return v;
    });
    out.ratios.push(figures[1]! / figures[0]!);
  }
  return out;
}

/**
 * Time per operation in paired rounds. Each round repeats `op` enough times to last about
 * `roundMicros` of CPU (the same count on both sides, set from a warm-up), so the clock's
 * granularity does not matter.
 */
export function pairedPerOp(sides: readonly [Side, Side], pairs: number, ops: Map<Side, () => void>, roundMicros = 300_000): Paired & { repeats: number } {
  let slowest = 0;
  for (const side of sides) {
    // Warm-up: at least three operations and a third of a round.
    const op = ops.get(side)!;
    const start = process.cpuUsage();
    let n = 0;
    let us = 0;
    do {
      op();
      n++;
      us = sumMicros(process.cpuUsage(start));
    } while (n < 3 || us < roundMicros / 3);
    slowest = Math.max(slowest, us / n);
  }
  const repeats = Math.max(1, Math.min(100_000, Math.ceil(roundMicros / slowest)));
  const paired = pairedRounds(sides, pairs, (side) => {
    const op = ops.get(side)!;
    return cpuMicros(() => {
      for (let i = 0; i < repeats; i++) op();
    }) / repeats;
  });
  return { ...paired, repeats };
}

function sumMicros(u: NodeJS.CpuUsage): number {
  return u.user + u.system;
}

// --- Printing ------------------------------------------------------------------------------

export const int = (n: number): string => Math.round(n).toLocaleString('en');

/** A number with about three significant digits. */
export function num(n: number): string {
  const a = Math.abs(n);
  if (a >= 100 || Number.isInteger(n)) return int(n);
  if (a >= 10) return n.toFixed(1);
  if (a >= 1) return n.toFixed(2);
  return n.toPrecision(2);
}

/** Microseconds, in the unit that reads best. */
export function micros(us: number): string {
  if (us >= 1e6) return `${num(us / 1e6)} s`;
  if (us >= 1e3) return `${num(us / 1e3)} ms`;
  return `${num(us)} µs`;
}

export const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

/** `median (min–max)` of a figure's rounds. */
export function spread(xs: readonly number[], fmt: (n: number) => string): string {
  if (xs.length === 1) return `${fmt(xs[0]!)} (one round)`;
  return `${fmt(median(xs))} (${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))})`;
}

/** The baseline and candidate lines of a paired figure, and the per-pair ratio. */
export function pairedLines(p: Paired, fmt: (n: number) => string, what: string): string[] {
  return [
    `  baseline   ${spread(p.baseline, fmt)}${what}`,
    `  candidate  ${spread(p.candidate, fmt)}${what}; candidate/baseline ${spread(p.ratios, (r) => r.toFixed(2))}`,
  ];
}

export interface Aim {
  /** `>=` a rate, `<=` a time or a ratio. */
  op: '>=' | '<=';
  target: number;
  fmt: (n: number) => string;
  /** A ratio's shortfall reads as a factor only, not as a difference. */
  ratio?: boolean;
}

/** The aim beside the figure: met, or by how much it is missed. Never fails. */
export function aimText(value: number, aim: Aim): string {
  const met = aim.op === '>=' ? value >= aim.target : value <= aim.target;
  const head = `aim ${aim.op} ${aim.fmt(aim.target)}`;
  if (met) return `${head}: met`;
  const factor = aim.op === '>=' ? aim.target / value : value / aim.target;
  const by = `${factor.toFixed(1)}x ${aim.op === '>=' ? 'short' : 'over'}`;
  if (aim.ratio) return `${head}: missed (${by})`;
  return `${head}: missed by ${aim.fmt(Math.abs(value - aim.target))} (${by})`;
}
