/**
 * What a kernel design decides, as the hooks the rest of the kernel calls: at open
 * (`armv8pmu_event_init` flags, errno), at add (`armv8pmu_get_event_idx`), at mmap/munmap
 * (`pmu->event_mapped/unmapped`), at `switch_mm`, at the end of a context switch, in the PMU
 * start path (`armv8pmu_start`), in the IPI functions it sends, in what it publishes in the user
 * page (`arch_perf_update_userpage`, `event_idx`), and in which EL0 register accesses the
 * hardware then allows. `entitled` and `promises` are the design's intent, which the monitor
 * holds the registers to.
 */
import type { DesignName, Reg } from '../command.js';
import { USERENR_CR, USERENR_EN, USERENR_ER } from '../sysreg.js';
import { type Cpu, type Ipi, type Mm, type PerfEvent, type Task, type World, cycleCounterId } from '../world.js';

export type Errno = 'EINVAL' | 'EOPNOTSUPP' | 'EAGAIN';

export interface Design {
  name: DesignName;
  summary: string;
  /** Decide the event's flags (`readable`); an errno refuses the open. */
  open(world: World, ev: PerfEvent): Errno | null;
  /** May this event use a chained pair of 32-bit counters? */
  mayChain(ev: PerfEvent): boolean;
  /** Refuse a counter the allocator would otherwise give (upstream's -EAGAIN). */
  addError(world: World, cpu: Cpu, ev: PerfEvent): Errno | null;
  mapped(world: World, ev: PerfEvent, mm: Mm, task: Task): void;
  unmapped(world: World, ev: PerfEvent, mm: Mm, caller: Task): void;
  /** Called from `__switch_mm` when the CPU loads another mm. */
  switchMm(world: World, cpu: Cpu, mm: Mm): void;
  /** Something access may depend on changed — `armpmu_enable` ran (after a context switch, an
   * event added or removed, an overflow), counters in use or not, or the task exec'd. */
  reconsider(world: World, cpu: Cpu): void;
  /** The PMU driver's start(), run by `armpmu_enable` only while a counter is in use. */
  pmuStart(world: World, cpu: Cpu): void;
  runIpi(world: World, cpu: Cpu, ipi: Ipi): void;
  eventIndex(world: World, ev: PerfEvent): number;
  capUserRdpmc(world: World, ev: PerfEvent): boolean;
  pmcWidth(world: World, ev: PerfEvent): number;
  /** Does the design mean this task to read counters at EL0? */
  entitled(world: World, task: Task): boolean;
  /** Would the design call a SIGILL on this register a broken promise to this task? */
  promises(world: World, cpu: Cpu, task: Task, reg: Reg): boolean;
  /** Does the architecture fill in mm_cpumask()? */
  maintainsCpumask(world: World): boolean;
  /** Does the hardware let EL0 on this CPU access the register now? */
  mayAccess(world: World, cpu: Cpu, reg: Reg): boolean;
  /** Non-zero while some EL0 access is granted on the CPU. */
  accessBits(cpu: Cpu): number;
  /** The access register as a person reads it: `CR|ER`, `PCE`, `UEN P0,C`. */
  accessName(cpu: Cpu): string;
  /** `sysctl kernel.perf_user_access` and x86's sysfs `rdpmc`, where the design has them. */
  setSysctl?(world: World, value: 0 | 1): string[];
  setRdpmc?(world: World, value: 0 | 1 | 2): string[];
}

/** Does the mm map the user page of an event the design lets userspace read? */
export function mmMapsReadable(world: World, mm: Mm | undefined): boolean {
  if (!mm) return false;
  return mm.mappings.some((id) => world.events.get(id)?.readable === true);
}

/** `perf_event_index` for arm64: 0 unless active on a counter; cycle counter 32, else n + 1. */
export function armIndex(ev: PerfEvent): number {
  if (ev.counter === null || ev.chained) return 0;
  return ev.counter + 1;
}

/** PMUSERENR_EL0: EN opens all; CR the cycle counter; ER the event counters and PMSELR. */
export function armMayAccess(bits: number, reg: Reg): boolean {
  if (bits & USERENR_EN) return true;
  if (reg.kind === 'pmccntr') return (bits & USERENR_CR) !== 0;
  return (bits & USERENR_ER) !== 0;
}

export function isCounter(reg: Reg): boolean {
  return reg.kind !== 'pmselr';
}

export function regCounterId(reg: Reg): number | null {
  return reg.kind === 'pmccntr' ? cycleCounterId : reg.kind === 'pmevcntr' ? reg.n : null;
}

/** `ctx->nr_user`: the user-readable events in the task's perf context. */
export function nrUser(world: World, task: Task | undefined): number {
  if (!task) return 0;
  let n = 0;
  for (const id of task.fds.values()) if (world.events.get(id)?.readable) n++;
  return n;
}

/** Clear every counter not in use, so no stale count of another task can be read. */
export function zeroUnusedCounters(cpu: Cpu): void {
  for (const c of [cpu.cycleCounter, ...cpu.counters]) {
    if (c.event !== null) continue;
    c.value = 0n;
    c.lastOwner = null;
  }
}

/** The task running on the CPU, if any. */
export function currentTask(world: World, cpu: Cpu): Task | undefined {
  return cpu.current === null ? undefined : world.tasks.get(cpu.current);
}

/** Hooks a design without mmap hooks or IPIs leaves empty. */
export const noHooks = {
  mapped() {},
  unmapped() {},
  switchMm() {},
  reconsider() {},
  pmuStart() {},
  runIpi() {},
  addError: () => null,
};
