/**
 * Rejections: a command that cannot happen in this world comes back as a value with a code
 * (`mmap/no-such-pid`) and a sentence a person understands; the world is left as it was.
 * The lookups here are the checks commands make before they change anything.
 */
import { cpuMode, taskState } from './lifecycle.js';
import { firstPid } from './limits.js';
import { cpuBusy } from './sched.js';
import type { Cpu, PerfEvent, Task, World } from './world.js';

export interface Rejection {
  code: string;
  message: string;
}

/** Thrown from deep in a command to unwind before anything changed; not an Error (no stack). */
export class Rejected {
  constructor(readonly rejection: Rejection) {}
}

export function reject(verb: string, what: string, message: string): never {
  throw new Rejected({ code: `${verb}/${what}`, message: `${verb}: ${message}` });
}

export function lookupCpu(world: World, verb: string, id: number): Cpu {
  const cpu = world.cpus[id];
  if (!cpu) reject(verb, 'no-such-cpu', `there is no CPU ${id} (CPUs are 0..${world.cpus.length - 1})`);
  return cpu;
}

export function liveCpu(world: World, verb: string, id: number): Cpu {
  const cpu = lookupCpu(world, verb, id);
  if (cpuMode(cpu) === 'halted') reject(verb, 'cpu-halted', `CPU ${id} is halted after an oops`);
  return cpu;
}

export function lookupTask(world: World, verb: string, pid: number): Task {
  const task = world.tasks.get(pid);
  if (!task) {
    const gone = pid >= firstPid && pid < world.nextPid;
    reject(verb, gone ? 'exited' : 'no-such-pid', gone ? `task ${pid} has exited` : `there is no task ${pid}`);
  }
  if (taskState(task) === 'exited') reject(verb, 'exited', `task ${pid} (${task.name}) has exited`);
  return task;
}

const blockedWhy: Record<string, string> = {
  'blocked.sleep': 'is asleep (wake it first)',
  'blocked.lock': 'is blocked on mmap_lock',
  'blocked.ipi': 'is waiting in the kernel for IPIs (deliver them, or ipi auto)',
  syscall: 'is stuck in the kernel',
};

/** A task that can perform a command now: alive, not blocked, its CPU up and free to switch. */
export function actingTask(world: World, verb: string, pid: number): Task {
  const task = lookupTask(world, verb, pid);
  const state = taskState(task);
  const why = blockedWhy[state];
  if (why) reject(verb, 'blocked', `task ${pid} (${task.name}) ${why}`);
  const cpu = world.cpus[task.cpu]!;
  if (cpuMode(cpu) === 'halted') reject(verb, 'cpu-halted', `task ${pid} is on CPU ${cpu.id}, halted after an oops`);
  const busy = cpu.current === pid ? null : cpuBusy(world, cpu);
  if (busy) {
    reject(verb, 'cpu-busy', `CPU ${cpu.id} cannot switch to task ${pid}: task ${busy.pid} waits there in the kernel for IPIs (deliver them first)`);
  }
  return task;
}

export function lookupFd(world: World, verb: string, task: Task, fd: number): PerfEvent {
  const id = task.fds.get(fd);
  const ev = id === undefined ? undefined : world.events.get(id);
  if (!ev) reject(verb, 'no-such-fd', `task ${task.pid} has no perf event on fd ${fd}`);
  return ev;
}
