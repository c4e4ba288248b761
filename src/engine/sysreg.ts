/**
 * Writes to the per-CPU EL0 access controls, done in one place so that every grant records on
 * whose behalf it was made: `write_sysreg(..., pmuserenr_el0)` and the PMSELR_EL0 state that
 * nothing in Linux saves or restores.
 */
import type { Cause } from './events.js';
import { USERENR_EN, userenrName } from './userenr.js';

export interface GrantReason {
  forMm: number | null;
  forPid: number | null;
  by: Cause;
}

export { USERENR_CR, USERENR_EN, USERENR_ER, USERENR_SW, USERENR_UEN, userenrName } from './userenr.js';
import { logEvent } from './log.js';
import type { Cpu, World } from './world.js';

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
    cpu.grant = { seq: world.grantSeq, forMm: why.forMm, forPid: why.forPid, step: world.step, write: what, by: why.by };
  }
  logEvent(world, cpu.id, { kind: 'sysreg', what: 'access', write: what, on, forMm: why.forMm, forPid: why.forPid, by: why.by });
}

/** Write PMUSERENR_EL0 (a grant also sets EN under the what-if `userenr-en`). */
export function writePmuserenr(world: World, cpu: Cpu, value: number, why: GrantReason): void {
  const bits = value !== 0 && world.faults.has('userenr-en') ? value | USERENR_EN : value;
  const same = cpu.pmuserenr === bits;
  cpu.pmuserenr = bits;
  regrant(world, cpu, bits !== 0, same, why, `PMUSERENR_EL0 = ${userenrName(bits)}`);
}

export function writePmselr(world: World, cpu: Cpu, value: number, writer: number | null, by: string): void {
  cpu.pmselr = value & 0x1f;
  cpu.pmselrWriter = writer;
  logEvent(world, cpu.id, { kind: 'sysreg', what: 'pmselr', value: cpu.pmselr, writer, by });
}
