/**
 * The syscalls a program makes on its perf events and its address space: `perf_event_open`,
 * `close` (`perf_release`), `mmap`/`munmap` of the user page (`perf_mmap` ->
 * `pmu->event_mapped`, `perf_mmap_close` -> `pmu->event_unmapped`, under `mmap_lock` taken for
 * write), `execve` (`de_thread`, `exec_mmap`: the old mm's pages are unmapped) and `exit`
 * (`exit_mm`, `perf_event_exit_task`). An event lives while an fd or a mapping holds it
 * (the file's references): a fork's copied fds and a second mapping count too, and an fd
 * opened with `PERF_FLAG_FD_CLOEXEC` closes at exec (`do_close_on_exec`). A syscall whose
 * hook sent IPIs it must wait for parks the task until the last one is taken, then finishes.
 */
import { maskOf } from './bits.js';
import type { EventType } from './command.js';
import { designOf } from './designs/design.js';
import { blockOnIpis, waitsForIpis } from './ipi.js';
import { cpuMode, mmContext, sendCpu, sendMm, sendTask, taskState } from './lifecycle.js';
import { logEvent, logNote } from './log.js';
import { addEvent, pmuEnable, readCount, removeEvent, updatePage } from './perf.js';
import { detach, enqueue, ensureRunning, loadMm, switchAway } from './sched.js';
import { reapMmIfUnused, reapTask } from './reap.js';
import { createMm } from './tasks.js';
import { firstFd } from './limits.js';
import { eventOf } from './validate.js';
import { type Deferred, type FdEntry, type Mm, type PerfEvent, type Resume, type Task, type World, pmuWidths } from './world.js';

/**
 * Enter a syscall: the task must be on its CPU. The machines hear of the syscall only if it
 * parks (`parkInKernel`): a syscall that enters and returns within one step changes no state
 * anyone can see, and sending the pair would cost two machine events for nothing.
 */
export function enterSyscall(world: World, task: Task, name: string): void {
  ensureRunning(world, task, `${name} by task ${task.pid}`);
}

/** The syscall outlives this step (it waits, or its CPU died under it): tell the machines. */
function parkInKernel(world: World, task: Task): void {
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
  const counting = addEvent(world, cpu, ev);
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
function freeEvent(world: World, ev: PerfEvent): void {
  const owner = ev.owner === null ? undefined : world.tasks.get(ev.owner);
  const where = ev.activeCpu ?? (owner && world.cpus[owner.cpu]!.current === owner.pid ? owner.cpu : null);
  removeEvent(world, ev);
  world.events.delete(ev.id);
  if (owner) owner.perfContext = owner.perfContext.filter((id) => id !== ev.id);
  if (ev.boundCpu !== null) {
    const bound = world.cpus[ev.boundCpu]!;
    bound.boundEvents = bound.boundEvents.filter((id) => id !== ev.id);
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
  cpu.boundEvents.push(ev.id);
  addEvent(world, cpu, ev);
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
function closeOnExec(world: World, task: Task): void {
  for (const entry of task.fds.slice()) {
    if (!entry.open || !entry.cloexec) continue;
    const line = closeFd(world, task, entry);
    logNote(world, task.cpu, 'syscall', `exec by task ${task.pid}: close-on-exec ${line}`);
  }
}

/** Finish the rest of a syscall now, or park the task until its IPIs are taken. */
function endOrPark(world: World, task: Task, resume: Resume): string[] {
  if (cpuMode(world.cpus[task.cpu]!) === 'halted') {
    parkInKernel(world, task);
    logNote(world, task.cpu, 'oops', `task ${task.pid} never returns from ${resume.op}: its CPU halted under it`);
    return [`CPU ${task.cpu} halted inside ${resume.op}: task ${task.pid} is stuck in the kernel`];
  }
  if (waitsForIpis(world, task.pid)) {
    task.resume = resume;
    parkInKernel(world, task);
    blockOnIpis(task);
    return [`task ${task.pid} waits in ${resume.op} for IPIs (deliver CPU, or ipi auto)`];
  }
  return finish(world, task, resume);
}

function finish(world: World, task: Task, resume: Resume): string[] {
  switch (resume.op) {
    case 'mmap':
    case 'munmap': {
      if (resume.unlock) unlockMm(world, world.mms.get(task.mm)!);
      leaveSyscall(world, task);
      return [`${resume.op} fd ${resume.fd} done`];
    }
    case 'exec': {
      // begin_new_exec: after exec_mmap, before the new personality (load_elf_binary).
      closeOnExec(world, task);
      sendTask(task, { type: 'task.exec', arch: resume.arch });
      designOf(world).reconsider(world, world.cpus[task.cpu]!);
      leaveSyscall(world, task);
      logNote(world, task.cpu, 'syscall', `task ${task.pid} now runs an ${resume.arch === 'aarch32' ? 'AArch32' : 'AArch64'} program in mm ${task.mm}`);
      return [`task ${task.pid} runs ${resume.arch} in mm ${task.mm}`];
    }
    case 'exit': {
      // exit_files and perf_event_exit_task come after exit_mm and the IPIs its hooks wait for.
      exitTaskEvents(world, task);
      sendTask(task, { type: 'task.exit' });
      switchAway(world, world.cpus[task.cpu]!, `task ${task.pid} exited`);
      reapTask(world, task);
      return [`task ${task.pid} exited`];
    }
  }
}

/** `up_write(&mm->mmap_lock)`: the first queued writer gets it and is woken. */
function unlockMm(world: World, mm: Mm): void {
  sendMm(mm, { type: 'mm.unlock' });
  const next = mmContext(mm).lockHolder;
  if (next === null) return;
  const waiter = world.tasks.get(next)!;
  sendTask(waiter, { type: 'task.unblock' });
  logNote(world, waiter.cpu, 'sched', `task ${waiter.pid} gets mmap_lock of mm ${mm.id} and wakes`);
  enqueue(world, waiter, `task ${waiter.pid} woken by up_write`);
}

/** The mapping work itself, with the lock held (or skipped by the fault). */
function mapLocked(world: World, task: Task, op: Deferred, unlock: boolean): string[] {
  const ev = eventOf(world, task.pid, op.fd);
  const mm = world.mms.get(task.mm)!;
  const design = designOf(world);
  if (ev && op.op === 'mmap') {
    // The first mmap of an event attaches its ring buffer and publishes the page; a further
    // mapping shares the buffer.
    const first = ev.maps.length === 0;
    if (first) updatePage(world, ev, 1, { cpu: task.cpu, oncpu: ev.activeCpu });
    ev.maps = [...ev.maps, mm.id];
    mm.mappings.push(ev.id);
    const what = first ? ` (page published: index ${ev.page.index}, offset ${signed(ev.page.offset)})` : ` (mapping ${ev.maps.length} of the event)`;
    logNote(world, task.cpu, 'syscall', `mmap by task ${task.pid}: user page of fd ${op.fd} mapped in mm ${mm.id}${what}`);
    design.mapped(world, ev, mm, task);
  } else if (ev && op.op === 'munmap') {
    logNote(world, task.cpu, 'syscall', `munmap by task ${task.pid}: user page of fd ${op.fd} unmapped from mm ${mm.id}`);
    unmapOne(world, mm, ev, task);
  }
  return endOrPark(world, task, { op: op.op, fd: op.fd, unlock });
}

/** Drop one element equal to `x` from a list (a new list). */
function withoutOne(list: number[], x: number): number[] {
  const i = list.indexOf(x);
  return i < 0 ? list : [...list.slice(0, i), ...list.slice(i + 1)];
}

/** `perf_mmap_close` of one mapping: the hook runs once per mapping; the last reference frees. */
function unmapOne(world: World, mm: Mm, ev: PerfEvent, caller: Task): void {
  mm.mappings = withoutOne(mm.mappings, ev.id);
  ev.maps = withoutOne(ev.maps, mm.id);
  designOf(world).unmapped(world, ev, mm, caller);
  // A closed fd stays in a table only while the event is mapped in that task's mm.
  for (const t of world.tasks.values()) {
    if (t.fds.some((e) => !e.open && e.event === ev.id) && !ev.maps.includes(t.mm)) t.fds = t.fds.filter((e) => e.open || e.event !== ev.id);
  }
  if (ev.fdRefs === 0 && ev.maps.length === 0) freeEvent(world, ev);
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
  const page = ev.maps.length > 0 ? `page published with offset ${signed(ev.page.offset)}` : 'no page mapped';
  logNote(world, task.cpu, 'syscall', `ioctl PERF_EVENT_IOC_RESET by task ${pid} on fd ${fd}: count 0, ${page}`);
  return [`fd ${fd} reset`];
}

/** A u64 as the signed value a C program prints with %lld. */
function signed(v: bigint): bigint {
  return BigInt.asIntN(64, v);
}

/** mmap and munmap take mmap_lock for write, or queue behind its holder. */
function withMmapLock(world: World, task: Task, op: Deferred): string[] {
  const mm = world.mms.get(task.mm)!;
  if (world.faults.has('mmap-lock-skip')) {
    logNote(world, task.cpu, 'syscall', `${op.op} by task ${task.pid} skips mmap_lock (fault mmap-lock-skip)`);
    return mapLocked(world, task, op, false);
  }
  const holder = mmContext(mm).lockHolder;
  if (holder === null) {
    sendMm(mm, { type: 'mm.lock', pid: task.pid });
    return mapLocked(world, task, op, true);
  }
  sendMm(mm, { type: 'mm.lock.wait', pid: task.pid });
  task.deferred = op;
  parkInKernel(world, task);
  sendTask(task, { type: 'task.block.lock' });
  switchAway(world, world.cpus[task.cpu]!, `task ${task.pid} blocks on mmap_lock`);
  return [`task ${task.pid} blocks on mmap_lock of mm ${mm.id} (held by task ${holder})`];
}

export function mmapEvent(world: World, pid: number, fd: number): string[] {
  const task = world.tasks.get(pid)!;
  enterSyscall(world, task, 'mmap');
  const ev = eventOf(world, pid, fd)!;
  // perf_mmap: `if (event->cpu == -1 && event->attr.inherit) return -EINVAL;`
  if (ev.boundCpu === null && ev.inherit) {
    leaveSyscall(world, task);
    logNote(world, task.cpu, 'syscall', `mmap by task ${pid} of fd ${fd}: -EINVAL (a task-bound inherit event cannot be mapped)`);
    return ['mmap: -EINVAL'];
  }
  return withMmapLock(world, task, { op: 'mmap', fd });
}

export function munmapEvent(world: World, pid: number, fd: number): string[] {
  const task = world.tasks.get(pid)!;
  enterSyscall(world, task, 'munmap');
  return withMmapLock(world, task, { op: 'munmap', fd });
}

/** `exit_mmap`: the last user is gone, every perf page mapped in the mm is unmapped. */
function dropMmUser(world: World, mm: Mm, caller: Task): void {
  mm.users--;
  if (mm.users > 0) return;
  for (const id of [...mm.mappings]) {
    const ev = world.events.get(id);
    if (ev) unmapOne(world, mm, ev, caller);
  }
  sendMm(mm, { type: 'mm.release' });
  logNote(world, caller.cpu, 'info', `mm ${mm.id} has no users left: released`);
  reapMmIfUnused(world, mm);
}

/**
 * `exit_files` and `perf_event_exit_task`: every fd of the task closes, and the events counting
 * it stop. An event goes with its last reference; one still mapped, or named by another
 * task's fd (a fork's copy), lives on without counting. An inherited event has no fd and goes.
 */
function exitTaskEvents(world: World, task: Task): void {
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
}

/**
 * `do_exit`: `exit_mm` first (the last user's `exit_mmap` unmaps every page, running the
 * unmapped hooks, whose IPIs it waits for), then `exit_files` and `perf_event_exit_task` (the
 * task's events stop), then the last switch away.
 */
export function exitTask(world: World, pid: number): string[] {
  const task = world.tasks.get(pid)!;
  enterSyscall(world, task, 'exit');
  dropMmUser(world, world.mms.get(task.mm)!, task);
  return endOrPark(world, task, { op: 'exit' });
}

/** A sibling thread killed by `de_thread`: off its CPU, events gone, out of the mm. */
function killThread(world: World, victim: Task, killer: Task): void {
  detach(world, victim, `task ${victim.pid} killed by exec in task ${killer.pid}`);
  exitTaskEvents(world, victim);
  sendTask(victim, { type: 'task.exit' });
  world.mms.get(victim.mm)!.users--;
  reapTask(world, victim);
  logNote(world, victim.cpu, 'sched', `task ${victim.pid} killed: its process called exec`);
}

export function execTask(world: World, pid: number, arch: 'aarch64' | 'aarch32'): string[] {
  const task = world.tasks.get(pid)!;
  const siblings = [...world.tasks.values()].filter((t) => t.mm === task.mm && t.pid !== pid && taskState(t) !== 'exited');
  enterSyscall(world, task, 'execve');
  for (const t of siblings) killThread(world, t, task);
  const old = world.mms.get(task.mm)!;
  const mm = createMm(world);
  mm.users = 1;
  task.mm = mm.id;
  // exec_mmap -> activate_mm: the new mm is loaded, then the old one is put.
  loadMm(world, world.cpus[task.cpu]!, mm, null);
  dropMmUser(world, old, task);
  return endOrPark(world, task, { op: 'exec', arch });
}

/** Syscalls whose IPIs have all been taken finish; lock waiters that now run do their work. */
export function settleKernel(world: World): string[] {
  const lines: string[] = [];
  for (const cpu of world.cpus) {
    // A halted CPU runs nothing more: a syscall parked on it never returns.
    const task = cpu.current === null || cpuMode(cpu) === 'halted' ? undefined : world.tasks.get(cpu.current);
    if (!task) continue;
    if (task.resume && taskState(task) === 'blocked.ipi' && !waitsForIpis(world, task.pid)) {
      const resume = task.resume;
      task.resume = null;
      sendTask(task, { type: 'task.unblock' });
      lines.push(...finish(world, task, resume));
    }
  }
  for (const cpu of world.cpus) {
    const task = cpu.current === null ? undefined : world.tasks.get(cpu.current);
    if (!task?.deferred || taskState(task) !== 'running') continue;
    const op = task.deferred;
    task.deferred = null;
    logNote(world, cpu.id, 'syscall', `task ${task.pid} resumes ${op.op} with mmap_lock held`);
    lines.push(...mapLocked(world, task, op, true));
  }
  return lines;
}
