/**
 * The lifecycle of one task (a thread of a process), as the scheduler and the syscall layer
 * see it: runnable on a run queue, running at EL0, inside a syscall, blocked (asleep, on
 * `mmap_lock`, or spinning in `on_each_cpu(..., wait=1)` for IPIs to finish), exited.
 * Stands for `task_struct.__state` plus "is it in the kernel"; the architecture of the
 * program it runs (AArch64 or AArch32, `TIF_32BIT`) is changed only by exec.
 *
 * The engine sends an event only when the state really changes, so this machine is the one
 * place a task's lifecycle is kept.
 */
import { assign, setup } from 'xstate';

export type TaskArch = 'aarch64' | 'aarch32';

export type TaskEvent =
  | { type: 'task.run' }
  | { type: 'task.preempt' }
  | { type: 'task.syscall.enter' }
  | { type: 'task.syscall.exit' }
  | { type: 'task.block.lock' }
  | { type: 'task.block.ipi' }
  | { type: 'task.unblock' }
  | { type: 'task.sleep' }
  | { type: 'task.wake' }
  | { type: 'task.exec'; arch: TaskArch }
  | { type: 'task.exit' };

/**
 * What the engine asks of a task's state: `may-act` — it can perform a command now (after a
 * switch to it if it only waits on a run queue); `in-kernel` — it is inside a syscall
 * (running it, or blocked in it), so it cannot migrate and its process cannot exec;
 * `pins-cpu` — its CPU spins in the kernel for it and cannot switch to another task.
 */
export type TaskTag = 'may-act' | 'in-kernel' | 'pins-cpu';

export interface TaskContext {
  arch: TaskArch;
}

export const taskMachine = setup({
  types: {
    context: {} as TaskContext,
    events: {} as TaskEvent,
    tags: {} as TaskTag,
    input: {} as { arch: TaskArch },
  },
  actions: {
    setArch: assign({
      arch: ({ event, context }) => (event.type === 'task.exec' ? event.arch : context.arch),
    }),
  },
}).createMachine({
  id: 'task',
  context: ({ input }) => ({ arch: input.arch }),
  initial: 'runnable',
  states: {
    runnable: {
      tags: ['may-act'],
      on: {
        'task.run': 'running',
        'task.sleep': 'blocked.sleep',
        'task.block.lock': 'blocked.lock',
        'task.exit': 'exited',
      },
    },
    running: {
      tags: ['may-act'],
      on: {
        'task.preempt': 'runnable',
        'task.syscall.enter': 'syscall',
        'task.sleep': 'blocked.sleep',
        'task.exec': { actions: 'setArch' },
        'task.exit': 'exited',
      },
    },
    // In the kernel, on its CPU: the CPU cannot switch away until the syscall returns.
    syscall: {
      tags: ['in-kernel', 'pins-cpu'],
      on: {
        'task.syscall.exit': 'running',
        'task.block.lock': 'blocked.lock',
        'task.block.ipi': 'blocked.ipi',
        'task.exec': { actions: 'setArch' },
        'task.exit': 'exited',
      },
    },
    blocked: {
      initial: 'sleep',
      states: {
        sleep: { on: { 'task.wake': '#task.runnable' } },
        // Woken by up_write(): back on a run queue, the syscall still to finish.
        lock: { tags: ['in-kernel'], on: { 'task.unblock': '#task.runnable' } },
        // Still on its CPU, in the kernel, waiting for the other CPUs' IPI handlers.
        ipi: { tags: ['in-kernel', 'pins-cpu'], on: { 'task.unblock': '#task.syscall' } },
      },
      on: { 'task.exit': 'exited' },
    },
    exited: { type: 'final' },
  },
});

/** The flat state name a snapshot value stands for. */
export type TaskState = 'runnable' | 'running' | 'syscall' | 'blocked.sleep' | 'blocked.lock' | 'blocked.ipi' | 'exited';

export function taskStateOf(value: unknown): TaskState {
  if (typeof value === 'string') return value as TaskState;
  const blocked = (value as { blocked: string }).blocked;
  return `blocked.${blocked}` as TaskState;
}
