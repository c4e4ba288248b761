/**
 * Writes to the per-CPU EL0 access controls, done in one place so that every grant records on
 * whose behalf it was made: `write_sysreg(..., pmuserenr_el0)` and the PMSELR_EL0 state that
 * nothing in Linux saves or restores.
 */
import { logEvent } from './log.js';
import type { Cpu, World } from './world.js';

export const USERENR_EN = 1 << 0;
export const USERENR_SW = 1 << 1;
export const USERENR_CR = 1 << 2;
export const USERENR_ER = 1 << 3;

export function userenrName(value: number): string {
  const bits = [
    [USERENR_EN, 'EN'],
    [USERENR_SW, 'SW'],
    [USERENR_CR, 'CR'],
    [USERENR_ER, 'ER'],
  ] as const;
  const names = bits.filter(([bit]) => value & bit).map(([, name]) => name);
  return names.length === 0 ? '0' : names.join('|');
}

export interface GrantReason {
  forMm: number | null;
  forPid: number | null;
  by: string;
}

/** Write PMUSERENR_EL0; a write that changes neither the bits nor the beneficiary is silent. */
export function writePmuserenr(world: World, cpu: Cpu, value: number, why: GrantReason): void {
  const same =
    cpu.pmuserenr === value &&
    (value === 0 || (cpu.grant !== null && cpu.grant.forMm === why.forMm && cpu.grant.forPid === why.forPid));
  if (same) return;
  cpu.pmuserenr = value;
  if (value === 0) {
    cpu.grant = null;
  } else {
    world.grantSeq++;
    cpu.grant = { seq: world.grantSeq, forMm: why.forMm, forPid: why.forPid, by: why.by };
  }
  const whom = value === 0 ? '' : why.forMm === null ? ` for pid ${why.forPid}` : ` for mm ${why.forMm}`;
  logEvent(world, cpu.id, 'sysreg', `PMUSERENR_EL0 = ${userenrName(value)}${whom} (${why.by})`);
}

export function writePmselr(world: World, cpu: Cpu, value: number, writer: number | null, by: string): void {
  cpu.pmselr = value & 0x1f;
  cpu.pmselrWriter = writer;
  logEvent(world, cpu.id, 'sysreg', `PMSELR_EL0 = ${cpu.pmselr} (${by})`);
}
