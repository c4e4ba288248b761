/**
 * The fds of perf events: `perf_event_open` (task-bound, and per-CPU by a task or by a
 * system-wide tool outside the model), `close` (`perf_release` with the file's last
 * reference), `ioctl(PERF_EVENT_IOC_RESET)` (`_perf_event_reset`), `do_close_on_exec`, and
 * `exit_files` with `perf_event_exit_task`. An event lives while an fd or a mapping holds it:
 * a fork's copied fds and a second mapping count too.
 */
import { maskOf, s64 } from './bits.js';
import type { EventType } from './command.js';
import { designOf } from './designs/design.js';
import { logEvent, logNote } from './log.js';
import { pmuEnable, readCount, removeEvent, updatePage } from './perf.js';
import { resched } from './perf-sched.js';
import { firstFd } from './limits.js';
import { eventOf } from './validate.js';
import { type FdEntry, type PerfEvent, type Task, type World, pmuWidths } from './world.js';
import { enterSyscall, leaveSyscall } from './syscall-entry.js';

function lowestFreeFd(taken: number[]): number {
  const used = new Set(taken);
  let fd = firstFd;
  while (used.has(fd)) fd++;
  return fd;
}

/** Who holds a new event: the task whose fd table gets it, `attr.inherit`, the event it was inherited from. */
export interface EventOrigin {
  openedBy: number | null;
  inherit: boolean;
  parent: number | null;
}

export function newEvent(world: World, owner: number | null, boundCpu: number | null, fd: number, type: EventType, user: boolean, is64: boolean, origin: EventOrigin): PerfEvent {
  return {
    id: world.nextEvent++, owner, boundCpu, fd, type, userRequest: user, is64, readable: false, chained: false,
    counter: null, activeCpu: null, count: 0n, prevCount: 0n, periodLeft: initialPeriod(world, is64), trueCount: 0n,
    page: { lock: 0, index: 0, offset: 0n, capUserRdpmc: false, pmcWidth: 0 },
    maps: [], fdRefs: 0, ...origin,
  };
}

/** Counting mode's period at init: max_period >> 1 of the event's width (arm: 64 bits when it
 * asked for a 64-bit counter, else 32; x86: the counters' 48). */
function initialPeriod(world: World, is64: boolean): bigint {
  const pmu = pmuWidths(world.config);
  return maskOf(pmu.uniform ? pmu.event : is64 ? 64 : 32) >> 1n;
}

/** A new fd in the task's table naming the event. */
function installFd(task: Task, ev: PerfEvent, cloexec: boolean): void {
  ev.fdRefs++;
  task.fds.push({ fd: ev.fd, event: ev.id, open: true, cloexec });
}

/** `perf_event_open(attr, pid, -1, ...)`: a task-bound event, counting while the task runs. */
export function openTaskEvent(world: World, pid: number, type: EventType, user: boolean, is64: boolean, inherit = false, cloexec = false): string[] {
  const task = world.tasks.get(pid)!;
  enterSyscall(world, task, 'perf_event_open');
  const fd = lowestFreeFd(task.fds.map((e) => e.fd));
  const ev = newEvent(world, task.pid, null, fd, type, user, is64, { openedBy: task.pid, inherit, parent: null });
  const errno = designOf(world).open(world, ev);
  if (errno) {
    world.nextEvent--;
    leaveSyscall(world, task);
    logEvent(world, task.cpu, { kind: 'syscall', what: 'open', pid, cpuBound: null, type, fd, readable: false, errno });
    return [`open: -${errno}`];
  }
  world.events.set(ev.id, ev);
  installFd(task, ev, cloexec);
  task.perfContext = [...task.perfContext, ev.id];
  const cpu = world.cpus[task.cpu]!;
  // __perf_install_in_context: the task runs (it is the caller), so its groups go on again.
  resched(world, cpu, false);
  const counting = ev.activeCpu !== null;
  pmuEnable(world, cpu);
  leaveSyscall(world, task);
  logEvent(world, task.cpu, { kind: 'syscall', what: 'open', pid, cpuBound: null, type, fd, readable: ev.readable, errno: null });
  // The open succeeds even when the add fails: perf_install_in_context does not return it.
  return [counting ? `fd ${fd}` : `fd ${fd} (not counting yet: no counter for it on CPU ${cpu.id})`];
}

/**
 * Take an event out of its context and free it. `perf_remove_from_context` runs between
 * perf_pmu_disable/enable on the CPU where the event counted, or where its task runs: the PMU
 * is enabled again there (and a design that decides access on enable reconsiders).
 */
export function freeEvent(world: World, ev: PerfEvent): void {
  const owner = ev.owner === null ? undefined : world.tasks.get(ev.owner);
  const where = ev.activeCpu ?? (owner && world.cpus[owner.cpu]!.current === owner.pid ? owner.cpu : null);
  removeEvent(world, ev);
  world.events.delete(ev.id);
  // __perf_remove_from_context: a context left with no events is no longer rotate_necessary.
  if (owner) {
    owner.perfContext = owner.perfContext.filter((id) => id !== ev.id);
    if (owner.perfContext.length === 0) owner.rotate = false;
  }
  if (ev.boundCpu !== null) {
    const bound = world.cpus[ev.boundCpu]!;
    bound.boundEvents = bound.boundEvents.filter((id) => id !== ev.id);
    if (bound.boundEvents.length === 0) bound.rotate = false;
  }
  if (where !== null) pmuEnable(world, world.cpus[where]!);
}

/**
 * `perf_event_open(attr, -1, cpu, ...)`: by task `by`, whose fd table gets it (a system-wide
 * `perf record` run in the model), or — `by` null — by a system-wide tool outside the model.
 */
export function openCpuEvent(world: World, cpuId: number, type: EventType, user: boolean, is64: boolean, by: number | null = null, cloexec = false): string[] {
  const cpu = world.cpus[cpuId]!;
  const task = by === null ? undefined : world.tasks.get(by)!;
  if (task) enterSyscall(world, task, 'perf_event_open');
  const fd = lowestFreeFd(task ? task.fds.map((e) => e.fd) : [...world.cpuFds.keys()]);
  const ev = newEvent(world, null, cpu.id, fd, type, user, is64, { openedBy: by, inherit: false, parent: null });
  const errno = designOf(world).open(world, ev);
  if (errno) {
    world.nextEvent--;
    if (task) {
      leaveSyscall(world, task);
      logEvent(world, task.cpu, { kind: 'syscall', what: 'open', pid: by, cpuBound: cpuId, type, fd, readable: false, errno });
    }
    return [`open: -${errno}`];
  }
  world.events.set(ev.id, ev);
  if (task) installFd(task, ev, cloexec);
  else {
    ev.fdRefs++;
    world.cpuFds.set(fd, ev.id);
  }
  cpu.boundEvents = [...cpu.boundEvents, ev.id];
  // __perf_install_in_context on that CPU: its groups and its current task's go on again.
  resched(world, cpu, true);
  pmuEnable(world, cpu);
  if (task) leaveSyscall(world, task);
  logEvent(world, cpu.id, { kind: 'syscall', what: 'open', pid: by, cpuBound: cpuId, type, fd, readable: ev.readable, errno: null });
  return [task ? `fd ${fd}` : `cpu fd ${fd}`];
}

export function closeCpuEvent(world: World, fd: number): string[] {
  const ev = world.events.get(world.cpuFds.get(fd)!)!;
  world.cpuFds.delete(fd);
  ev.fdRefs--;
  freeEvent(world, ev);
  return [`cpu fd ${fd} closed`];
}

/**
 * Close one fd of the task (`close`, `exit_files`, `do_close_on_exec`): the file's reference
 * goes, and with the last one (no other fd, no mapping) the event (`perf_release`). An fd whose
 * event is mapped in the task's mm stays in the table, closed, so `munmap PID FD` names it.
 */
function closeFd(world: World, task: Task, entry: FdEntry): string {
  const ev = world.events.get(entry.event)!;
  ev.fdRefs--;
  const keep = ev.maps.includes(task.mm);
  task.fds = keep ? task.fds.map((e) => (e === entry ? { ...e, open: false } : e)) : task.fds.filter((e) => e !== entry);
  if (ev.maps.length > 0 && ev.fdRefs === 0) return `fd ${entry.fd} closed; the mapping in mm ${[...new Set(ev.maps)].join(', mm ')} keeps the event counting until munmap`;
  if (ev.fdRefs > 0) return `fd ${entry.fd} closed; ${ev.fdRefs} other fd${ev.fdRefs === 1 ? '' : 's'} still hold${ev.fdRefs === 1 ? 's' : ''} the event`;
  freeEvent(world, ev);
  return `fd ${entry.fd} closed`;
}

export function closeTaskEvent(world: World, pid: number, fd: number): string[] {
  const task = world.tasks.get(pid)!;
  const entry = task.fds.find((e) => e.fd === fd)!;
  enterSyscall(world, task, 'close');
  const line = closeFd(world, task, entry);
  leaveSyscall(world, task);
  logNote(world, task.cpu, 'syscall', `close by task ${pid}: ${line}`);
  return [line];
}

/** `do_close_on_exec`: the fds opened with `PERF_FLAG_FD_CLOEXEC` close. */
export function closeOnExec(world: World, task: Task): void {
  for (const entry of task.fds.slice()) {
    if (!entry.open || !entry.cloexec) continue;
    const line = closeFd(world, task, entry);
    logNote(world, task.cpu, 'syscall', `exec by task ${task.pid}: close-on-exec ${line}`);
  }
}

/**
 * `ioctl(fd, PERF_EVENT_IOC_RESET)`: `perf_event_read` folds an active event's counter in
 * (`armpmu_event_update`, which leaves prev_count zero-extended), the count goes to 0, and the
 * page is published (`perf_event_update_userpage`) with offset 0 - prev_count.
 */
export function resetEvent(world: World, pid: number, fd: number): string[] {
  const task = world.tasks.get(pid)!;
  const ev = eventOf(world, pid, fd)!;
  enterSyscall(world, task, 'ioctl');
  readCount(world, ev);
  ev.count = 0n;
  // The monitor's reference counts from the reset too.
  ev.trueCount = 0n;
  updatePage(world, ev, 1, { cpu: task.cpu, oncpu: ev.activeCpu });
  leaveSyscall(world, task);
  // perf_event_update_userpage writes only a mapped page (the model keeps it current anyway).
  const page = ev.maps.length > 0 ? `page published with offset ${s64(ev.page.offset)}` : 'no page mapped';
  logNote(world, task.cpu, 'syscall', `ioctl PERF_EVENT_IOC_RESET by task ${pid} on fd ${fd}: count 0, ${page}`);
  return [`fd ${fd} reset`];
}

/**
 * `exit_files` and `perf_event_exit_task`: every fd of the task closes, and the events counting
 * it stop. An event goes with its last reference; one still mapped, or named by another
 * task's fd (a fork's copy), lives on without counting. An inherited event has no fd and goes.
 */
export function exitTaskEvents(world: World, task: Task): void {
  const ids: number[] = [];
  for (const e of task.fds) {
    const ev = world.events.get(e.event);
    if (!ev) continue;
    if (e.open) ev.fdRefs--;
    if (!ids.includes(ev.id)) ids.push(ev.id);
  }
  task.fds = [];
  for (const id of task.perfContext) if (!ids.includes(id)) ids.push(id);
  for (const id of ids) {
    const ev = world.events.get(id);
    if (!ev) continue;
    if (ev.fdRefs === 0 && ev.maps.length === 0) freeEvent(world, ev);
    else if (ev.owner === task.pid) removeEvent(world, ev);
  }
  task.perfContext = [];
  task.rotate = false;
}
