/**
 * `copy_process`, for a child process (`fork()`) and for a thread (`clone(CLONE_VM |
 * CLONE_THREAD)`, which shares the mm). For `fork()`: `dup_mm` copies the whole `mm_struct` — the
 * design's per-mm state with it (v4/v5 `context.pmu_direct_access`, x86
 * `context.perf_rdpmc_allowed`: nothing resets them) — but not the perf user pages, which are
 * `VM_DONTCOPY`, and not `mm_cpumask` (`mm_init_cpumask`). `dup_fd` copies the fd table: the
 * same fd numbers naming the same events, close-on-exec flags kept. `perf_event_init_task`
 * gives the child's perf context only the events opened with `attr.inherit`: each a new event
 * counting the child (`inherit_event`, whose parent is the original event). The child runs
 * the parent's program, AArch32 or not, on the CPU named or the parent's, at once if it is
 * idle, else queued (`wake_up_new_task`). A thread gets the inherited events the same way
 * (`perf_event_init_task` runs for every clone; `attr.inherit` covers threads), and no fd
 * table of its own here (the README's limits).
 */
import { designOf } from './designs/design.js';
import { taskArch } from './lifecycle.js';
import { logNote } from './log.js';
import { enqueue, ensureRunning } from './sched.js';
import { newEvent } from './fds.js';
import { createMm, newTask, pickCpu } from './tasks.js';
import type { Task, World } from './world.js';

/** `perf_event_init_task` -> `inherit_event` for each inheritable event of the parent. */
function inheritEvents(world: World, parent: Task, child: Task): number[] {
  const design = designOf(world);
  const made: number[] = [];
  for (const id of parent.perfContext) {
    const from = world.events.get(id);
    if (!from?.inherit) continue;
    // An inherited event's parent is the original, never another inherited one.
    const ev = newEvent(world, child.pid, null, from.fd, from.type, from.userRequest, from.is64, { openedBy: null, inherit: true, parent: from.parent ?? from.id });
    const errno = design.open(world, ev);
    if (errno) throw new Error(`engine bug: inheriting event ${from.id} failed with ${errno}, which its open passed`);
    world.events.set(ev.id, ev);
    made.push(ev.id);
  }
  child.perfContext = made;
  return made;
}

export function fork(world: World, pid: number, cpuId: number | null): string[] {
  const parent = world.tasks.get(pid)!;
  ensureRunning(world, parent, `fork by task ${pid}`);
  const cpu = world.cpus[cpuId ?? parent.cpu]!;
  const old = world.mms.get(parent.mm)!;
  const mm = createMm(world);
  mm.design = { ...old.design };
  mm.copiedFrom = { mm: old.id, design: { ...old.design } };
  const child = newTask(world, parent.name, mm, taskArch(parent), cpu);
  child.fds = parent.fds.filter((e) => e.open);
  for (const e of child.fds) world.events.get(e.event)!.fdRefs++;
  const inherited = inheritEvents(world, parent, child);
  const kept = Object.entries(old.design).map(([k, v]) => `${k} ${v}`).join(', ');
  const fds = child.fds.length === 0 ? 'no fds' : `fds ${child.fds.map((e) => e.fd).join(',')} copied`;
  logNote(world, cpu.id, 'sched', `fork by task ${pid}: task ${child.pid} in mm ${mm.id}, a copy of mm ${old.id}${kept ? ` (${kept})` : ''} without its perf mappings; ${fds}; ${inherited.length} event${inherited.length === 1 ? '' : 's'} inherited`);
  enqueue(world, child, `new task ${child.pid} starts`);
  return [`pid ${child.pid}`];
}

/** `clone(CLONE_VM)`: a thread in the parent's mm, with the events it inherits. */
export function thread(world: World, pid: number, cpuId: number | null): string[] {
  const parent = world.tasks.get(pid)!;
  const cpu = cpuId === null ? pickCpu(world) : world.cpus[cpuId]!;
  ensureRunning(world, parent, `clone by task ${pid}`);
  const mm = world.mms.get(parent.mm)!;
  const task = newTask(world, parent.name, mm, taskArch(parent), cpu);
  const inherited = inheritEvents(world, parent, task);
  const events = inherited.length === 0 ? '' : `; ${inherited.length} event${inherited.length === 1 ? '' : 's'} inherited`;
  logNote(world, cpu.id, 'sched', `clone(CLONE_VM) by task ${pid}: thread ${task.pid} in mm ${mm.id}${events}`);
  enqueue(world, task, `new thread ${task.pid} starts`);
  return [`pid ${task.pid}`];
}

