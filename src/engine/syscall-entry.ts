/**
 * Entering and leaving a syscall (`el0_svc` and the return to EL0): the task must be on its
 * CPU; the machines hear of a syscall only when it parks in the kernel.
 */
import { cpuMode, sendCpu, sendTask, taskState } from './lifecycle.js';
import { ensureRunning } from './sched.js';
import type { Task, World } from './world.js';

/**
 * Enter a syscall: the task must be on its CPU. The machines hear of the syscall only if it
 * parks (`parkInKernel`): a syscall that enters and returns within one step changes no state
 * anyone can see, and sending the pair would cost two machine events for nothing.
 */
export function enterSyscall(world: World, task: Task, name: string): void {
  ensureRunning(world, task, `${name} by task ${task.pid}`);
}

/** The syscall outlives this step (it waits, or its CPU died under it): tell the machines. */
export function parkInKernel(world: World, task: Task): void {
  if (taskState(task) !== 'running') return;
  sendTask(task, { type: 'task.syscall.enter' });
  const cpu = world.cpus[task.cpu]!;
  if (cpuMode(cpu) === 'el0') sendCpu(cpu, { type: 'cpu.syscall' });
}

export function leaveSyscall(world: World, task: Task): void {
  if (taskState(task) !== 'syscall') return;
  sendTask(task, { type: 'task.syscall.exit' });
  sendCpu(world.cpus[task.cpu]!, { type: 'cpu.sysret' });
}
