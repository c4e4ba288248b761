/**
 * The PMU hardware of one CPU while a task runs: event counters and the cycle counter count,
 * wrap, chain and set overflow flags (PMOVSSET_EL0); an enabled overflow raises the PMU
 * interrupt. `runCycles` advances time from one wrap to the next, so it costs as much as the
 * overflows it causes: it is the reference, and overflow.ts takes spans with many wraps in
 * closed form, leaving the same world.
 */
import { maskOf } from './bits.js';
import type { Counter, Cpu, PerfEvent, Task, World } from './world.js';

/** The hardware id of the cycle counter: PMSELR_EL0.SEL = 31 selects it. */
export const cycleCounterId = 31;

export function counterOf(cpu: Cpu, id: number): Counter {
  return id === cycleCounterId ? cpu.cycleCounter : cpu.counters[id]!;
}

/** Instructions a task has retired after `cycles` cycles of its life (its fixed rate). */
export function instructionsAt(task: Task, cycles: bigint): bigint {
  return (cycles * BigInt(task.ipcQuarters)) / 4n;
}

function eventsOver(counter: Counter, task: Task, cycles: bigint): bigint {
  if (counter.counts === 'cycles') return cycles;
  return instructionsAt(task, task.cyclesRun + cycles) - instructionsAt(task, task.cyclesRun);
}

/** Cycles until `events` more of the counter's kind have happened. */
function cyclesFor(counter: Counter, task: Task, events: bigint): bigint {
  if (counter.counts === 'cycles') return events;
  const q = BigInt(task.ipcQuarters);
  const target = instructionsAt(task, task.cyclesRun) + events;
  const cycleAt = (target * 4n + q - 1n) / q;
  return cycleAt - task.cyclesRun;
}

/** Counters counting something now, the low half of a chained pair included. */
function counting(cpu: Cpu): Counter[] {
  const list: Counter[] = [];
  if (cpu.cycleCounter.enabled && cpu.cycleCounter.counts !== null) list.push(cpu.cycleCounter);
  for (const c of cpu.counters) if (c.enabled && c.counts !== null && c.counts !== 'chain') list.push(c);
  return list;
}

/** Add `events` to a counter; a wrap sets its overflow flag and carries into a CHAIN counter. */
function addEvents(cpu: Cpu, counter: Counter, events: bigint): void {
  const limit = 1n << BigInt(counter.width);
  const sum = counter.value + events;
  if (sum < limit) {
    counter.value = sum;
    return;
  }
  counter.value = sum - limit;
  counter.overflow = true;
  const high = counter.id % 2 === 0 ? cpu.counters[counter.id + 1] : undefined;
  if (high && high.enabled && high.counts === 'chain') addEvents(cpu, high, 1n);
}

/**
 * Run `cycles` cycles of `task` at EL0 on `cpu`. `onIrq` is the PMU interrupt handler, called
 * at the instant an interrupt-enabled counter overflows.
 */
const wrapAt32 = 1n << 32n;
const wrapAt64 = 1n << 64n;

/**
 * The common case of `runCycles`, in one step: when no counting counter reaches its wrap in
 * `cycles` (and no interrupt is pending), add what each counted and return true; otherwise
 * change nothing and return false. Instructions are worked out once for all counters.
 */
export function runWithoutWrap(world: World, cpu: Cpu, task: Task, cycles: bigint): boolean {
  if (irqPending(cpu)) return false;
  let instructions = -1n;
  for (let i = -1; i < cpu.counters.length; i++) {
    const c = i < 0 ? cpu.cycleCounter : cpu.counters[i]!;
    if (!c.enabled || c.counts === null || c.counts === 'chain') continue;
    if (c.counts === 'instructions' && instructions < 0n) {
      instructions = instructionsAt(task, task.cyclesRun + cycles) - instructionsAt(task, task.cyclesRun);
    }
    const events = c.counts === 'cycles' ? cycles : instructions;
    if (c.value + events >= (c.width === 32 ? wrapAt32 : c.width === 64 ? wrapAt64 : 1n << BigInt(c.width))) return false;
  }
  for (let i = -1; i < cpu.counters.length; i++) {
    const c = i < 0 ? cpu.cycleCounter : cpu.counters[i]!;
    if (!c.enabled || c.counts === null || c.counts === 'chain') continue;
    const events = c.counts === 'cycles' ? cycles : instructions;
    if (events === 0n) continue;
    c.value += events;
    if (c.event !== null) {
      const ev = world.events.get(c.event);
      if (ev) ev.trueCount += events;
    }
  }
  task.cyclesRun += cycles;
  cpu.cycles += cycles;
  return true;
}

export function runCycles(world: World, cpu: Cpu, task: Task, cycles: bigint, onIrq: (cpu: Cpu) => void): void {
  let left = cycles;
  while (left > 0n) {
    const live = counting(cpu);
    let step = left;
    for (const c of live) {
      const toWrap = cyclesFor(c, task, (1n << BigInt(c.width)) - c.value);
      if (toWrap < step) step = toWrap;
    }
    if (step < 1n) step = 1n;
    for (const c of live) {
      const events = eventsOver(c, task, step);
      if (events === 0n) continue;
      addEvents(cpu, c, events);
      if (c.event !== null) {
        const ev = world.events.get(c.event);
        if (ev) ev.trueCount += events;
      }
    }
    task.cyclesRun += step;
    cpu.cycles += step;
    left -= step;
    if (irqPending(cpu)) onIrq(cpu);
  }
}

export function irqPending(cpu: Cpu): boolean {
  if (cpu.cycleCounter.overflow && cpu.cycleCounter.irq) return true;
  return cpu.counters.some((c) => c.overflow && c.irq);
}

/** The raw value of the event's counter as the kernel reads it (a chained pair as 64 bits). */
export function readEventCounter(cpu: Cpu, ev: PerfEvent): bigint {
  if (ev.counter === null) return 0n;
  if (ev.counter === 31) return cpu.cycleCounter.value;
  const low = cpu.counters[ev.counter]!;
  if (!ev.chained) return low.value;
  const high = cpu.counters[ev.counter + 1]!;
  return (high.value << 32n) | low.value;
}

/** Write a value to the event's counter(s), keeping each within its physical width. */
export function writeEventCounter(cpu: Cpu, ev: PerfEvent, value: bigint): void {
  if (ev.counter === null) return;
  if (ev.counter === 31) {
    cpu.cycleCounter.value = value & maskOf(cpu.cycleCounter.width);
    return;
  }
  const low = cpu.counters[ev.counter]!;
  if (!ev.chained) {
    low.value = value & maskOf(low.width);
    return;
  }
  low.value = value & maskOf(32);
  cpu.counters[ev.counter + 1]!.value = (value >> 32n) & maskOf(32);
}
