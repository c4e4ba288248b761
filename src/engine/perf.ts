/**
 * Perf core and the arm_pmu driver for the events of the model: adding an event to a CPU
 * (`armpmu_add` -> `armv8pmu_get_event_idx`, chaining a pair for a 64-bit event on 32-bit
 * counters), the counting-mode preset (`armpmu_event_set_period`), folding a counter into the
 * event's count (`armpmu_event_update`), removing it, the overflow handler
 * (`armv8pmu_handle_irq`) and `perf_event_update_userpage`. Which events go on, in which
 * order and when, is perf-sched.ts.
 */
import { maskOf, signExtend, u64 } from './bits.js';
import type { KernelEvent, LogEntry } from './events.js';
import { type Publish, designOf } from './designs/design.js';
import { sendCpu } from './lifecycle.js';
import { logEvent, logNote } from './log.js';
import { engineStats } from './stats.js';
import { counterOf, cycleCounterId, readEventCounter, writeEventCounter } from './pmu.js';
import { type Counter, type Cpu, type PerfEvent, type Task, type World, pmuWidths } from './world.js';

/** The event's counter width as perf sees it: max_period = 2^w - 1. */
export function eventWidth(world: World, ev: PerfEvent): number {
  const pmu = pmuWidths(world.config);
  if (pmu.uniform) return pmu.event;
  if (!ev.is64) return 32;
  return ev.chained || ev.counter === cycleCounterId || world.config.longCounters ? 64 : 32;
}

/** Does a 64-bit event need a chained pair of 32-bit counters on this machine? */
export function needsChain(world: World, ev: Pick<PerfEvent, 'is64' | 'type'>): boolean {
  return ev.is64 && !world.config.longCounters && ev.type !== 'cycles' && !pmuWidths(world.config).uniform;
}

/**
 * `armv8pmu_get_event_idx`: the cycle counter for cycles, else a free counter or pair. An event
 * the design does not chain (`armv8pmu_event_is_chained` false; x86 never chains) takes one
 * counter, as `armv8pmu_get_single_idx` gives it.
 */
function allocate(world: World, cpu: Cpu, ev: PerfEvent): { counter: number; chained: boolean } | null {
  if (ev.type === 'cycles' && cpu.cycleCounter.event === null) return { counter: cycleCounterId, chained: false };
  if (ev.is64 && !world.config.longCounters && !pmuWidths(world.config).uniform && designOf(world).mayChain(ev)) {
    for (let n = 0; n + 1 < cpu.counters.length; n += 2) {
      if (cpu.counters[n]!.event === null && cpu.counters[n + 1]!.event === null) return { counter: n, chained: true };
    }
    return null;
  }
  const free = cpu.counters.find((c) => c.event === null);
  return free ? { counter: free.id, chained: false } : null;
}

function occupy(counter: Counter, ev: PerfEvent, counts: Counter['counts'], irq: boolean): void {
  counter.event = ev.id;
  counter.lastOwner = { pid: ev.owner, label: ownerName(ev) };
  counter.counts = counts;
  counter.enabled = true;
  counter.irq = irq;
  counter.overflow = false;
}

function release(counter: Counter): void {
  counter.event = null;
  counter.counts = null;
  counter.enabled = false;
  counter.irq = false;
  counter.overflow = false;
}

/** Counting mode's `hwc->sample_period`: max_period >> 1, 2^(w-1) - 1 for the event's width. */
export function samplePeriod(world: World, ev: PerfEvent): bigint {
  return maskOf(eventWidth(world, ev)) >> 1n;
}

/**
 * `armpmu_event_set_period` in counting mode: reload the counter with -period_left (a spent
 * period_left gets max_period added first), set prev_count = (u64)-left, sign-extended, and
 * publish the page. So the counter carries on across switch-ins, and the overflow comes after
 * max_period counted events in all. A 32-bit event on a 64-bit counter (the cycle counter, or
 * long counters) is written biased, its upper half all ones (`armv8pmu_bias_long_counter`).
 */
function setPeriod(world: World, cpu: Cpu, ev: PerfEvent): void {
  const period = samplePeriod(world, ev);
  let left = ev.periodLeft;
  if (left <= -period) left = period;
  if (left <= 0n) left += period;
  ev.periodLeft = left;
  if (left > period) left = period;
  ev.prevCount = u64(-left);
  writeEventCounter(cpu, ev, u64(-left));
  updatePage(world, ev);
}

/**
 * `armpmu_event_update`: fold what the counter counted since prev_count into the count and out
 * of period_left. prev_count takes the raw value as read, unbiased: zero-extended for a 32-bit
 * event, so it is not sign-extended again until the next `set_period`.
 */
export function updateEvent(world: World, cpu: Cpu, ev: PerfEvent): void {
  const width = eventWidth(world, ev);
  const mask = maskOf(width);
  const now = readEventCounter(cpu, ev) & mask;
  const delta = (now - ev.prevCount) & mask;
  ev.prevCount = designOf(world).prevCountSignExtended ? u64(signExtend(now, width)) : now;
  ev.count = u64(ev.count + delta);
  ev.periodLeft -= delta;
}

/**
 * `perf_event_update_userpage`: the page's lock moves by two (odd while the kernel writes).
 * `at` is where it runs (design.ts `Publish`): by default on the event's CPU.
 */
export function updatePage(world: World, ev: PerfEvent, lockMoves = 1, at: Publish = { cpu: ev.activeCpu, oncpu: ev.activeCpu }): void {
  const design = designOf(world);
  const index = design.eventIndex(world, ev);
  // A new page each time, never one changed in place: a world copy shares the old one.
  ev.page = {
    lock: ev.page.lock + 2 * lockMoves,
    index,
    offset: index === 0 ? ev.count : u64(ev.count - ev.prevCount),
    capUserRdpmc: design.capUserRdpmc(world, ev, at),
    pmcWidth: design.pmcWidth(world, ev),
  };
}

/** `pid:fd`; a per-CPU event opened by a task `pid:fd` too, by the tool `cpu:fd`; inherited `pid:fdi`. */
function ownerName(ev: PerfEvent): string {
  if (ev.parent !== null) return `${ev.owner}:${ev.fd}i`;
  return ev.owner === null ? `${ev.openedBy ?? 'cpu'}:${ev.fd}` : `${ev.owner}:${ev.fd}`;
}

export function counterName(id: number): string {
  return id === cycleCounterId ? 'PMCCNTR' : `PMEVCNTR${id}`;
}

/**
 * `armpmu_add`: give the event a counter on this CPU, preset it, publish the page. A failed
 * add (no counter, or the design's refusal) returns before `perf_event_update_userpage`: the
 * page stays as the last update left it (index 0 since the event's last `armpmu_del`).
 */
export function addEvent(world: World, cpu: Cpu, ev: PerfEvent): boolean {
  const refused = designOf(world).addError(world, cpu, ev);
  if (refused) {
    logNote(world, cpu.id, 'hook', `armpmu_add of event ${ownerName(ev)} (${ev.type}${ev.is64 ? ', 64-bit' : ''}): -${refused}, inactive`);
    return false;
  }
  const got = allocate(world, cpu, ev);
  if (got === null) {
    logNote(world, cpu.id, 'hook', `event ${ownerName(ev)} (${ev.type}) gets no counter: inactive, index 0`);
    return false;
  }
  ev.counter = got.counter;
  ev.chained = got.chained;
  ev.activeCpu = cpu.id;
  if (got.chained) {
    // The odd counter counts the even one's overflows and raises the interrupt.
    occupy(cpu.counters[got.counter]!, ev, ev.type, false);
    occupy(cpu.counters[got.counter + 1]!, ev, 'chain', true);
  } else {
    occupy(counterOf(cpu, got.counter), ev, ev.type, true);
  }
  // armpmu_start's set_period publishes the page, then armpmu_add publishes it again.
  setPeriod(world, cpu, ev);
  updatePage(world, ev);
  return true;
}

/** `armpmu_del`: fold the counter into the count and free it; its value stays in the register. */
export function removeEvent(world: World, ev: PerfEvent): void {
  if (ev.counter === null || ev.activeCpu === null) return;
  const cpu = world.cpus[ev.activeCpu]!;
  updateEvent(world, cpu, ev);
  release(counterOf(cpu, ev.counter));
  if (ev.chained) release(cpu.counters[ev.counter + 1]!);
  ev.counter = null;
  ev.activeCpu = null;
  ev.chained = false;
  // event_sched_out calls pmu->del before it sets oncpu = -1.
  updatePage(world, ev, 1, { cpu: cpu.id, oncpu: cpu.id });
}

/** The events of a task's perf context (task-bound events counting it). */
export function taskEvents(world: World, task: Task): PerfEvent[] {
  const list: PerfEvent[] = [];
  for (const id of task.perfContext) {
    const ev = world.events.get(id);
    if (ev) list.push(ev);
  }
  return list;
}

/** Counters in use on the CPU (`used_mask` not empty). */
export function pmuInUse(cpu: Cpu): boolean {
  return cpu.cycleCounter.event !== null || cpu.counters.some((c) => c.event !== null);
}

/**
 * `armpmu_enable`: the driver's start() runs only when some counter is in use. A design may
 * also reconsider access every time (hardened does, counters in use or not).
 */
export function pmuEnable(world: World, cpu: Cpu): void {
  const design = designOf(world);
  if (pmuInUse(cpu)) design.pmuStart(world, cpu);
  design.reconsider(world, cpu);
}

/** The log event of one overflow the handler folds (`count` is the event's count after it). */
export function overflowEvent(counterId: number, ev: PerfEvent, count: bigint): KernelEvent & { kind: 'overflow' } {
  return { kind: 'overflow', what: 'overflow', counter: counterName(counterId), event: ownerName(ev), count };
}

/** The same as a log entry, stamped: for overflows worked out in closed form. */
export function overflowEntry(counterId: number, ev: PerfEvent, count: bigint, step: number, cpu: number): LogEntry {
  return { kind: 'overflow', what: 'overflow', counter: counterName(counterId), event: ownerName(ev), count, step, cpu };
}

/**
 * `armv8pmu_handle_irq`: stop, fold each overflowed event, preset it (which publishes), start. `enable`
 * is `armpmu_enable` (overflow.ts passes one that watches whether it changed anything).
 */
export function handlePmuIrq(world: World, cpu: Cpu, enable: (world: World, cpu: Cpu) => void = pmuEnable): void {
  engineStats.pmuInterrupts++;
  sendCpu(cpu, { type: 'cpu.irq' });
  const flagged = [cpu.cycleCounter, ...cpu.counters].filter((c) => c.overflow);
  for (const c of flagged) c.overflow = false; // PMOVSCLR_EL0
  for (const c of flagged) {
    if (c.event === null || !c.irq) continue;
    const ev = world.events.get(c.event);
    if (!ev) continue;
    updateEvent(world, cpu, ev);
    setPeriod(world, cpu, ev);
    logEvent(world, cpu.id, overflowEvent(c.id, ev, ev.count));
  }
  enable(world, cpu);
  sendCpu(cpu, { type: 'cpu.eret' });
}

/** `perf_event_read` for the read() syscall: fold the live counter in, return the count. */
export function readCount(world: World, ev: PerfEvent): bigint {
  if (ev.activeCpu !== null) updateEvent(world, world.cpus[ev.activeCpu]!, ev);
  return ev.count;
}

export { ownerName };
