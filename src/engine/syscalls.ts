/**
 * The syscalls on a program's address space: `mmap`/`munmap` of the user page (`perf_mmap` ->
 * `pmu->event_mapped`, `perf_mmap_close` -> `pmu->event_unmapped`, under `mmap_lock` taken for
 * write), `execve` (`de_thread`, `exec_mmap`: the old mm's pages are unmapped, then the
 * close-on-exec fds close) and `exit` (`exit_mm`, then `exit_files` and
 * `perf_event_exit_task`). A syscall whose hook sent IPIs it must wait for parks the task until
 * the last one is taken, then finishes. The fds themselves are in fds.ts.
 */
import { designOf } from './designs/design.js';
import { blockOnIpis, waitsForIpis } from './ipi.js';
import { cpuMode, mmContext, sendMm, sendTask, taskState } from './lifecycle.js';
import { logNote } from './log.js';
import { updatePage } from './perf.js';
import { detach, enqueue, loadMm, switchAway } from './sched.js';
import { reapMmIfUnused, reapTask } from './reap.js';
import { createMm } from './tasks.js';
import { eventOf } from './validate.js';
import { type Deferred, type Mm, type PerfEvent, type Resume, type Task, type World } from './world.js';
import { enterSyscall, leaveSyscall, parkInKernel } from './syscall-entry.js';
import { closeOnExec, exitTaskEvents, freeEvent } from './fds.js';
import { s64 } from './bits.js';

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
    const what = first ? ` (page published: index ${ev.page.index}, offset ${s64(ev.page.offset)})` : ` (mapping ${ev.maps.length} of the event)`;
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
