/**
 * `hardened`: the project's proposal, built on `upstream` — KERNEL.md §5.5. Access is decided
 * every time the PMU is enabled — after a context switch, an event added or removed, an
 * overflow — whether or not a counter is in use (upstream's start() runs only when one is),
 * and after an exec; it is refused to AArch32 tasks; it is per counter (PMUv3.9:
 * PMUSERENR_EL0.UEN with PMUACR_EL1 opening only the counters the task's own events occupy),
 * written as ER|CR|UEN as Linux's `armv8pmu_enable_user_access` does on PMUv3.9: under UEN,
 * CR and ER grant no reads and make EL0 writes to the selected counters ignored, so a task can
 * read but not write its counters (UEN alone would let it write them: the what-if
 * `uen-alone`); PMSELR_EL0 stays closed to EL0 and is zeroed whenever access changes hands.
 */
import type { Reg } from '../command.js';
import { taskArch } from '../lifecycle.js';
import { onEachCpu } from '../ipi.js';
import { USERENR_CR, USERENR_ER, USERENR_UEN, regrant, userenrName, writePmselr, writePmuserenr } from '../sysreg.js';
import type { GrantReason } from '../sysreg.js';
import { type Cause, viaIpi } from '../events.js';
import type { Cpu, Task, World } from '../world.js';
import { type Design, armMayAccess, armWrite, currentTask, noHooks, nrUser, regCounterId, zeroUnusedCounters } from './design.js';
import { upstreamEvents } from './upstream.js';

function hardenedEntitled(world: World, task: Task): boolean {
  return world.knobs.perf_user_access === 1 && taskArch(task) === 'aarch64' && nrUser(world, task) > 0;
}

/** PMUACR_EL1 bits for the counters the task's own active events occupy on this CPU. */
function ownCounters(world: World, cpu: Cpu, task: Task): number {
  let mask = 0;
  for (const id of task.perfContext) {
    const ev = world.events.get(id);
    if (!ev?.readable || ev.activeCpu !== cpu.id || ev.counter === null) continue;
    mask |= 1 << ev.counter;
  }
  return mask >>> 0;
}

/** PMUSERENR_EL0 = ER|CR|UEN (UEN alone under the what-if) with PMUACR_EL1 opening the given
 * counters to EL0 reads. */
function writeUen(world: World, cpu: Cpu, pmuacr: number, why: GrantReason): void {
  const bits = world.faults.has('uen-alone') ? USERENR_UEN : USERENR_ER | USERENR_CR | USERENR_UEN;
  const same = cpu.pmuserenr === bits && cpu.design.pmuacr === pmuacr;
  cpu.pmuserenr = bits;
  cpu.design.pmuacr = pmuacr;
  regrant(world, cpu, true, same, why, `PMUSERENR_EL0 = ${userenrName(bits, pmuacr)}`);
}

function decide(world: World, cpu: Cpu, by: Cause): void {
  const task = currentTask(world, cpu);
  const before = cpu.grant?.forPid ?? null;
  if (task && hardenedEntitled(world, task)) {
    zeroUnusedCounters(cpu);
    writeUen(world, cpu, ownCounters(world, cpu, task), { forMm: task.mm, forPid: task.pid, by });
  } else {
    cpu.design.pmuacr = 0;
    writePmuserenr(world, cpu, 0, { forMm: null, forPid: null, by });
  }
  const after = cpu.grant?.forPid ?? null;
  if (after !== before && (cpu.pmselr !== 0 || cpu.pmselrWriter !== null)) {
    writePmselr(world, cpu, 0, null, 'hardened: access changes hands');
  }
}

export const hardened: Design = {
  ...noHooks,
  name: 'hardened',
  summary: 'our proposal: upstream + decide on every PMU enable and exec, no AArch32, per-counter PMUACR, PMSELR zeroed',
  ...upstreamEvents,
  reconsider: (world, cpu) => decide(world, cpu, { fn: 'hardened: armpmu_enable or exec' }),
  // Decided in reconsider, which armpmu_enable runs right after start().
  pmuStart: () => {},
  runIpi: (world, cpu, ipi) => decide(world, cpu, viaIpi('IPI: perf_user_access changed', ipi)),
  entitled: hardenedEntitled,
  // Only the counters of the task's own events on this CPU are promised.
  promises: (world, cpu, task, reg: Reg) => {
    const id = regCounterId(reg);
    return id !== null && hardenedEntitled(world, task) && (ownCounters(world, cpu, task) & (1 << id)) !== 0;
  },
  mayAccess: (_world, cpu, reg) => armMayAccess(cpu.pmuserenr, reg, cpu.design.pmuacr),
  el0Write: (_world, cpu, reg) => armWrite(cpu.pmuserenr, reg, cpu.design.pmuacr),
  accessBits: (cpu) => cpu.pmuserenr,
  // The one-line driver fix for Linux 6.1's offset after read(2) (demo offset-after-read).
  prevCountSignExtended: true,
  accessName: (cpu) => userenrName(cpu.pmuserenr, cpu.design.pmuacr),
  cpuState: { pmuacr: 0 },
  knobs: ['perf_user_access'],
  // Unlike upstream, a change either way re-decides every CPU at once (by IPI).
  knobChanged: (world) => {
    onEachCpu(world, null, null, 'refresh_pmuserenr', null, null);
  },
};
