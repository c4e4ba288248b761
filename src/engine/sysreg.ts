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

export interface GrantReason {
  forMm: number | null;
  forPid: number | null;
  by: string;
}

export const USERENR_UEN = 1 << 4;

function pmuacrName(mask: number): string {
  const parts: string[] = [];
  for (let n = 0; n < 31; n++) if (mask & (1 << n)) parts.push(`P${n}`);
  if (mask & (1 << 31)) parts.push('C');
  return parts.length === 0 ? 'none' : parts.join(',');
}

export function userenrName(value: number, pmuacr = 0): string {
  const bits = [
    [USERENR_EN, 'EN'],
    [USERENR_SW, 'SW'],
    [USERENR_CR, 'CR'],
    [USERENR_ER, 'ER'],
    [USERENR_UEN, 'UEN'],
  ] as const;
  const names = bits.filter(([bit]) => value & bit).map(([, name]) => name);
  if (names.length === 0) return '0';
  return names.join('|') + (value & USERENR_UEN ? ` ${pmuacrName(pmuacr)}` : '');
}

/**
 * Record on whose behalf access now stands, after a write to an access register (PMUSERENR_EL0
 * here, or a design's own: x86's CR4.PCE). A write that changes neither the access nor the
 * beneficiary is silent; `what` describes the new value for the log.
 */
export function regrant(world: World, cpu: Cpu, on: boolean, same: boolean, why: GrantReason, what: string): void {
  const sameFor = cpu.grant !== null && cpu.grant.forMm === why.forMm && cpu.grant.forPid === why.forPid;
  if (same && (!on || sameFor)) return;
  if (!on) cpu.grant = null;
  else {
    world.grantSeq++;
    cpu.grant = { seq: world.grantSeq, forMm: why.forMm, forPid: why.forPid, by: why.by };
  }
  const whom = !on ? '' : why.forMm === null ? ` for pid ${why.forPid}` : ` for mm ${why.forMm}`;
  logEvent(world, cpu.id, 'sysreg', `${what}${whom} (${why.by})`);
}

/** Write PMUSERENR_EL0. */
export function writePmuserenr(world: World, cpu: Cpu, value: number, why: GrantReason): void {
  const same = cpu.pmuserenr === value;
  cpu.pmuserenr = value;
  regrant(world, cpu, value !== 0, same, why, `PMUSERENR_EL0 = ${userenrName(value)}`);
}

export function writePmselr(world: World, cpu: Cpu, value: number, writer: number | null, by: string): void {
  cpu.pmselr = value & 0x1f;
  cpu.pmselrWriter = writer;
  logEvent(world, cpu.id, 'sysreg', `PMSELR_EL0 = ${cpu.pmselr} (${by})`);
}
