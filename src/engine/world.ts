/**
 * The simulated machine as a plain value: CPUs with their PMU and system registers, tasks,
 * address spaces, perf events with their user pages, pending IPIs, the log and the monitor's
 * findings. No actors and no functions: lifecycle state (is a task running, is a CPU halted,
 * who holds mmap_lock) is each object's `life`, the persisted snapshot of its XState machine
 * (lifecycle.ts); everything else is plain data the engine updates. `copyWorld` (copy.ts)
 * copies it in microseconds.
 */
import type { DesignName, EventType, FaultName, FindingCode } from './command.js';
import type { Finding, Grant, LogEntry } from './events.js';

export type { Finding, Grant, LogEntry, LogKind } from './events.js';
import { type Design, type DesignState, designOf } from './designs/design.js';
import './designs/index.js';
import { type KnobName, knobs } from './knobs.js';
import { type CpuLife, type MmLife, type TaskLife, initialCpuLife } from './lifecycle.js';
import { countersDefault, cpusDefault, cyclesPerTickDefault, findingsKeptMax, firstPid, logLinesMax, sliceTicksDefault } from './limits.js';
import { type PrngState, seedPrng } from './prng.js';
import { type Ring, newRing } from './ring.js';

export interface Config {
  cpus: number;
  counters: number;
  /** PMUv3p5 64-bit event counters (PMCR_EL0.LP). */
  longCounters: boolean;
  seed: number;
  design: DesignName;
  cyclesPerTick: bigint;
  sliceTicks: number;
  /** Boot-time `kernel.perf_user_access` (upstream, hardened; default 0). */
  perfUserAccess: 0 | 1;
  /** Boot-time x86 sysfs `rdpmc` (default 1). */
  rdpmc: 0 | 1 | 2;
}

export const defaultConfig: Config = {
  cpus: cpusDefault,
  counters: countersDefault,
  longCounters: false,
  seed: 1,
  design: 'v4',
  cyclesPerTick: cyclesPerTickDefault,
  sliceTicks: sliceTicksDefault,
  perfUserAccess: 0,
  rdpmc: 1,
};

/** The task an event counts for (null: a per-CPU event), and its `pid:fd` label. */
export interface CounterOwner {
  pid: number | null;
  label: string;
}

export interface Counter {
  /** 0..N-1 for PMEVCNTR<n>_EL0, 31 for PMCCNTR_EL0. */
  id: number;
  /** The raw register, within its physical width. */
  value: bigint;
  width: number;
  /** PMEVTYPER<n>: what it counts while enabled (CHAIN counts the even counter's overflows). */
  counts: EventType | 'chain' | null;
  /** PMCNTENSET bit. */
  enabled: boolean;
  /** PMINTENSET bit. */
  irq: boolean;
  /** PMOVSSET bit. */
  overflow: boolean;
  /** The event using the counter now. */
  event: number | null;
  /** Whose count the register holds: stays after the event leaves (a stale value). */
  lastOwner: CounterOwner | null;
}

export type IpiFn = 'refresh_pmuserenr' | 'clear_pmuserenr' | 'refresh_pce';

export interface Ipi {
  call: number;
  fn: IpiFn;
  /** The function's argument: an mm id, or null for a NULL pointer. */
  arg: number | null;
  /** The sending CPU; null when the sender is outside the model (a sysctl write). */
  from: number | null;
  /** The task on whose behalf the call was made (a syscall's caller), if any. */
  caller: number | null;
}

/** One on_each_cpu / on_each_cpu_mask call still waiting for remote CPUs. */
export interface IpiCall {
  id: number;
  caller: number | null;
  waitingOn: number[];
}

export interface Cpu {
  id: number;
  life: CpuLife;
  current: number | null;
  /** The mm loaded in TTBR0; an idle CPU keeps the last one (lazy TLB). */
  activeMm: number | null;
  runqueue: number[];
  sliceLeft: number;
  cycles: bigint;
  pmuserenr: number;
  /** What the design keeps per CPU (x86's CR4.PCE, hardened's PMUACR_EL1): its own fields. */
  design: DesignState;
  grant: Grant | null;
  /** PMSELR_EL0.SEL and the pid that wrote it (null: the kernel, or reset). */
  pmselr: number;
  pmselrWriter: number | null;
  cycleCounter: Counter;
  counters: Counter[];
  pendingIpis: Ipi[];
  /** Per-CPU events bound to this CPU (ids): the CPU context's groups, in the order they are
   * scheduled in (a rotation moves one to the back). */
  boundEvents: number[];
  /** The CPU context's `rotate_necessary`: a group stayed off at its last schedule-in. */
  rotate: boolean;
  /** `cpuctx->hrtimer_active`: the multiplexing timer is armed (perf-sched.ts). */
  muxTimer: boolean;
}

/** A syscall's second half, run when the IPIs it waits for have all been taken. */
export type Resume =
  | { op: 'mmap' | 'munmap'; fd: number; unlock: boolean }
  | { op: 'exec'; arch: 'aarch64' | 'aarch32' }
  | { op: 'exit' };

/**
 * One entry of a task's fd table. `open` is false for an fd closed while its event is mapped
 * in the task's mm: the entry stays so `munmap PID FD` can name the mapping (the README's
 * limits), and goes when that mapping does. `cloexec`: `PERF_FLAG_FD_CLOEXEC`, closed at exec.
 * Entries are never changed in place (a world copy shares them).
 */
export interface FdEntry {
  fd: number;
  event: number;
  open: boolean;
  cloexec: boolean;
}

/** A syscall parked behind mmap_lock, to run when the lock is handed over. */
export type Deferred = { op: 'mmap' | 'munmap'; fd: number };

export interface Task {
  pid: number;
  name: string;
  mm: number;
  life: TaskLife;
  cpu: number;
  /** The fd table: perf event fds and the events they name (per task here; see the README's
   * limits). An fd may name an event that counts another task (a fork copies the table) or a
   * CPU (`open cpu … by PID`). */
  fds: FdEntry[];
  /** Instructions per 4 cycles: the program's fixed rate. */
  ipcQuarters: number;
  cyclesRun: bigint;
  resume: Resume | null;
  deferred: Deferred | null;
  sigills: number;
  /** The task's perf context: the task-bound events counting it (ids), in the order they were
   * added, which is the order they are scheduled in. Its own opens and, after a fork, the
   * events it inherited (`attr.inherit`); not the events its copied fds name. A rotation moves
   * one to the back (perf-sched.ts). */
  perfContext: number[];
  /** Its perf context's `rotate_necessary`: a group stayed off at its last schedule-in. */
  rotate: boolean;
}

export interface Mm {
  id: number;
  life: MmLife;
  users: number;
  /** Perf events whose user page is mapped in this mm. */
  mappings: number[];
  /** mm_cpumask(): only filled in where the architecture maintains it. */
  cpumask: number[];
  /** What the design keeps per mm (v4's `pmu_direct_access`, x86's `perf_rdpmc_allowed`). */
  design: DesignState;
  /** A fork's copy (`dup_mm`): the mm it was copied from and the design state it got from it,
   * which no mapping of this mm backs (perf pages are `VM_DONTCOPY`). Never changed in place. */
  copiedFrom: { mm: number; design: DesignState } | null;
}

export interface UserPage {
  lock: number;
  index: number;
  offset: bigint;
  capUserRdpmc: boolean;
  pmcWidth: number;
}

export interface PerfEvent {
  id: number;
  /** The task it counts (task-bound), or null for a per-CPU event. */
  owner: number | null;
  /** The CPU a per-CPU event counts on. */
  boundCpu: number | null;
  fd: number;
  type: EventType;
  userRequest: boolean;
  is64: boolean;
  /** ARMPMU_EL0_RD_CNTR / the design's "user may read this": set at open. */
  readable: boolean;
  chained: boolean;
  /** Counter (low one of a chained pair) and CPU while active. */
  counter: number | null;
  activeCpu: number | null;
  count: bigint;
  /** `hw.prev_count`: the raw counter value the last update or preset left. */
  prevCount: bigint;
  /** `hw.period_left`: events until the overflow, shrunk by every update (counting mode). */
  periodLeft: bigint;
  /** What the hardware really counted for this event: the monitor's reference. */
  trueCount: bigint;
  page: UserPage;
  /** The mms its user page is mapped in, one entry per mapping (an mm may map it twice);
   * replaced, never changed in place. */
  maps: number[];
  /** Open fd entries naming it, in every fd table (the tool's `cpuFds` included): with `maps`,
   * what keeps it alive (the file's references). */
  fdRefs: number;
  /** The task whose fd table it was opened into (null: the system-wide tool's `cpuFds`). */
  openedBy: number | null;
  /** `attr.inherit`: a fork gives the child its own copy, counting the child. */
  inherit: boolean;
  /** The event this one was inherited from (`event->parent`), or null. */
  parent: number | null;
}

export interface World {
  config: Config;
  step: number;
  tick: number;
  prng: PrngState;
  cpus: Cpu[];
  tasks: Map<number, Task>;
  mms: Map<number, Mm>;
  events: Map<number, PerfEvent>;
  /** fds of the system-wide perf tool that opens per-CPU events. */
  cpuFds: Map<number, number>;
  nextPid: number;
  nextMm: number;
  nextEvent: number;
  nextCall: number;
  grantSeq: number;
  ipiMode: 'auto' | 'manual';
  calls: Map<number, IpiCall>;
  faults: Set<FaultName>;
  /** The design's run-time knobs (knobs.ts), set at boot from the config. */
  knobs: Partial<Record<KnobName, number>>;
  log: Ring<LogEntry>;
  findings: Ring<Finding>;
  findingCounts: Map<FindingCode, number>;
  /** Per CPU, access conditions already reported under its current grant (monitor.ts). */
  reported: Map<number, { seq: number; keys: number[] }>;
}

/**
 * The PMU's counter widths. arm64: event counters of 32 bits (64 with PMUv3p5 long counters),
 * a 64-bit cycle counter (PMCR_EL0.LC). x86: every counter, general or fixed, is
 * `x86_pmu.cntval_bits` = 48 wide, and every event has that width (`uniform`: no 64-bit
 * request, no chaining).
 */
export function pmuWidths(config: Pick<Config, 'design' | 'longCounters'>): { event: number; cycle: number; uniform: boolean } {
  if (config.design === 'x86') return { event: 48, cycle: 48, uniform: true };
  return { event: config.longCounters ? 64 : 32, cycle: 64, uniform: false };
}

/** Give the CPU's counters the design's widths (only while nothing counts: a `policy` line). */
export function resizeCounters(cpu: Cpu, config: Config): void {
  const w = pmuWidths(config);
  cpu.cycleCounter.width = w.cycle;
  for (const c of cpu.counters) c.width = w.event;
}

function newCounter(id: number, width: number): Counter {
  return { id, value: 0n, width, counts: null, enabled: false, irq: false, overflow: false, event: null, lastOwner: null };
}

/** The design's knobs at their boot values. */
export function bootKnobs(design: Design, config: Config): Partial<Record<KnobName, number>> {
  const out: Partial<Record<KnobName, number>> = {};
  for (const k of design.knobs) out[k] = knobs[k].boot(config);
  return out;
}

export function createWorld(config: Config = defaultConfig): World {
  const design = designOf({ config });
  const widths = pmuWidths(config);
  const cpus: Cpu[] = [];
  for (let id = 0; id < config.cpus; id++) {
    cpus.push({
      id,
      life: initialCpuLife(),
      current: null,
      activeMm: null,
      runqueue: [],
      sliceLeft: config.sliceTicks,
      cycles: 0n,
      pmuserenr: 0, // Linux clears it at boot
      design: { ...design.cpuState },
      grant: null,
      pmselr: 0,
      pmselrWriter: null,
      // PMCR_EL0.LC: the cycle counter always overflows at its top bit.
      cycleCounter: newCounter(31, widths.cycle),
      counters: Array.from({ length: config.counters }, (_, n) => newCounter(n, widths.event)),
      pendingIpis: [],
      boundEvents: [],
      rotate: false,
      muxTimer: false,
    });
  }
  return {
    config,
    step: 0,
    tick: 0,
    prng: seedPrng(config.seed),
    cpus,
    tasks: new Map(),
    mms: new Map(),
    events: new Map(),
    cpuFds: new Map(),
    nextPid: firstPid,
    nextMm: 1,
    nextEvent: 1,
    nextCall: 1,
    grantSeq: 0,
    ipiMode: 'auto',
    calls: new Map(),
    faults: new Set(),
    knobs: bootKnobs(design, config),
    log: newRing(logLinesMax),
    findings: newRing(findingsKeptMax),
    findingCounts: new Map(),
    reported: new Map(),
  };
}
