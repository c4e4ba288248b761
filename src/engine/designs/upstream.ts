/**
 * `upstream`: what Linux merged in 5.17, as it stands in 6.1 — KERNEL.md §5.3. No per-mm
 * count, no mmap hooks, no switch_mm hook. `kernel.perf_user_access` (default 0) gates access;
 * an event asks for it with `attr.config1` bit 1 (the `user` word) and for 64 bits with bit 0
 * (`__armv8_pmuv3_map_event`); `list_add_event` counts such events in `ctx->nr_user`; and
 * `armv8pmu_start()` — run only while a counter is in use — zeroes the unused counters and
 * sets ER|CR when the sysctl is on and the current task's context has `nr_user > 0`, else 0.
 * Writing 0 to the sysctl clears PMUSERENR_EL0 on every CPU by IPI. No PMSELR or AArch32 care.
 */
import type { Reg } from '../command.js';
import { onEachCpu } from '../ipi.js';
import { USERENR_CR, USERENR_ER, userenrName, writePmuserenr } from '../sysreg.js';
import type { KnobName } from '../knobs.js';
import type { Cpu, Ipi, PerfEvent, Task, World } from '../world.js';
import { viaIpi } from '../events.js';
import { type Design, type Errno, armIndex, armMayAccess, armWrite, currentTask, isCounter, noHooks, nrUser, zeroUnusedCounters } from './design.js';

/** `__armv8_pmuv3_map_event`: the checks on a user-access request. */
export function upstreamOpen(world: World, ev: PerfEvent): Errno | null {
  ev.readable = false;
  if (!ev.userRequest) return null;
  if (ev.owner === null) return 'EINVAL'; // only task-bound events may ask
  if (ev.is64 && ev.type !== 'cycles' && !world.config.longCounters) return 'EOPNOTSUPP';
  ev.readable = true;
  return null;
}

/** `armv8pmu_get_event_idx`: a 64-bit user cycles event needs the cycle counter itself. */
export function upstreamAddError(world: World, cpu: Cpu, ev: PerfEvent): Errno | null {
  const wantsCycleCounter = ev.readable && ev.is64 && ev.type === 'cycles' && !world.config.longCounters;
  return wantsCycleCounter && cpu.cycleCounter.event !== null ? 'EAGAIN' : null;
}

/** `armv8pmu_enable_user_access` / `armv8pmu_disable_user_access`, as start() chooses. */
function upstreamStart(world: World, cpu: Cpu): void {
  const task = currentTask(world, cpu);
  if (world.knobs.perf_user_access === 1 && task && nrUser(world, task) > 0) {
    zeroUnusedCounters(cpu);
    writePmuserenr(world, cpu, USERENR_ER | USERENR_CR, { forMm: task.mm, forPid: task.pid, by: { fn: `armv8pmu_start: task ${task.pid} has nr_user ${nrUser(world, task)}` } });
  } else {
    writePmuserenr(world, cpu, 0, { forMm: null, forPid: null, by: { fn: 'armv8pmu_start' } });
  }
}

/** `perf_user_access` handler: 0 clears every CPU by IPI; 1 waits for the next start(). */
function perfUserAccessChanged(world: World, _knob: KnobName, value: number): void {
  if (value === 0) onEachCpu(world, null, null, 'clear_pmuserenr', null, null);
}

function clearOnIpi(world: World, cpu: Cpu, ipi: Ipi): void {
  writePmuserenr(world, cpu, 0, { forMm: null, forPid: null, by: viaIpi('IPI armv8pmu_disable_user_access', ipi) });
}

export function upstreamIndex(world: World, ev: PerfEvent): number {
  if (world.knobs.perf_user_access === 0 || !ev.readable) return 0;
  return armIndex(ev);
}

export function upstreamEntitled(world: World, task: Task): boolean {
  return world.knobs.perf_user_access === 1 && nrUser(world, task) > 0;
}

/** Upstream's event rules, which hardened keeps: open checks, no chaining for user-readable
 * events, -EAGAIN at add, what the user page says, no mm_cpumask. */
export const upstreamEvents = {
  open: upstreamOpen,
  mayChain: (ev: PerfEvent) => !ev.readable,
  addError: upstreamAddError,
  eventIndex: upstreamIndex,
  capUserRdpmc: (_world: World, ev: PerfEvent) => ev.readable,
  pmcWidth: (_world: World, ev: PerfEvent) => (ev.readable ? (ev.is64 ? 64 : 32) : 0),
  maintainsCpumask: () => false,
};

export const upstream: Design = {
  ...noHooks,
  name: 'upstream',
  summary: 'Linux 5.17-6.1: perf_user_access sysctl, config1 opt-in, access set in armv8pmu_start',
  ...upstreamEvents,
  pmuStart: upstreamStart,
  runIpi: (world, cpu, ipi) => clearOnIpi(world, cpu, ipi),
  entitled: upstreamEntitled,
  promises: (world, _cpu, task, reg: Reg) => isCounter(reg) && upstreamEntitled(world, task),
  mayAccess: (_world, cpu, reg) => armMayAccess(cpu.pmuserenr, reg),
  el0Write: (_world, cpu, reg) => armWrite(cpu.pmuserenr, reg),
  accessBits: (cpu) => cpu.pmuserenr,
  accessName: (cpu) => userenrName(cpu.pmuserenr),
  knobs: ['perf_user_access'],
  knobChanged: perfUserAccessChanged,
};
