/**
 * What a kernel design decides, as the hooks the rest of the kernel calls: at open
 * (`armv8pmu_event_init` flags, errno), at add (`armv8pmu_get_event_idx`), at mmap/munmap
 * (`pmu->event_mapped/unmapped`), at `switch_mm`, at the end of a context switch, in the PMU
 * start path (`armv8pmu_start`), in the IPI functions it sends, in what it publishes in the user
 * page (`arch_perf_update_userpage`, `event_idx`), and in which EL0 register accesses the
 * hardware then allows. `entitled` and `promises` are the design's intent, which the monitor
 * holds the registers to.
 *
 * A design owns its state: it declares what it keeps per CPU (`cpu.design`), per mm
 * (`mm.design`) and which knobs it has (`world.knobs`), as plain data with initial values, and
 * one generic path sets them up. Mechanisms find the design through `designOf(world)`, from
 * the table the registry (index.ts) installs, so no mechanism imports the designs.
 */
import type { DesignName, Reg } from '../command.js';
import type { Cause } from '../events.js';
import type { KnobName } from '../knobs.js';
import { USERENR_CR, USERENR_EN, USERENR_ER, USERENR_UEN } from '../userenr.js';
import { cycleCounterId } from '../pmu.js';
import type { Cpu, Ipi, Mm, PerfEvent, Task, World } from '../world.js';

export type Errno = 'EINVAL' | 'EOPNOTSUPP' | 'EAGAIN';

/** The signal a denied EL0 access brings: SIGILL on arm64 (an undefined instruction), SIGSEGV
 * under x86 (RDPMC without CR4.PCE raises #GP; `do_general_protection` sends SIGSEGV). */
export type Signal = 'SIGILL' | 'SIGSEGV';

/** What an EL0 write of a PMU register does: takes effect, is ignored (PMUv3.9: UEN with CR or
 * ER set — "permitted EL0 writes are ignored", not trapped), or traps. */
export type WriteEffect = 'write' | 'ignore' | 'trap';

/**
 * Where a user page is published (`perf_event_update_userpage`): the CPU running the update
 * (`smp_processor_id()`) and the event's `oncpu` then (null for -1). `armpmu_add`, set_period
 * and the overflow handler run on the event's CPU; `armpmu_del` runs before `oncpu` is reset;
 * `perf_mmap` runs on the mapping task's CPU, wherever the event is.
 */
export interface Publish {
  cpu: number | null;
  oncpu: number | null;
}

/** The plain state a design keeps: field names as the kernel spells them, initial values. */
export type DesignState = Record<string, number>;

export interface Design {
  name: string;
  summary: string;
  /** Per-CPU state (x86's CR4.PCE, hardened's PMUACR_EL1), per-mm state (the per-mm count). */
  cpuState: DesignState;
  mmState: DesignState;
  /** Run-time knobs the design has; `knobChanged` runs after one is set. */
  knobs: readonly KnobName[];
  knobChanged?(world: World, knob: KnobName, value: number, was: number): void;
  /** What the access register is called in a CPU pane. */
  accessLabel: string;
  /** Decide the event's flags (`readable`); an errno refuses the open. */
  open(world: World, ev: PerfEvent): Errno | null;
  /** May this event use a chained pair of 32-bit counters? */
  mayChain(ev: PerfEvent): boolean;
  /** Refuse a counter the allocator would otherwise give (upstream's -EAGAIN). */
  addError(world: World, cpu: Cpu, ev: PerfEvent): Errno | null;
  mapped(world: World, ev: PerfEvent, mm: Mm, task: Task): void;
  unmapped(world: World, ev: PerfEvent, mm: Mm, caller: Task): void;
  /** Called from `__switch_mm` when the CPU loads another mm; `cause` says which switch (or exec). */
  switchMm(world: World, cpu: Cpu, mm: Mm, cause: Cause): void;
  /** Something access may depend on changed — `armpmu_enable` ran (after a context switch, an
   * event added or removed, an overflow), counters in use or not, or the task exec'd. */
  reconsider(world: World, cpu: Cpu): void;
  /** The PMU driver's start(), run by `armpmu_enable` only while a counter is in use. */
  pmuStart(world: World, cpu: Cpu): void;
  runIpi(world: World, cpu: Cpu, ipi: Ipi): void;
  eventIndex(world: World, ev: PerfEvent): number;
  /** `userpg->cap_user_rdpmc`, as `arch_perf_update_userpage` computes it at a publish. */
  capUserRdpmc(world: World, ev: PerfEvent, at: Publish): boolean;
  pmcWidth(world: World, ev: PerfEvent): number;
  /** Does the design mean this task to read counters at EL0? */
  entitled(world: World, task: Task): boolean;
  /** Would the design call a SIGILL on this register a broken promise to this task? */
  promises(world: World, cpu: Cpu, task: Task, reg: Reg): boolean;
  /** Does `armpmu_event_update` keep prev_count sign-extended, as `set_period` stores it? (Linux
   * stores the raw value, zero-extended: a page published before the next set_period is 2^32
   * off.) */
  prevCountSignExtended?: boolean;
  /** Does the architecture fill in mm_cpumask()? */
  maintainsCpumask(world: World): boolean;
  /** Does the hardware let EL0 on this CPU access the register now? */
  mayAccess(world: World, cpu: Cpu, reg: Reg): boolean;
  /** Non-zero while some EL0 access is granted on the CPU. */
  accessBits(cpu: Cpu): number;
  /** The access register as a person reads it: `CR|ER`, `PCE`, `UEN P0,C`. */
  accessName(cpu: Cpu): string;
  /** What an EL0 write of the register does on this CPU now (`msr`). */
  el0Write(world: World, cpu: Cpu, reg: Reg): WriteEffect;
  /** The signal a trapped EL0 access brings. */
  signal: Signal;
}

const installed = new Map<string, Design>();

/** The registry (index.ts) puts the designs here; nothing else should. */
export function installDesigns(list: readonly Design[]): void {
  for (const d of list) installed.set(d.name, d);
}

/** The design the world runs. */
export function designOf(world: { config: { design: DesignName } }): Design {
  const d = installed.get(world.config.design);
  if (!d) throw new Error(`engine bug: design ${world.config.design} is not installed (import designs/index.ts)`);
  return d;
}


/** Does the mm map the user page of an event the design lets userspace read? */
export function mmMapsReadable(world: World, mm: Mm | undefined): boolean {
  if (!mm) return false;
  return mm.mappings.some((id) => world.events.get(id)?.readable === true);
}

/**
 * `perf_event_index` for arm64 (`armv8pmu_access_event_idx` in the patch, `armv8pmu_user_event_idx`
 * upstream): 0 unless active on a counter; the cycle counter 32; else `hw.idx`, which is counter
 * n + 1 — for a chained pair the odd, high counter (`armv8pmu_get_chain_idx` returns it), so
 * libperf would read only the high half: upstream never lets a user-readable event chain.
 */
export function armIndex(ev: PerfEvent): number {
  if (ev.counter === null) return 0;
  return ev.chained ? ev.counter + 2 : ev.counter + 1;
}

/**
 * PMUSERENR_EL0 for an EL0 read: EN opens all; CR the cycle counter; ER the event counters and
 * PMSELR. With UEN (PMUv3.9) and EN clear, PMUACR_EL1 alone selects the counters EL0 may read:
 * CR and ER grant nothing (they block writes), and PMSELR stays closed in this model.
 */
export function armMayAccess(bits: number, reg: Reg, pmuacr = 0): boolean {
  if (bits & USERENR_EN) return true;
  if (bits & USERENR_UEN) {
    const id = regCounterId(reg);
    return id !== null && (pmuacr & (1 << id)) !== 0;
  }
  if (reg.kind === 'pmccntr') return (bits & USERENR_CR) !== 0;
  return (bits & USERENR_ER) !== 0;
}

/**
 * PMUSERENR_EL0 for an EL0 write: only EN lets EL0 write a counter (CR and ER grant reads);
 * ER also opens PMSELR for writing. With UEN, a counter PMUACR_EL1 selects may be written unless
 * CR (the cycle counter) or ER (event counters) is set, which makes the write ignored: Linux
 * writes ER|CR|UEN for that reason.
 */
export function armWrite(bits: number, reg: Reg, pmuacr = 0): WriteEffect {
  if (bits & USERENR_EN) return 'write';
  if (reg.kind === 'pmselr' || !(bits & USERENR_UEN)) return reg.kind === 'pmselr' && armMayAccess(bits, reg, pmuacr) ? 'write' : 'trap';
  if (!armMayAccess(bits, reg, pmuacr)) return 'trap';
  return bits & (reg.kind === 'pmccntr' ? USERENR_CR : USERENR_ER) ? 'ignore' : 'write';
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
  for (const id of task.perfContext) if (world.events.get(id)?.readable) n++;
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

/** Hooks and state a design without mmap hooks, IPIs or knobs leaves empty. */
export const noHooks = {
  cpuState: {},
  mmState: {},
  knobs: [] as readonly KnobName[],
  accessLabel: 'USERENR',
  mapped() {},
  unmapped() {},
  switchMm() {},
  reconsider() {},
  pmuStart() {},
  runIpi() {},
  addError: () => null,
  signal: 'SIGILL' as Signal,
};
