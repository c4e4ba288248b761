/**
 * 64-bit register arithmetic on bigint: masks, wrap-around and the sign extension that the
 * userspace read protocol needs (`perf_mmap__read_self`).
 */

export const u64Mask = (1n << 64n) - 1n;

export function maskOf(width: number): bigint {
  return (1n << BigInt(width)) - 1n;
}

/** A value as an unsigned 64-bit register holds it. */
export function u64(value: bigint): bigint {
  return value & u64Mask;
}

/** Interpret the low `width` bits as a signed number (shift left, arithmetic shift right). */
export function signExtend(raw: bigint, width: number): bigint {
  const w = BigInt(width);
  const low = raw & maskOf(width);
  return low >= 1n << (w - 1n) ? low - (1n << w) : low;
}

/** A u64 as the signed value C's %lld prints. */
export function s64(v: bigint): bigint {
  return BigInt.asIntN(64, v);
}

export function hex(value: bigint | number): string {
  return '0x' + value.toString(16);
}
