/**
 * Making and moving tasks: `fork`+`exec` of a new program (a new mm; a plain `fork`, which
 * copies the mm, and a thread are fork.ts), `sched_setaffinity`-style migration, sleeping and
 * waking, and a forced switch. A new task starts at once on an idle CPU; otherwise it waits on
 * a run queue.
 */
import { cpuMode, initialMmLife, initialTaskLife, sendTask, taskState } from './lifecycle.js';
import { designOf } from './designs/design.js';
import { ipcQuartersMax } from './limits.js';
import { logNote } from './log.js';
import { nextInt } from './prng.js';
import { contextSwitch, detach, enqueue } from './sched.js';
import type { Cpu, Mm, Task, World } from './world.js';

export function createMm(world: World): Mm {
  const mm: Mm = { id: world.nextMm++, life: initialMmLife(), users: 0, mappings: [], cpumask: [], design: { ...designOf(world).mmState }, copiedFrom: null };
  world.mms.set(mm.id, mm);
  return mm;
}

/** First idle CPU, else the one with the shortest run queue (validate.ts made sure one is up). */
export function pickCpu(world: World): Cpu {
  const up = world.cpus.filter((c) => cpuMode(c) !== 'halted');
  const idle = up.find((c) => c.current === null && c.runqueue.length === 0);
  if (idle) return idle;
  return up.reduce((best, c) => (c.runqueue.length < best.runqueue.length ? c : best));
}

export function newTask(world: World, name: string, mm: Mm, arch: 'aarch64' | 'aarch32', cpu: Cpu): Task {
  const task: Task = {
    pid: world.nextPid++,
    name,
    mm: mm.id,
    life: initialTaskLife(arch),
    cpu: cpu.id,
    fds: [],
    ipcQuarters: nextInt(world.prng, 1, ipcQuartersMax),
    cyclesRun: 0n,
    resume: null,
    deferred: null,
    sigills: 0,
    perfContext: [],
    rotate: false,
  };
  mm.users++;
  world.tasks.set(task.pid, task);
  return task;
}

export function spawn(world: World, name: string, aarch32: boolean, cpuId: number | null): string[] {
  const cpu = cpuId === null ? pickCpu(world) : world.cpus[cpuId]!;
  const mm = createMm(world);
  const task = newTask(world, name, mm, aarch32 ? 'aarch32' : 'aarch64', cpu);
  logNote(world, cpu.id, 'sched', `spawn ${name}: task ${task.pid}, ${aarch32 ? 'AArch32' : 'AArch64'}, mm ${mm.id}, IPC ${task.ipcQuarters / 4}`);
  enqueue(world, task, `new task ${task.pid} starts`);
  return [`pid ${task.pid}`];
}

export function migrate(world: World, pid: number, cpuId: number): string[] {
  const task = world.tasks.get(pid)!;
  const target = world.cpus[cpuId]!;
  if (task.cpu === cpuId) return [`task ${pid} is already on CPU ${cpuId}`];
  const from = task.cpu;
  detach(world, task, `task ${pid} migrates to CPU ${cpuId}`);
  task.cpu = target.id;
  logNote(world, target.id, 'sched', `task ${pid} migrated from CPU ${from}`);
  if (taskState(task) === 'runnable') enqueue(world, task, `task ${pid} arrives from CPU ${from}`);
  return [`task ${pid} on CPU ${cpuId}`];
}

export function sleep(world: World, pid: number): string[] {
  const task = world.tasks.get(pid)!;
  sendTask(task, { type: 'task.sleep' });
  detach(world, task, `task ${pid} sleeps`);
  return [`task ${pid} asleep`];
}

export function wake(world: World, pid: number): string[] {
  const task = world.tasks.get(pid)!;
  sendTask(task, { type: 'task.wake' });
  enqueue(world, task, `task ${pid} wakes`);
  return [`task ${pid} runnable on CPU ${task.cpu}`];
}

export function forceSwitch(world: World, cpuId: number, pid: number): string[] {
  const cpu = world.cpus[cpuId]!;
  if (cpu.current === pid) return [`task ${pid} already runs on CPU ${cpuId}`];
  contextSwitch(world, cpu, pid, { requeuePrev: true, reason: 'forced switch' });
  return [`CPU ${cpuId} runs task ${pid}`];
}
