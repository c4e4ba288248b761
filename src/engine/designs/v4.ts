/**
 * `v4`: the patch under review (arm64, October 2020), bugs included — KERNEL.md §5.1.
 * A per-mm count `context.pmu_direct_access`; `armv8pmu_event_mapped` bumps it and on 0 -> 1
 * runs `refresh_pmuserenr(mm)` on every online CPU; `armv8pmu_event_unmapped` drops it and on
 * 1 -> 0 runs `refresh_pmuserenr(NULL)` on `mm_cpumask(mm)`, which arm64 leaves empty;
 * `perf_switch_user_access(mm)` from `__switch_mm` sets ER|CR when the mm's count is non-zero.
 * No PMSELR_EL0 handling, no AArch32 check. Every event is flagged user-readable, chained
 * 64-bit ones included, though the patch meant to leave those out (see `open`).
 */
import { type Cause, viaIpi } from '../events.js';
import { mmContext } from '../lifecycle.js';
import { logEvent } from '../log.js';
import { onEachCpu } from '../ipi.js';
import { cpuOops } from '../oops.js';
import { USERENR_CR, USERENR_ER, userenrName, writePmuserenr } from '../sysreg.js';
import type { Reg } from '../command.js';
import type { Cpu, Mm, PerfEvent, Task, World } from '../world.js';
import { type Design, armIndex, armMayAccess, armWrite, isCounter, mmMapsReadable } from './design.js';

/** `perf_switch_user_access(mm)`: the bits follow the count of whatever mm it is given. */
export function switchUserAccess(world: World, cpu: Cpu, mm: Mm, by: Cause): void {
  const on = mm.design.pmu_direct_access! > 0;
  writePmuserenr(world, cpu, on ? USERENR_ER | USERENR_CR : 0, { forMm: mm.id, forPid: null, by });
}

/** What v4 and v5 share: per-mm count, switch_mm hook, every counter behind ER|CR. */
export const perMmBase = {
  cpuState: {},
  mmState: { pmu_direct_access: 0 },
  knobs: [] as const,
  accessLabel: 'USERENR',
  open(_world: World, ev: PerfEvent) {
    // The patch means to flag every event user-readable except chained 64-bit ones
    // (`if (!armv8pmu_event_is_chained(event))` in `__armv8_pmuv3_map_event`), but
    // `__hw_perf_event_init` calls map_event before it sets `hwc->idx = -1`: the event is
    // zero-allocated, so idx is 0 (ARMV8_IDX_CYCLE_COUNTER) and is_chained is false for every
    // event. Chained ones are flagged too; their page gives the high counter and pmc_width 64.
    ev.readable = true;
    return null;
  },
  mayChain: () => true,
  addError: () => null,
  /** `armv8pmu_event_mapped`; `refresh` is the IPI's target list and argument. */
  mapped(world: World, ev: PerfEvent, mm: Mm, task: Task): void {
    if (!ev.readable) return;
    // lockdep_assert_held_write(&mm->mmap_lock)
    const holder = mmContext(mm).lockHolder;
    if (holder !== task.pid) logEvent(world, task.cpu, { kind: 'hook', what: 'lock-not-held', fn: 'armv8pmu_event_mapped', mm: mm.id, pid: task.pid, holder });
    const count = ++mm.design.pmu_direct_access!;
    logEvent(world, task.cpu, { kind: 'hook', what: 'count', fn: 'armv8pmu_event_mapped', mm: mm.id, field: 'pmu_direct_access', from: count - 1, to: count });
    if (count === 1) onEachCpu(world, task.cpu, null, 'refresh_pmuserenr', mm.id, task);
  },
  /** `armv8pmu_event_unmapped`: true when this was the 1 -> 0 edge. */
  dropAccess(world: World, ev: PerfEvent, mm: Mm, caller: Task): boolean {
    if (!ev.readable) return false;
    const count = --mm.design.pmu_direct_access!;
    logEvent(world, caller.cpu, { kind: 'hook', what: 'count', fn: 'armv8pmu_event_unmapped', mm: mm.id, field: 'pmu_direct_access', from: count + 1, to: count });
    return count === 0;
  },
  switchMm(world: World, cpu: Cpu, mm: Mm, cause: Cause) {
    switchUserAccess(world, cpu, mm, cause);
  },
  reconsider() {},
  pmuStart() {},
  eventIndex: (_world: World, ev: PerfEvent) => (ev.readable ? armIndex(ev) : 0),
  capUserRdpmc: (_world: World, ev: PerfEvent) => ev.readable,
  pmcWidth: (_world: World, ev: PerfEvent) => (ev.readable ? (ev.is64 ? 64 : 32) : 0),
  entitled: (world: World, task: Task) => mmMapsReadable(world, world.mms.get(task.mm)),
  maintainsCpumask: (world: World) => world.faults.has('cpumask-maintained'),
  mayAccess: (_world: World, cpu: Cpu, reg: Reg) => armMayAccess(cpu.pmuserenr, reg),
  el0Write: (_world: World, cpu: Cpu, reg: Reg) => armWrite(cpu.pmuserenr, reg),
  signal: 'SIGILL' as const,
  accessBits: (cpu: Cpu) => cpu.pmuserenr,
  accessName: (cpu: Cpu) => userenrName(cpu.pmuserenr),
};

export const v4: Design = {
  ...perMmBase,
  name: 'v4',
  summary: 'the patch under review (Oct 2020): per-mm count, IPIs on map/unmap, switch_mm hook',
  unmapped(world, ev, mm, caller) {
    if (perMmBase.dropAccess(world, ev, mm, caller)) {
      onEachCpu(world, caller.cpu, [...mm.cpumask], 'refresh_pmuserenr', null, caller);
    }
  },
  runIpi(world, cpu, ipi) {
    if (ipi.arg === null) return cpuOops(world, cpu, 'refresh_pmuserenr', ipi);
    const mm = world.mms.get(ipi.arg);
    if (mm) switchUserAccess(world, cpu, mm, viaIpi(`${ipi.from === cpu.id ? 'local call' : 'IPI'} refresh_pmuserenr(mm ${mm.id})`, ipi));
  },
  promises: (world, _cpu, task, reg) => isCounter(reg) && perMmBase.entitled(world, task),
};
