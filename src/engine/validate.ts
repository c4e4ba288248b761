/**
 * Validate, then execute: every command is checked here, against the world as it is, before
 * anything runs; only a command that passes reaches the kernel code, which then has nothing
 * left to refuse. A rejection is a value with a code (`mmap/no-such-pid`: the command word and
 * one of the reasons below) and a sentence a person understands; the world is left as it was.
 * Nothing here changes the world.
 */
import { explainFinding } from './explain.js';
import type { Command } from './command.js';
import { designNames, designs } from './designs/index.js';
import { cpuMode, taskCan, taskHas, taskState } from './lifecycle.js';
import { type KnobName, knobs } from './knobs.js';
import { eventsMax, firstPid, mmMappingsMax, tasksMax, ticksPerCommand } from './limits.js';
import { cpuBusy } from './sched.js';
import type { FdEntry, PerfEvent, Task, World } from './world.js';

/** Why a command can be refused: one documented union. */
export const rejectionReasons = {
  'no-such-cpu': 'the CPU number is out of range',
  'cpu-halted': 'the CPU (or the task\'s CPU) halted after an oops',
  'cpu-busy': 'the task\'s CPU spins in the kernel for another task that waits for IPIs',
  'no-cpu': 'every CPU is halted',
  'no-such-pid': 'no task ever had that pid',
  exited: 'the task has exited',
  blocked: 'the task is asleep, blocked on mmap_lock, or waiting in the kernel',
  'not-asleep': '`wake` of a task that is not asleep',
  'not-runnable': '`switch` to a task that is not waiting on a run queue',
  'other-cpu': '`switch` to a task queued on another CPU',
  'in-kernel': 'the task is inside a syscall and cannot move',
  'sibling-in-kernel': '`exec` while another thread of the process is inside a syscall',
  'too-many-tasks': 'the machine holds its most live tasks (limits.ts)',
  'too-many-events': 'the machine holds its most open events (limits.ts)',
  'no-such-fd': 'the task has no perf event on that fd',
  closed: 'the event\'s fd is closed (its mapping keeps it alive)',
  'too-many-mappings': 'the mm maps the most perf user pages it may (limits.ts)',
  'not-mapped': '`munmap` of an event not mapped in the task\'s mm',
  'no-such-counter': 'the PMU has no event counter with that number',
  unknown: 'no design has that name',
  'mid-session': 'the design can change only before the first spawn, open, IPI or grant',
  'not-in-design': 'the current design has no such knob',
  'no-timeline': '`back` outside a session with a history',
  'at-start': '`back` at the start of the session',
  'too-long': '`tick N` asks for more work than one command may do (limits.ts)',
  'no-such-finding': '`explain N` of a finding there is not, or no longer kept',
} as const;

export type RejectionReason = keyof typeof rejectionReasons;

export interface Rejection {
  code: `${string}/${RejectionReason}`;
  message: string;
}

export function rejection(verb: string, reason: RejectionReason, message: string): Rejection {
  return { code: `${verb}/${reason}`, message: `${verb}: ${message}` };
}

function ticks(world: World, n: number): Rejection | null {
  const most = ticksPerCommand(world.config);
  if (n <= most) return null;
  return rejection('tick', 'too-long', `at most ${most} ticks in one command in this world (${world.cpus.length} CPUs, ${world.config.cyclesPerTick} cycles a tick: about a second of work); split it over several tick lines`);
}

function noCpu(world: World, verb: string, id: number): Rejection | null {
  return world.cpus[id] ? null : rejection(verb, 'no-such-cpu', `there is no CPU ${id} (CPUs are 0..${world.cpus.length - 1})`);
}

function liveCpu(world: World, verb: string, id: number): Rejection | null {
  return noCpu(world, verb, id) ?? (cpuMode(world.cpus[id]!) === 'halted' ? rejection(verb, 'cpu-halted', `CPU ${id} is halted after an oops`) : null);
}

/** A task that exists and has not exited. */
function liveTask(world: World, verb: string, pid: number): Rejection | null {
  const task = world.tasks.get(pid);
  if (!task) {
    const gone = pid >= firstPid && pid < world.nextPid;
    return gone ? rejection(verb, 'exited', `task ${pid} has exited`) : rejection(verb, 'no-such-pid', `there is no task ${pid}`);
  }
  if (taskState(task) === 'exited') return rejection(verb, 'exited', `task ${pid} (${task.name}) has exited`);
  return null;
}

const blockedWhy: Record<string, string> = {
  'blocked.sleep': 'is asleep (wake it first)',
  'blocked.lock': 'is blocked on mmap_lock',
  'blocked.ipi': 'is waiting in the kernel for IPIs (deliver them, or ipi auto)',
  syscall: 'is stuck in the kernel',
};

/**
 * A lock waiter woken by up_write() is runnable but still inside mmap or munmap, holding
 * mmap_lock: it can do nothing else until that syscall ends (settleKernel ends it when the task
 * runs). Letting it act would leave the lock held by a task that exited, or queue the task
 * behind its own lock.
 */
function finishing(task: Task): boolean {
  return task.deferred !== null;
}

/** A task that can perform a command now: alive, free to act, its CPU up and free to switch. */
function actingTask(world: World, verb: string, pid: number): Rejection | null {
  const dead = liveTask(world, verb, pid);
  if (dead) return dead;
  const task = world.tasks.get(pid)!;
  if (!taskHas(task, 'may-act')) return rejection(verb, 'blocked', `task ${pid} (${task.name}) ${blockedWhy[taskState(task)] ?? `is ${taskState(task)}`}`);
  if (finishing(task)) return rejection(verb, 'blocked', `task ${pid} (${task.name}) was handed mmap_lock and has yet to finish its ${task.deferred!.op} (it does when it runs: tick, or switch to it)`);
  const cpu = world.cpus[task.cpu]!;
  if (cpuMode(cpu) === 'halted') return rejection(verb, 'cpu-halted', `task ${pid} is on CPU ${cpu.id}, halted after an oops`);
  const busy = cpu.current === pid ? null : cpuBusy(world, cpu);
  if (busy) return rejection(verb, 'cpu-busy', `CPU ${cpu.id} cannot switch to task ${pid}: task ${busy.pid} waits there in the kernel for IPIs (deliver them first)`);
  return null;
}

/** The event on a task's fd (for a task already checked). */
export function eventOf(world: World, pid: number, fd: number): PerfEvent | undefined {
  const id = world.tasks.get(pid)?.fds.find((e) => e.fd === fd)?.event;
  return id === undefined ? undefined : world.events.get(id);
}

function withFd(world: World, verb: string, pid: number, fd: number, then?: (ev: PerfEvent) => Rejection | null): Rejection | null {
  const ev = eventOf(world, pid, fd);
  if (!ev) return rejection(verb, 'no-such-fd', `task ${pid} has no perf event on fd ${fd}`);
  return then ? then(ev) : null;
}

function roomForTask(world: World, verb: string): Rejection | null {
  let live = 0;
  for (const t of world.tasks.values()) if (taskState(t) !== 'exited') live++;
  return live >= tasksMax ? rejection(verb, 'too-many-tasks', `${tasksMax} tasks are alive; exit some first`) : null;
}

function roomForEvent(world: World, verb: string, n = 1): Rejection | null {
  return world.events.size + n > eventsMax ? rejection(verb, 'too-many-events', `${eventsMax} events are open${n > 1 ? ` and this needs ${n}` : ''}; close some first`) : null;
}

/** The fd table entry (for a task already checked). */
function fdEntry(world: World, pid: number, fd: number): FdEntry | undefined {
  return world.tasks.get(pid)!.fds.find((e) => e.fd === fd);
}

function mmap(world: World, pid: number, fd: number): Rejection | null {
  const entry = fdEntry(world, pid, fd)!;
  if (!entry.open) return rejection('mmap', 'closed', `fd ${fd} of task ${pid} is closed`);
  const mm = world.mms.get(world.tasks.get(pid)!.mm)!;
  if (mm.mappings.length >= mmMappingsMax) return rejection('mmap', 'too-many-mappings', `mm ${mm.id} maps ${mmMappingsMax} perf user pages, the most one mm may here; munmap some first`);
  return null;
}

/** The events `perf_event_init_task` would inherit: the parent's context events with `inherit`. */
function inheritable(world: World, parent: Task): number {
  let n = 0;
  for (const id of parent.perfContext) if (world.events.get(id)?.inherit) n++;
  return n;
}

/** fork, thread: the parent acts, there is room for the child and the events it inherits. */
function copyProcess(world: World, verb: 'fork' | 'thread', pid: number, cpu: number | null): Rejection | null {
  const r = actingTask(world, verb, pid) ?? roomForTask(world, verb) ?? (verb === 'thread' ? placement(world, verb, cpu) : cpu === null ? null : liveCpu(world, verb, cpu));
  if (r) return r;
  const n = inheritable(world, world.tasks.get(pid)!);
  return n === 0 ? null : roomForEvent(world, verb, n);
}

/** Where a new task may go: a named live CPU, or (none named) any CPU that is up. */
function placement(world: World, verb: string, cpu: number | null): Rejection | null {
  if (cpu !== null) return liveCpu(world, verb, cpu);
  return world.cpus.some((c) => cpuMode(c) !== 'halted') ? null : rejection(verb, 'no-cpu', 'every CPU is halted');
}

function counterExists(world: World, verb: string, n: number): Rejection | null {
  return n < world.config.counters ? null : rejection(verb, 'no-such-counter', `this PMU has event counters 0..${world.config.counters - 1}`);
}

function migrate(world: World, pid: number, cpu: number): Rejection | null {
  const r = liveTask(world, 'migrate', pid) ?? liveCpu(world, 'migrate', cpu);
  if (r) return r;
  const task = world.tasks.get(pid)!;
  if (cpuMode(world.cpus[task.cpu]!) === 'halted') return rejection('migrate', 'cpu-halted', `task ${pid} is stuck on CPU ${task.cpu}, halted after an oops`);
  if (taskHas(task, 'in-kernel')) return rejection('migrate', 'in-kernel', `task ${pid} is inside a syscall; it can move when it returns`);
  return null;
}

function exec(world: World, verb: string, pid: number): Rejection | null {
  const r = actingTask(world, verb, pid);
  if (r) return r;
  const mm = world.tasks.get(pid)!.mm;
  for (const t of world.tasks.values()) {
    if (t.mm === mm && t.pid !== pid && (taskHas(t, 'in-kernel') || finishing(t))) {
      return rejection(verb, 'sibling-in-kernel', `task ${t.pid} of the same process is inside a syscall; let it finish first`);
    }
  }
  return null;
}

function wake(world: World, pid: number): Rejection | null {
  const r = liveTask(world, 'wake', pid);
  if (r) return r;
  const task = world.tasks.get(pid)!;
  // The task machine says whether `wake` applies; the rejection says what the task is instead.
  if (!taskCan(task, { type: 'task.wake' })) return rejection('wake', 'not-asleep', `task ${pid} is not asleep (it is ${taskState(task)})`);
  if (cpuMode(world.cpus[task.cpu]!) === 'halted') return rejection('wake', 'cpu-halted', `task ${pid} is on CPU ${task.cpu}, halted after an oops`);
  return null;
}

function forceSwitch(world: World, cpuId: number, pid: number): Rejection | null {
  const r = liveCpu(world, 'switch', cpuId) ?? liveTask(world, 'switch', pid);
  if (r) return r;
  const task = world.tasks.get(pid)!;
  const cpu = world.cpus[cpuId]!;
  if (task.cpu !== cpuId) return rejection('switch', 'other-cpu', `task ${pid} is on CPU ${task.cpu}; migrate it to CPU ${cpuId} first`);
  if (cpu.current === pid) return null; // already there: a no-op
  if (!taskCan(task, { type: 'task.run' })) return rejection('switch', 'not-runnable', `task ${pid} is not runnable (it is ${taskState(task)})`);
  const busy = cpuBusy(world, cpu);
  if (busy) return rejection('switch', 'cpu-busy', `CPU ${cpuId} is in the kernel for task ${busy.pid}, waiting for IPIs`);
  return null;
}

function policy(world: World, name: string): Rejection | null {
  if (!(designNames as readonly string[]).includes(name)) return rejection('policy', 'unknown', `unknown design '${name}' (known: ${designNames.join(', ')})`);
  if (name === world.config.design) return null;
  // Ever, not now: once every task has exited and every event is closed, the registers, grants,
  // masks and pending IPIs the old design left are still there. A knob (`rdpmc`, `sysctl`)
  // that sent IPIs or granted access counts too.
  const acted = world.nextPid !== firstPid || world.nextEvent !== 1 || world.nextCall !== 1 || world.grantSeq !== 0;
  if (acted) {
    return rejection('policy', 'mid-session', `the design can change only before the first spawn, open, IPI or grant: the world would keep half of ${world.config.design}'s state`);
  }
  return null;
}

/** A run-time knob (`sysctl perf_user_access`, `rdpmc`) the current design may not have. */
function knob(world: World, name: KnobName): Rejection | null {
  const design = designs[world.config.design];
  if (design.knobs.includes(name)) return null;
  const verb = knobs[name].command(0).split(' ')[0]!;
  const names = Object.values(designs).filter((d) => d.knobs.includes(name)).map((d) => d.name);
  return rejection(verb, 'not-in-design', `design ${design.name} has no ${knobs[name].what}; ${names.join(' and ')} ${names.length === 1 ? 'has' : 'have'} it`);
}

/** Everything that would make `c` fail in this world, before any of it runs. */
export function validate(world: World, c: Command): Rejection | null {
  switch (c.kind) {
    case 'spawn':
      return roomForTask(world, 'spawn') ?? placement(world, 'spawn', c.cpu);
    case 'thread':
    case 'fork':
      return copyProcess(world, c.kind, c.pid, c.cpu);
    case 'open':
      return actingTask(world, 'open', c.pid) ?? roomForEvent(world, 'open');
    case 'open-cpu':
      return (c.by === null ? null : actingTask(world, 'open', c.by)) ?? liveCpu(world, 'open', c.cpu) ?? roomForEvent(world, 'open');
    case 'close':
      return actingTask(world, 'close', c.pid) ?? withFd(world, 'close', c.pid, c.fd, () =>
        fdEntry(world, c.pid, c.fd)!.open ? null : rejection('close', 'closed', `fd ${c.fd} of task ${c.pid} is already closed (its mapping keeps the event alive)`));
    case 'close-cpu':
      return world.cpuFds.has(c.fd) ? null : rejection('close', 'no-such-fd', `no per-CPU event has fd ${c.fd}`);
    case 'mmap':
      return actingTask(world, 'mmap', c.pid) ?? withFd(world, 'mmap', c.pid, c.fd, () => mmap(world, c.pid, c.fd));
    case 'munmap':
      return actingTask(world, 'munmap', c.pid) ?? withFd(world, 'munmap', c.pid, c.fd, (ev) => {
        const mm = world.tasks.get(c.pid)!.mm;
        return ev.maps.includes(mm) ? null : rejection('munmap', 'not-mapped', `fd ${c.fd} of task ${c.pid} is not mapped in its mm ${mm}`);
      });
    case 'read':
      return actingTask(world, 'read', c.pid) ?? withFd(world, 'read', c.pid, c.fd);
    case 'reset':
      // The ioctl needs the fd itself (-EBADF once closed); a read can use the mapping alone.
      return actingTask(world, 'reset', c.pid) ?? withFd(world, 'reset', c.pid, c.fd, () =>
        fdEntry(world, c.pid, c.fd)!.open ? null : rejection('reset', 'closed', `fd ${c.fd} of task ${c.pid} is closed`));
    case 'expect-read':
      return actingTask(world, 'expect', c.pid) ?? withFd(world, 'expect', c.pid, c.fd);
    case 'mrs':
      return actingTask(world, 'mrs', c.pid) ?? (c.reg.kind === 'pmevcntr' ? counterExists(world, 'mrs', c.reg.n) : null);
    case 'msr':
      return actingTask(world, 'msr', c.pid) ?? (c.reg.kind === 'pmevcntr' ? counterExists(world, 'msr', c.reg.n) : null);
    case 'migrate':
      return migrate(world, c.pid, c.cpu);
    case 'exec32':
    case 'exec64':
      return exec(world, c.kind, c.pid);
    case 'exit':
    case 'sleep':
      return actingTask(world, c.kind, c.pid);
    case 'wake':
      return wake(world, c.pid);
    case 'switch':
      return forceSwitch(world, c.cpu, c.pid);
    case 'deliver':
      return noCpu(world, 'deliver', c.cpu);
    case 'expect-reg':
      return noCpu(world, 'expect', c.cpu);
    case 'policy':
      return policy(world, c.name);
    case 'knob':
      return knob(world, c.knob);
    case 'back':
      return rejection('back', 'no-timeline', 'stepping back needs a session history (the playground, or pmuplay run)');
    case 'tick':
      return ticks(world, c.n);
    case 'explain': {
      const r = explainFinding(world, c.n);
      return r.ok ? null : rejection('explain', 'no-such-finding', r.message);
    }
    case 'why':
      return c.cpu < world.cpus.length ? null : rejection('why', 'no-such-cpu', `no CPU ${c.cpu}: the machine has CPUs 0..${world.cpus.length - 1}`);
    case 'run':
    case 'ipi':
    case 'fault':
    case 'check':
    case 'help':
    case 'say':
    case 'pause':
    case 'expect-finding':
    case 'expect-no-finding':
    case 'checkpoint':
    case 'explore':
    case 'program':
      return null;
  }
}
