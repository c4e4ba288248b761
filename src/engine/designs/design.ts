/**
 * What a kernel design decides, as the hooks the rest of the kernel calls: at open
 * (`armv8pmu_event_init` flags, errno), at mmap/munmap (`pmu->event_mapped/unmapped`), at
 * `switch_mm`, in the PMU start path (`armv8pmu_start`), in the IPI functions it sends, and
 * what it publishes in the user page (`arch_perf_update_userpage`, `event_idx`). `entitled` is
 * the design's intent, which the monitor holds the registers to.
 */
import type { DesignName } from '../command.js';
import type { Cpu, Ipi, Mm, PerfEvent, Task, World } from '../world.js';

export type Errno = 'EINVAL' | 'EOPNOTSUPP' | 'EAGAIN';

export interface Design {
  name: DesignName;
  summary: string;
  /** Decide the event's flags (`readable`); an errno refuses the open. */
  open(world: World, ev: PerfEvent): Errno | null;
  /** May this event use a chained pair of 32-bit counters? */
  mayChain(ev: PerfEvent): boolean;
  mapped(world: World, ev: PerfEvent, mm: Mm, task: Task): void;
  unmapped(world: World, ev: PerfEvent, mm: Mm, caller: Task): void;
  /** Called from `__switch_mm` when the CPU loads another mm. */
  switchMm(world: World, cpu: Cpu, mm: Mm): void;
  /** The PMU driver's start(), run by `armpmu_enable` only while a counter is in use. */
  pmuStart(world: World, cpu: Cpu): void;
  runIpi(world: World, cpu: Cpu, ipi: Ipi): void;
  eventIndex(world: World, ev: PerfEvent): number;
  capUserRdpmc(world: World, ev: PerfEvent): boolean;
  pmcWidth(world: World, ev: PerfEvent): number;
  /** Does the design mean this task to read counters at EL0 (architecture aside)? */
  entitled(world: World, task: Task): boolean;
  /** Does the architecture fill in mm_cpumask()? */
  maintainsCpumask(world: World): boolean;
  /** The access bits in force on a CPU (PMUSERENR_EL0, or CR4.PCE on x86). */
  accessBits(cpu: Cpu): number;
  accessName(bits: number): string;
  /** Commands only some designs have. */
  has: { sysctl: boolean; rdpmc: boolean };
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
