/**
 * The scheduler: per-CPU run queues, time slices, and the context switch
 * (`__schedule` -> `context_switch`): perf schedules the outgoing task's events out, the CPU
 * loads the next task's mm only if it differs from the one loaded (`switch_mm` ->
 * `__switch_mm`, where the v4 design hooks in; the idle task keeps the last mm, lazy TLB), then
 * perf schedules the incoming task's events in and re-enables the PMU (`armpmu_enable`).
 */
import { designOf } from './designs/design.js';
import { cpuMode, sendCpu, sendTask, taskHas, taskState } from './lifecycle.js';
import { logEvent } from './log.js';
import { pmuEnable } from './perf.js';
import { schedIn, schedOut } from './perf-sched.js';
import { reapMmIfUnused } from './reap.js';
import type { Cause } from './events.js';
import type { Cpu, Mm, Task, World } from './world.js';

export interface SwitchOptions {
  /** Put a still-runnable outgoing task at the back of this CPU's queue. */
  requeuePrev: boolean;
  reason: string;
}

/** Load `mm` on the CPU: `switch_mm`, keeping mm_cpumask where the architecture does. */
export function loadMm(world: World, cpu: Cpu, mm: Mm, why: Cause['switch'] | null): void {
  const design = designOf(world);
  if (design.maintainsCpumask(world)) {
    const old = cpu.activeMm === null ? undefined : world.mms.get(cpu.activeMm);
    if (old) old.cpumask = old.cpumask.filter((id) => id !== cpu.id);
    if (!mm.cpumask.includes(cpu.id)) mm.cpumask = [...mm.cpumask, cpu.id].sort((a, b) => a - b);
  }
  const previous = cpu.activeMm;
  cpu.activeMm = mm.id;
  const cause: Cause = { fn: why ? `switch_mm to mm ${mm.id}` : `exec_mmap: activate_mm to mm ${mm.id}` };
  if (why) cause.switch = why;
  design.switchMm(world, cpu, mm, cause);
  if (previous !== null) reapMmIfUnused(world, world.mms.get(previous));
}

export function contextSwitch(world: World, cpu: Cpu, nextPid: number | null, opts: SwitchOptions): void {
  const prev = cpu.current === null ? undefined : world.tasks.get(cpu.current);
  const next = nextPid === null ? undefined : world.tasks.get(nextPid);
  if (prev) {
    schedOut(world, prev);
    if (taskState(prev) === 'running') {
      sendTask(prev, { type: 'task.preempt' });
      if (opts.requeuePrev) cpu.runqueue.push(prev.pid);
    }
  }
  if (next) {
    cpu.runqueue = cpu.runqueue.filter((pid) => pid !== next.pid);
    const mm = world.mms.get(next.mm)!;
    if (mm.id !== cpu.activeMm) loadMm(world, cpu, mm, { from: prev?.pid ?? null, to: next.pid, reason: opts.reason });
  }
  cpu.current = next?.pid ?? null;
  cpu.sliceLeft = world.config.sliceTicks;
  logEvent(world, cpu.id, {
    kind: 'switch', what: 'switch', reason: opts.reason,
    from: prev ? { pid: prev.pid, name: prev.name } : null,
    to: next ? { pid: next.pid, name: next.name, mm: next.mm } : null,
  });
  schedIn(world, cpu, next ?? null);
  pmuEnable(world, cpu);
  const mode = cpuMode(cpu);
  if (next) {
    sendTask(next, { type: 'task.run' });
    if (mode !== 'el0') sendCpu(cpu, { type: 'cpu.run' });
  } else if (mode !== 'idle') {
    sendCpu(cpu, { type: 'cpu.idle' });
  }
}

/** The task spinning in the kernel on this CPU (`pins-cpu`), which therefore cannot switch. */
export function cpuBusy(world: World, cpu: Cpu): Task | null {
  const cur = cpu.current === null ? undefined : world.tasks.get(cpu.current);
  return cur && taskHas(cur, 'pins-cpu') ? cur : null;
}

/** Leave the CPU: switch to the next runnable task, or to idle. */
export function switchAway(world: World, cpu: Cpu, reason: string): void {
  contextSwitch(world, cpu, cpu.runqueue[0] ?? null, { requeuePrev: false, reason });
}

/** Make a runnable task run now on its CPU (a command it performs), logged as a switch. */
export function ensureRunning(world: World, task: Task, why: string): void {
  const cpu = world.cpus[task.cpu]!;
  if (cpu.current === task.pid) return;
  contextSwitch(world, cpu, task.pid, { requeuePrev: true, reason: why });
}

/** Put a runnable task on its CPU: at once if the CPU is idle, else on the run queue. */
export function enqueue(world: World, task: Task, reason: string): void {
  const cpu = world.cpus[task.cpu]!;
  if (cpu.current === null && cpuMode(cpu) === 'idle') contextSwitch(world, cpu, task.pid, { requeuePrev: false, reason });
  else if (!cpu.runqueue.includes(task.pid)) cpu.runqueue.push(task.pid);
}

/** The scheduler tick on one CPU: the slice runs down, then the next task gets the CPU. */
export function schedulerTick(world: World, cpu: Cpu): void {
  if (cpuMode(cpu) === 'halted' || cpuBusy(world, cpu)) return;
  if (cpu.current === null) {
    if (cpu.runqueue.length > 0) contextSwitch(world, cpu, cpu.runqueue[0]!, { requeuePrev: false, reason: 'idle CPU picks a task' });
    return;
  }
  cpu.sliceLeft--;
  if (cpu.sliceLeft > 0) return;
  if (cpu.runqueue.length === 0) {
    cpu.sliceLeft = world.config.sliceTicks;
    return;
  }
  contextSwitch(world, cpu, cpu.runqueue[0]!, { requeuePrev: true, reason: 'time slice over' });
}

/** Take a task off whatever CPU or queue it is on (it is leaving: sleep, exit, migrate). */
export function detach(world: World, task: Task, reason: string): void {
  const cpu = world.cpus[task.cpu]!;
  if (cpu.current === task.pid) switchAway(world, cpu, reason);
  else cpu.runqueue = cpu.runqueue.filter((pid) => pid !== task.pid);
}
