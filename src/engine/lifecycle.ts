/**
 * Reading and driving the lifecycle machines. The engine keeps no copy of a task's, an mm's
 * or a CPU's mode: it asks the actor's snapshot, and changes it only by sending an event.
 */
import { type CpuEvent, type CpuMode, cpuModeOf } from '../machines/cpu-machine.js';
import type { MmContext, MmEvent } from '../machines/mm-machine.js';
import { type TaskArch, type TaskEvent, type TaskState, taskStateOf } from '../machines/task-machine.js';
import { engineStats } from './stats.js';
import type { Cpu, Mm, Task } from './world.js';

export function taskState(task: Task): TaskState {
  return taskStateOf(task.actor.getSnapshot().value);
}

export function taskArch(task: Task): TaskArch {
  return task.actor.getSnapshot().context.arch;
}

export function cpuMode(cpu: Cpu): CpuMode {
  return cpuModeOf(cpu.actor.getSnapshot().value);
}

export function mmContext(mm: Mm): MmContext {
  return mm.actor.getSnapshot().context;
}

export function mmLive(mm: Mm): boolean {
  return mm.actor.getSnapshot().value === 'live';
}

/** Send an event that must change the machine's state; a refusal is a bug in the engine. */
function sendChecked<E extends { type: string }>(
  actor: { send(e: E): void; getSnapshot(): { value: unknown } },
  event: E,
  what: string,
): void {
  const before = actor.getSnapshot();
  engineStats.machineEvents++;
  actor.send(event);
  if (actor.getSnapshot() === before) throw new Error(`engine bug: ${what} refused ${event.type}`);
}

export function sendTask(task: Task, event: TaskEvent): void {
  sendChecked(task.actor, event, `task ${task.pid}`);
}

export function sendCpu(cpu: Cpu, event: CpuEvent): void {
  sendChecked(cpu.actor, event, `cpu ${cpu.id}`);
}

export function sendMm(mm: Mm, event: MmEvent): void {
  sendChecked(mm.actor, event, `mm ${mm.id}`);
}

/** A task that is on its CPU at EL0 right now. */
export function runsAtEl0(cpu: Cpu, task: Task | undefined): boolean {
  return task !== undefined && cpu.current === task.pid && taskState(task) === 'running' && cpuMode(cpu) === 'el0';
}
