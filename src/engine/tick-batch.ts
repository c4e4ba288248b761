/**
 * `tick N` without N times the work of one tick. While the machine is quiescent — every run
 * queue empty, so the scheduler tick (`scheduler_tick` -> `task_tick_fair`) only runs each
 * slice down and renews it; no syscall parked to finish; nothing the per-tick settle or the
 * monitor would change — a tick only counts, and a stretch of ticks is taken at once: each
 * CPU's counters in closed form over the whole stretch (overflow.ts), the slices by
 * arithmetic, and the overflow log lines stamped with the step of their tick, in the order the
 * ticks write them (tick by tick, CPU by CPU, in time order within a CPU). A tick in which a
 * CPU takes its first interrupt of the stretch runs as a real tick: that interrupt's
 * `armpmu_enable` may change access (and the monitor must see it), and it shows whether the
 * next ones will change anything.
 */
import { cpuMode, taskState } from './lifecycle.js';
import { type SpanContext, type SpanWraps, type Unit, type Wrap, closedSpan, firstWrap, mergeNewest, overflowOptions, overflowStats, taskAtEl0, unitsOf } from './overflow.js';
import { ringPushNewest } from './ring.js';
import type { Cpu, LogEntry, Task, World } from './world.js';

/** Nothing but counting and slices running down happens in a tick of this world. */
export function quiescent(world: World): boolean {
  for (const cpu of world.cpus) {
    const task = cpu.current === null ? undefined : world.tasks.get(cpu.current);
    // The per-tick settle finishes parked syscalls and deferred mmaps of current tasks.
    if (task && (task.resume !== null || task.deferred !== null)) return false;
    const mode = cpuMode(cpu);
    if (mode === 'halted') continue;
    if (cpu.runqueue.length > 0 || cpu.muxTimer) return false;
    if (cpu.current === null) {
      if (mode !== 'idle') return false;
      continue;
    }
    if (!task || mode !== 'el0' || taskState(task) !== 'running') return false;
    if (cpu.sliceLeft < 1 || cpu.sliceLeft > world.config.sliceTicks) return false;
  }
  return true;
}

/**
 * `tick N`: the first tick as it always runs, then stretches of quiescent ticks at once and
 * any other tick one by one. `oneTick` is one tick (count, scheduler tick, settle) and returns
 * its lines; the caller has counted the first tick's step.
 */
export function runTicks(world: World, n: number, oneTick: (ctx?: SpanContext) => string[]): string[] {
  if (n < 1) return [];
  const lines = oneTick();
  let i = 1;
  while (i < n) {
    if (overflowOptions.closedForm && quiescent(world)) {
      i += quietTicks(world, n - i, oneTick, lines);
      continue;
    }
    world.step++;
    lines.push(...oneTick());
    i++;
  }
  return lines;
}

interface Runner {
  cpu: Cpu;
  task: Task;
  units: Unit[];
}

/** Up to `max` ticks of a quiescent world; returns how many it ran (at least one). */
function quietTicks(world: World, max: number, oneTick: (ctx?: SpanContext) => string[], lines: string[]): number {
  const ctx: SpanContext = { settled: new Set(), verify: true };
  const perTick = world.config.cyclesPerTick;
  let done = 0;
  while (done < max) {
    if (done > 0 && !quiescent(world)) break;
    let stretch = BigInt(max - done);
    const runners: Runner[] = [];
    for (const cpu of world.cpus) {
      const task = taskAtEl0(world, cpu);
      if (!task) continue;
      const units = unitsOf(world, cpu, task);
      if (units === null) {
        stretch = 0n;
        break;
      }
      runners.push({ cpu, task, units });
      if (ctx.settled.has(cpu.id)) continue;
      // Stop before the tick of this CPU's first interrupt: that one runs as a real tick.
      const first = firstWrap(task, units);
      if (first !== null && (first + perTick - 1n) / perTick - 1n < stretch) stretch = (first + perTick - 1n) / perTick - 1n;
    }
    if (stretch > 0n) {
      countTicks(world, runners, Number(stretch));
      done += Number(stretch);
    } else {
      world.step++;
      lines.push(...oneTick(ctx));
      done++;
    }
  }
  return done;
}

/** `ticks` quiescent ticks at once. */
function countTicks(world: World, runners: Runner[], ticks: number): void {
  const perTick = world.config.cyclesPerTick;
  const firstStep = world.step + 1;
  const spans = runners.map((r) => closedSpan(world, r.cpu, r.task, r.units, perTick * BigInt(ticks)));
  const slice = world.config.sliceTicks;
  for (const cpu of world.cpus) {
    if (cpu.current === null || cpuMode(cpu) === 'halted') continue;
    // Each tick: sliceLeft-- and, at 0 with nothing queued, back to a full slice.
    cpu.sliceLeft = ((((cpu.sliceLeft - 1 - ticks) % slice) + slice) % slice) + 1;
  }
  world.step += ticks;
  world.tick += ticks;
  overflowStats.batchedTicks += ticks;
  logTicks(world, spans, firstStep, perTick);
}

interface Stamped {
  tick: bigint;
  cpu: number;
  wrap: Wrap;
}

function* stamped(span: SpanWraps, perTick: bigint): Generator<Stamped> {
  const it = span.newest();
  // A wrap at the last cycle of a tick belongs to that tick.
  for (let r = it.next(); !r.done; r = it.next()) yield { tick: (r.value.cycle - span.start + perTick - 1n) / perTick, cpu: span.cpu, wrap: r.value };
}

/** The overflow lines of a stretch, tick by tick and CPU by CPU; only the kept ones are made. */
function logTicks(world: World, spans: SpanWraps[], firstStep: number, perTick: bigint): void {
  const total = spans.reduce((n, s) => n + s.total, 0);
  if (total === 0) return;
  const kept: LogEntry[] = [];
  const it = mergeNewest(spans.map((s) => stamped(s, perTick)), (a, b) => a.tick > b.tick || (a.tick === b.tick && a.cpu > b.cpu));
  for (let r = it.next(); !r.done && kept.length < world.log.capacity; r = it.next()) {
    kept.push(r.value.wrap.entry(firstStep + Number(r.value.tick) - 1, r.value.cpu));
  }
  ringPushNewest(world.log, total, kept.reverse());
}
