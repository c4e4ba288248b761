/**
 * Overflows in closed form. The hardware and kernel path are those of `runCycles` in pmu.ts
 * (counters count, wrap and chain; `armv8pmu_handle_irq` folds each overflowed counter into
 * its event with `armpmu_event_update`, presets it with `armpmu_event_set_period`, publishes
 * with `perf_event_update_userpage`, then `armpmu_enable`), but a span of cycles in which the
 * counters wrap k times costs O(counters + log lines kept), not O(k), and leaves exactly the
 * world the loop leaves.
 *
 * Why that is possible: each counter's trajectory is independent of the others (events over a
 * span telescope: instructions after c cycles are floor(c * ipcQuarters / 4)); after an
 * interrupt an overflowed counter is preset from `period_left`, which takes what the counter
 * overshot its wrap by out of the next period, so its wraps come every max_period =
 * 2^(w-1) - 1 events, w the event's width (`Orbit`). What an interrupt's
 * `armpmu_enable` does is not in closed form: each CPU's first interrupts run the real handler
 * until one is seen to leave the world unchanged after `armpmu_enable`; from then on, while
 * nothing but counting happens, the rest are taken in closed form. That rests on a fact of
 * every design (the property test holds them all to the loop): `armpmu_enable` reads nothing
 * that counting changes (values of counters in use, counts, pages, time), so once it changes
 * nothing it goes on changing nothing.
 */
import { maskOf, u64 } from './bits.js';
import { Orbit, cycleAt, eventsAt } from './orbit.js';
import { cpuMode } from './lifecycle.js';
import { eventWidth, handlePmuIrq, overflowEntry, pmuEnable, updatePage } from './perf.js';
import { ringPushNewest } from './ring.js';
import { cycleCounterId, irqPending, runCycles, runWithoutWrap } from './pmu.js';
import { engineStats } from './stats.js';
import type { Counter, Cpu, LogEntry, PerfEvent, Task, World } from './world.js';

/**
 * `closedForm` switches between the closed form and the reference loop (`runCycles` at every
 * wrap, every tick one by one): only tests turn it off, to compare the two.
 * `genuineWrapsMax`: up to this many wraps in one span are all taken by the real handler,
 * without checking whether its `armpmu_enable` settled: setting up the closed form (the orbits,
 * the check on the CPU) costs more than a few hundred handler calls. Tests set it to 0 to take
 * every span it can in closed form.
 */
export const overflowOptions = { closedForm: true, genuineWrapsMax: 256n };

/** What the closed form took on, for tests that must know they met it and for the bench. */
export const overflowStats = {
  /** Wraps that raised the interrupt, taken in closed form. */
  closedWraps: 0,
  /** Ticks taken in stretches by tick-batch.ts. */
  batchedTicks: 0,
  /** Real interrupts whose `armpmu_enable` was watched and changed something. */
  enableChanged: 0,
};

/** Interrupts are counted one per instant (as the loop takes them) by listing the instants
 * when a span has at most this many wraps; beyond, counters that wrap at different instants
 * are assumed never to coincide. `engineStats` is a diagnostic, not world state. */
const irqInstantsListedMax = 1n << 16n;

/**
 * One counting unit: a counter that counts the task's cycles or instructions and raises the
 * interrupt at its wrap, or a chained pair (the even counter counts, the odd one counts its
 * wraps and raises the interrupt), seen as one 64-bit counter.
 */
export interface Unit {
  ev: PerfEvent;
  /** The counter that counts events. */
  low: Counter;
  /** The CHAIN half of a pair, or null. */
  high: Counter | null;
  /** The counter whose flag raises the interrupt and names the log line. */
  irqCounter: Counter;
  /** Where the handler meets it in its walk over [cycle counter, counter 0, 1, ...]. */
  order: number;
  /** Events per 4 cycles. */
  q: bigint;
  width: bigint;
  value: bigint;
  /** The raw value `armpmu_event_set_period` leaves with a whole period left. */
  preset: bigint;
  /** max_period, and the event width's mask for `armpmu_event_update`'s delta. */
  period: bigint;
  evMask: bigint;
}

/** The counting units of a CPU, or null when some counter is in a state the closed form does
 * not cover (the caller then runs the loop). */
export function unitsOf(world: World, cpu: Cpu, task: Task): Unit[] | null {
  if (irqPending(cpu)) return null;
  const units: Unit[] = [];
  const all = [cpu.cycleCounter, ...cpu.counters];
  for (const c of all) {
    if (!c.enabled || c.counts === null || c.counts === 'chain') continue;
    const next = c.id !== cycleCounterId && c.id % 2 === 0 ? cpu.counters[c.id + 1] : undefined;
    const high = next && next.enabled && next.counts === 'chain' ? next : null;
    const irqCounter = high ?? c;
    const ev = c.event === null ? undefined : world.events.get(c.event);
    if (!ev || !irqCounter.irq || (high && (c.irq || high.event !== c.event || c.width !== 32 || high.width !== 32))) return null;
    const ew = eventWidth(world, ev);
    // The first interrupt's update leaves period_left minus the overshoot only while
    // period_left is prev_count's distance to the wrap (a counter written back by a task
    // breaks that; the loop takes it).
    if (ev.periodLeft !== (1n << BigInt(ew)) - (ev.prevCount & maskOf(ew))) return null;
    const period = maskOf(ew) >> 1n;
    const width = high ? 64n : BigInt(c.width);
    units.push({
      ev, low: c, high, irqCounter,
      order: irqCounter.id === cycleCounterId ? -1 : irqCounter.id,
      q: c.counts === 'cycles' ? 4n : BigInt(task.ipcQuarters),
      width,
      value: high ? (high.value << 32n) | c.value : c.value,
      preset: u64(-period) & maskOf(Number(width)),
      period,
      evMask: maskOf(ew),
    });
  }
  return units;
}

/** A unit's wraps from task cycle `start` on: the first when its value reaches 2^width, the
 * next ones each after the preset's distance to the wrap (max_period events). */
function orbitOf(unit: Unit, start: bigint): Orbit {
  const top = 1n << unit.width;
  return new Orbit(eventsAt(start, unit.q) + (top - unit.value), top - unit.preset, unit.q);
}

/** One wrap that raised the interrupt: when, where in the handler's walk, and its log line. */
export interface Wrap {
  cycle: bigint;
  order: number;
  /** Its log entry, built only for the lines the log keeps. */
  entry: (step: number, cpu: number) => LogEntry;
}

/** What a closed-form span did on one CPU, for the log: its wraps, newest first on demand. */
export interface SpanWraps {
  cpu: number;
  /** The task's cycle count when the span began. */
  start: bigint;
  total: number;
  /** Wraps, newest first: by cycle, then by the handler's walk. */
  newest(): Iterator<Wrap>;
}

interface Plan {
  unit: Unit;
  orbit: Orbit;
  wraps: bigint;
  /** The event's count after the first wrap's update. */
  count0: bigint;
}

/** The event's count after the k-th wrap's update. */
function countAfter(plan: Plan, k: bigint): bigint {
  // After the first wrap each delta is what was counted between two interrupts.
  return u64(plan.count0 + plan.orbit.after(k) - plan.orbit.after(0n));
}

function* newestOf(plan: Plan, kept: bigint): Generator<Wrap> {
  const stop = plan.wraps > kept ? plan.wraps - kept : 0n;
  for (let k = plan.wraps - 1n; k >= stop; k--) {
    const at = k;
    yield { cycle: plan.orbit.cycle(at), order: plan.unit.order, entry: (step, cpu) => overflowEntry(plan.unit.irqCounter.id, plan.unit.ev, countAfter(plan, at), step, cpu) };
  }
}

/** Merge streams that each run newest first into one, newest first, by `later`. */
export function* mergeNewest<T>(streams: Iterator<T>[], later: (a: T, b: T) => boolean): Generator<T> {
  const heads = streams.map((s) => s.next());
  for (;;) {
    let best = -1;
    for (let i = 0; i < heads.length; i++) {
      const h = heads[i]!;
      if (h.done) continue;
      if (best < 0 || later(h.value, (heads[best] as IteratorYieldResult<T>).value)) best = i;
    }
    if (best < 0) return;
    const value = (heads[best] as IteratorYieldResult<T>).value;
    heads[best] = streams[best]!.next();
    yield value;
  }
}

/** Distinct interrupt instants among the wraps (the loop takes simultaneous wraps in one). */
function irqInstants(plans: Plan[]): number {
  const total = plans.reduce((n, p) => n + p.wraps, 0n);
  if (total <= irqInstantsListedMax) {
    const instants = new Set<bigint>();
    for (const p of plans) for (let k = 0n; k < p.wraps; k++) instants.add(p.orbit.cycle(k));
    return instants.size;
  }
  const same = new Map<string, bigint>();
  for (const p of plans) same.set(`${p.orbit.q}:${p.orbit.cycle(0n)}:${p.orbit.dist}`, p.wraps);
  return Number([...same.values()].reduce((n, k) => n + k, 0n));
}

/**
 * Advance the CPU's counters by `cycles` of `task` in closed form, every wrap taken as the
 * handler takes it except for `armpmu_enable`, which the caller has seen to change nothing
 * (or no wrap raises an interrupt in the span). The task's and the CPU's cycles move too.
 * Returns the wraps for the log, which the caller writes.
 */
export function closedSpan(world: World, cpu: Cpu, task: Task, units: Unit[], cycles: bigint): SpanWraps {
  const start = task.cyclesRun;
  const end = start + cycles;
  const plans: Plan[] = units.map((unit) => {
    const orbit = orbitOf(unit, start);
    const wraps = orbit.countBy(eventsAt(end, unit.q));
    const first = orbit.after(0n) - orbit.due(0n);
    const count0 = u64(unit.ev.count + ((first - unit.ev.prevCount) & unit.evMask));
    return { unit, orbit, wraps, count0 };
  });
  let lastIrq = -1n;
  for (const p of plans) if (p.wraps > 0n) lastIrq = lastIrq > p.orbit.cycle(p.wraps - 1n) ? lastIrq : p.orbit.cycle(p.wraps - 1n);
  // A chained pair's low half sets its flag at each of its wraps; an interrupt clears all.
  const lowFlags = plans.map((p) => (p.unit.high ? lowFlagAfter(p, start, end, lastIrq) : false));
  if (lastIrq >= 0n) for (const c of [cpu.cycleCounter, ...cpu.counters]) c.overflow = false;
  plans.forEach((p, i) => apply(world, p, start, end, lowFlags[i]!));
  engineStats.pmuInterrupts += irqInstants(plans);
  task.cyclesRun = end;
  cpu.cycles += cycles;
  const wrapping = plans.filter((p) => p.wraps > 0n);
  const total = Number(wrapping.reduce((n, p) => n + p.wraps, 0n));
  overflowStats.closedWraps += total;
  return {
    cpu: cpu.id,
    start,
    total,
    newest: () => {
      const kept = BigInt(world.log.capacity);
      return mergeNewest(wrapping.map((p) => newestOf(p, kept)), (a, b) => a.cycle > b.cycle || (a.cycle === b.cycle && a.order > b.order));
    },
  };
}

/** The low half's flag at the end: set by a wrap after the CPU's last interrupt in the span. */
function lowFlagAfter(plan: Plan, start: bigint, end: bigint, lastIrq: bigint): boolean {
  const { unit, orbit, wraps } = plan;
  const segStart = wraps > 0n ? orbit.due(wraps - 1n) : eventsAt(start, unit.q);
  const segValue = wraps > 0n ? unit.preset : unit.value;
  const endValue = segValue + (eventsAt(end, unit.q) - segStart);
  const lowWraps = (endValue >> 32n) - (segValue >> 32n);
  if (lowWraps === 0n) return lastIrq < 0n && unit.low.overflow;
  if (lastIrq < 0n) return true;
  const lastLowWrap = cycleAt(segStart + ((endValue >> 32n) << 32n) - segValue, unit.q);
  return lastLowWrap > lastIrq;
}

function apply(world: World, plan: Plan, start: bigint, end: bigint, lowFlag: boolean): void {
  const { unit, orbit, wraps } = plan;
  const ev = unit.ev;
  const endEvents = eventsAt(end, unit.q);
  let value: bigint;
  if (wraps === 0n) {
    value = unit.value + (endEvents - eventsAt(start, unit.q));
  } else {
    // The last interrupt took its overshoot out of the period it preset.
    const last = wraps - 1n;
    const left = unit.period - (orbit.after(last) - orbit.due(last));
    value = unit.preset + (endEvents - orbit.due(last));
    ev.count = countAfter(plan, last);
    ev.prevCount = u64(-left);
    ev.periodLeft = left;
    // One update of the page per wrap (its set_period), the last one's contents.
    updatePage(world, ev, Number(wraps));
  }
  ev.trueCount += endEvents - eventsAt(start, unit.q);
  if (unit.high) {
    unit.low.value = value & maskOf(32);
    unit.high.value = value >> 32n;
    unit.low.overflow = lowFlag;
  } else {
    unit.low.value = value;
  }
}

/** The cycle offset, from now, of the CPU's first wrap that raises the interrupt. */
export function firstWrap(task: Task, units: Unit[]): bigint | null {
  let first: bigint | null = null;
  for (const u of units) {
    const at = orbitOf(u, task.cyclesRun).cycle(0n) - task.cyclesRun;
    if (first === null || at < first) first = at;
  }
  return first;
}

/** How many wraps raise the interrupt within `cycles` from now. */
function wrapsWithin(task: Task, units: Unit[], cycles: bigint): bigint {
  let n = 0n;
  for (const u of units) {
    n += orbitOf(u, task.cyclesRun).countBy(eventsAt(task.cyclesRun + cycles, u.q));
  }
  return n;
}

/**
 * At most how many wraps the loop meets in the span, chained low halves included: after its
 * first wrap a counter wraps at most every 2^30 events (every 2^31 - 1 or 2^32). Spans with
 * few are cheaper in the loop than set up in closed form (a tick of 10^6 cycles has none).
 */
function loopStepsMax(cpu: Cpu, task: Task, cycles: bigint): bigint {
  // Runs on every span (a read's 4 cycles too): no allocation, instructions worked out once.
  let n = 0n;
  let instructions = -1n;
  for (let i = -1; i < cpu.counters.length; i++) {
    const c = i < 0 ? cpu.cycleCounter : cpu.counters[i]!;
    if (!c.enabled || c.counts === null || c.counts === 'chain') continue;
    if (c.counts === 'instructions' && instructions < 0n) {
      const q = BigInt(task.ipcQuarters);
      instructions = eventsAt(task.cyclesRun + cycles, q) - eventsAt(task.cyclesRun, q);
    }
    const events = c.counts === 'cycles' ? cycles : instructions;
    const first = (c.width === 32 ? 1n << 32n : c.width === 64 ? 1n << 64n : 1n << BigInt(c.width)) - c.value;
    if (events >= first) n += 1n + ((events - first) >> 30n);
  }
  return n;
}

/**
 * Everything `armpmu_enable` on `cpu` could change, as one string: that CPU whole (registers,
 * grant, the design's per-CPU state, counters), the grant sequence and the rings' totals.
 * `armpmu_enable` acts on its own CPU only, in every design; this is far cheaper than the
 * whole state hash, which the first interrupts of a span would otherwise pay twice each.
 */
function fingerprint(world: World, cpu: Cpu): string {
  const state = JSON.stringify(cpu, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}` : v));
  return `${state} ${world.grantSeq} ${world.log.total} ${world.findings.total}`;
}

/** What a run of spans knows across CPUs and ticks while nothing but counting happens. */
export interface SpanContext {
  /** CPUs whose `armpmu_enable`, in an interrupt, was seen to change nothing. */
  settled: Set<number>;
  /** Check every real interrupt (the tick batcher wants to know), not only before many. */
  verify: boolean;
  /**
   * How many of this span's newest log lines can still be seen: the log keeps its last
   * `capacity` lines, and the CPUs after this one in the same command are known to log at
   * least `capacity - keep` more, so older lines of this span need not be built at all.
   */
  keep?: number;
}

/** The real handler, noting whether its `armpmu_enable` changed anything. */
function genuineIrq(world: World, cpu: Cpu, ctx: SpanContext, verify: boolean): void {
  if (!verify) return handlePmuIrq(world, cpu);
  handlePmuIrq(world, cpu, (w, c) => {
    const before = fingerprint(w, c);
    pmuEnable(w, c);
    if (fingerprint(w, c) === before) ctx.settled.add(c.id);
    else overflowStats.enableChanged++;
  });
}

/** Write a span's wraps to the log as the handler would have, one line per wrap. */
function logWraps(world: World, span: SpanWraps, step: number, keep = world.log.capacity): void {
  if (span.total === 0) return;
  const kept: LogEntry[] = [];
  const it = span.newest();
  const build = Math.max(0, Math.min(world.log.capacity, keep));
  for (let r = it.next(); !r.done && kept.length < build; r = it.next()) {
    kept.push(r.value.entry(step, span.cpu));
  }
  // The monitor judges no overflow, so the lines it never sees built need no `observe`.
  ringPushNewest(world.log, span.total, kept.reverse(), build < world.log.capacity);
}

/**
 * Run `cycles` cycles of `task` at EL0 on `cpu`, as `runCycles` with `handlePmuIrq` would (and
 * with it, when the span has few wraps). The first interrupts run the real handler; once one
 * is seen to leave the world as it was after `armpmu_enable`, the rest of the span is taken in
 * closed form.
 */
export function advance(world: World, cpu: Cpu, task: Task, cycles: bigint, context?: SpanContext): void {
  // The loop stays the reference the tests hold the fast paths to.
  if (overflowOptions.closedForm && runWithoutWrap(world, cpu, task, cycles)) return;
  const loop = !overflowOptions.closedForm || (!context?.verify && loopStepsMax(cpu, task, cycles) <= overflowOptions.genuineWrapsMax);
  if (loop) return runCycles(world, cpu, task, cycles, (c) => handlePmuIrq(world, c));
  const ctx = context ?? { settled: new Set<number>(), verify: false };
  let left = cycles;
  while (left > 0n) {
    const units = unitsOf(world, cpu, task);
    if (units === null) return runCycles(world, cpu, task, left, (c) => handlePmuIrq(world, c));
    const first = ctx.settled.has(cpu.id) ? null : firstWrap(task, units);
    if (first === null || first > left) {
      logWraps(world, closedSpan(world, cpu, task, units, left), world.step, ctx.keep);
      return;
    }
    // A few wraps left: the loop takes them cheaper than working out their orbits one by one.
    if (!ctx.verify && wrapsWithin(task, units, left) <= overflowOptions.genuineWrapsMax) {
      return runCycles(world, cpu, task, left, (c) => handlePmuIrq(world, c));
    }
    if (first > 1n) closedSpan(world, cpu, task, units, first - 1n);
    runCycles(world, cpu, task, 1n, (c) => genuineIrq(world, c, ctx, true));
    left -= first;
  }
}

/** The task a CPU runs at EL0, if any: the CPUs whose counters count in `tick` and `run`. */
export function taskAtEl0(world: World, cpu: Cpu): Task | undefined {
  const task = cpu.current === null ? undefined : world.tasks.get(cpu.current);
  return task && cpuMode(cpu) === 'el0' ? task : undefined;
}

/** Run every CPU that has a task at EL0 for `cycles` cycles, CPU by CPU. */
export function runCpus(world: World, cycles: bigint, ctx?: SpanContext): void {
  const tasks = world.cpus.map((cpu) => taskAtEl0(world, cpu));
  // When the CPUs after one will log more than the log keeps, the older lines of its span
  // are never seen: a lower bound on what each CPU logs (its wraps) spares building them.
  const later = linesAfter(world, tasks, cycles);
  world.cpus.forEach((cpu, i) => {
    const task = tasks[i];
    if (!task) return;
    const keep = later === null ? undefined : world.log.capacity - later[i]!;
    advance(world, cpu, task, cycles, keep === undefined ? ctx : { ...(ctx ?? { settled: new Set<number>(), verify: false }), keep });
  });
}

/** Per CPU, how many overflow lines the CPUs after it will log at least; null when few wrap. */
function linesAfter(world: World, tasks: (Task | undefined)[], cycles: bigint): number[] | null {
  if (!overflowOptions.closedForm) return null;
  // At most 2 events a cycle, at least 2^31 - 1 events between wraps: an upper bound on every
  // counter of every CPU, so a tick of a million cycles costs nothing here.
  const counters = BigInt(world.cpus.length * (world.config.counters + 1));
  if (counters * (1n + (cycles >> 30n)) <= BigInt(world.log.capacity)) return null;
  let bound = 0n;
  world.cpus.forEach((cpu, i) => {
    const task = tasks[i];
    if (task) bound += loopStepsMax(cpu, task, cycles);
  });
  if (bound <= BigInt(world.log.capacity)) return null;
  const wraps = world.cpus.map((cpu, i) => {
    const task = tasks[i];
    const units = task ? unitsOf(world, cpu, task) : null;
    return task && units ? wrapsWithin(task, units, cycles) : 0n;
  });
  const out: number[] = [];
  let after = 0n;
  for (let i = wraps.length - 1; i >= 0; i--) {
    out[i] = Number(after > BigInt(world.log.capacity) ? BigInt(world.log.capacity) : after);
    after += wraps[i]!;
  }
  return out;
}

