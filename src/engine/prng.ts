/**
 * The world's only source of randomness: sfc32, a small fast generator whose whole state is
 * four 32-bit words kept in the world, so a snapshot or a replay carries it along.
 */

export type PrngState = [number, number, number, number];

export function seedPrng(seed: number): PrngState {
  const state: PrngState = [0x9e3779b9, 0x243f6a88, 0xb7e15162, seed >>> 0];
  // Mix the seed in before the first output is used.
  for (let i = 0; i < 12; i++) nextU32(state);
  return state;
}

export function nextU32(s: PrngState): number {
  const t = (((s[0] + s[1]) >>> 0) + s[3]) >>> 0;
  s[3] = (s[3] + 1) >>> 0;
  s[0] = s[1] ^ (s[1] >>> 9);
  s[1] = (s[2] + (s[2] << 3)) >>> 0;
  s[2] = ((s[2] << 21) | (s[2] >>> 11)) >>> 0;
  s[2] = (s[2] + t) >>> 0;
  return t;
}

/** An integer in [lo, hi]. */
export function nextInt(s: PrngState, lo: number, hi: number): number {
  return lo + (nextU32(s) % (hi - lo + 1));
}
