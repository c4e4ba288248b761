/**
 * How the perf core puts a context's events on the PMU (kernel/events/core.c, Linux 6.1). Every
 * event of the model is a flexible group of one (no `attr.pinned`, no group leaders).
 * - `ctx_flexible_sched_in` -> `merge_sched_in`, in group order: the first group that does not
 *   go on (no counter, or the driver's -EAGAIN) sets `can_add_hw = 0`, so no group after it is
 *   even tried; the context is marked `rotate_necessary` and the CPU's multiplexing hrtimer is
 *   armed (`perf_mux_hrtimer_restart`, which does nothing when it is armed already).
 * - `ctx_resched`, when an event is installed in a running context (`__perf_install_in_context`):
 *   the current task's groups — and for a per-CPU event the CPU's — go off and on again, the
 *   CPU's first.
 * - `perf_mux_hrtimer_handler` -> `perf_rotate_context`: the timer fires once a mux interval;
 *   here at every scheduler tick (Linux's default `perf_event_mux_interval_ms` is one jiffy).
 *   While a context needs it, its first active group goes to the back and the groups go on
 *   again, so the others get their turn; when none needs it, the timer stops.
 * At a context switch only the task's groups move (`perf_event_task_sched_out/in`); the CPU's
 * stay as they are.
 */
import { logNote } from './log.js';
import { addEvent, ownerName, pmuEnable, removeEvent } from './perf.js';
import type { Cpu, Task, World } from './world.js';

/** A perf context: the CPU's (its per-CPU events) or a task's. */
type Ctx = { cpu: Cpu; task?: undefined } | { task: Task; cpu?: undefined };

function groups(ctx: Ctx): number[] {
  return ctx.task ? ctx.task.perfContext : ctx.cpu.boundEvents;
}

function setGroups(ctx: Ctx, ids: number[]): void {
  if (ctx.task) ctx.task.perfContext = ids;
  else ctx.cpu.boundEvents = ids;
}

function setRotate(ctx: Ctx, on: boolean): void {
  if (ctx.task) ctx.task.rotate = on;
  else ctx.cpu.rotate = on;
}

function ctxName(ctx: Ctx): string {
  return ctx.task ? `task ${ctx.task.pid}'s context` : `CPU ${ctx.cpu.id}'s context`;
}

/** `ctx_sched_out(ctx, EVENT_FLEXIBLE)`: every active group off; `rotate_necessary` cleared. */
function ctxSchedOut(world: World, ctx: Ctx): void {
  for (const id of groups(ctx)) {
    const ev = world.events.get(id);
    if (ev && ev.activeCpu !== null) removeEvent(world, ev);
  }
  setRotate(ctx, false);
}

/** `ctx_flexible_sched_in` on `cpu`: the inactive groups on, in order, until one does not go. */
function ctxFlexibleSchedIn(world: World, cpu: Cpu, ctx: Ctx): void {
  let canAddHw = true;
  for (const id of groups(ctx)) {
    const ev = world.events.get(id);
    if (!ev || ev.activeCpu !== null) continue;
    if (canAddHw) addEvent(world, cpu, ev);
    else logNote(world, cpu.id, 'hook', `event ${ownerName(ev)} (${ev.type}) not tried: a group before it did not go on (can_add_hw = 0), inactive`);
    if (ev.activeCpu !== null) continue;
    canAddHw = false;
    setRotate(ctx, true);
    if (!cpu.muxTimer) {
      cpu.muxTimer = true;
      logNote(world, cpu.id, 'hook', `${ctxName(ctx)} needs rotation: perf_mux_hrtimer armed, to rotate at the next tick`);
    }
  }
}

/** The current task's perf context on this CPU (`cpuctx->task_ctx`), if it has events. */
function taskCtx(world: World, cpu: Cpu): Task | null {
  const task = cpu.current === null ? undefined : world.tasks.get(cpu.current);
  return task && task.perfContext.length > 0 ? task : null;
}

/** `perf_event_task_sched_out`: the outgoing task's groups off. */
export function schedOut(world: World, task: Task): void {
  ctxSchedOut(world, { task });
}

/** `perf_event_task_sched_in`: the incoming task's groups on (the CPU's stay as they are). */
export function schedIn(world: World, cpu: Cpu, task: Task | null): void {
  if (task) ctxFlexibleSchedIn(world, cpu, { task });
}

/**
 * `ctx_resched` after an event is installed on `cpu`: the current task's groups off, and the
 * CPU's too for a per-CPU event; then on again, the CPU's first (`perf_event_sched_in`).
 */
export function resched(world: World, cpu: Cpu, cpuEvent: boolean): void {
  const task = taskCtx(world, cpu);
  if (task) ctxSchedOut(world, { task });
  if (cpuEvent) {
    ctxSchedOut(world, { cpu });
    ctxFlexibleSchedIn(world, cpu, { cpu });
  }
  if (task) ctxFlexibleSchedIn(world, cpu, { task });
}

/** `ctx_event_to_rotate`: the first active group, else the first group; clears the mark. */
function eventToRotate(world: World, cpu: Cpu, ctx: Ctx): number | null {
  setRotate(ctx, false);
  const ids = groups(ctx);
  return ids.find((id) => world.events.get(id)?.activeCpu === cpu.id) ?? ids[0] ?? null;
}

/** `rotate_ctx`: the group to the back of the context's order (a new `group_index`). */
function toBack(ctx: Ctx, id: number): void {
  setGroups(ctx, [...groups(ctx).filter((g) => g !== id), id]);
}

/** `perf_rotate_context`: false when neither context needs it (the timer then stops). */
function rotate(world: World, cpu: Cpu): boolean {
  const task = taskCtx(world, cpu);
  const taskRotate = task?.rotate ?? false;
  if (!taskRotate && !cpu.rotate) return false;
  const taskEvent = task && taskRotate ? eventToRotate(world, cpu, { task }) : null;
  const cpuEvent = cpu.rotate ? eventToRotate(world, cpu, { cpu }) : null;
  const taskOff = task !== null && (taskEvent !== null || cpuEvent !== null);
  if (taskOff) ctxSchedOut(world, { task });
  if (cpuEvent !== null) ctxSchedOut(world, { cpu });
  for (const [ctx, id] of [[task ? { task } : null, taskEvent], [{ cpu }, cpuEvent]] as const) {
    if (ctx === null || id === null) continue;
    toBack(ctx, id);
    const ev = world.events.get(id);
    logNote(world, cpu.id, 'hook', `perf_rotate_context: event ${ev ? ownerName(ev) : id} to the back of ${ctxName(ctx)}`);
  }
  if (cpuEvent !== null) ctxFlexibleSchedIn(world, cpu, { cpu });
  if (taskOff) ctxFlexibleSchedIn(world, cpu, { task });
  pmuEnable(world, cpu);
  return true;
}

/** `perf_mux_hrtimer_handler`, once a tick on each CPU whose timer is armed. */
export function muxTimerTick(world: World, cpu: Cpu): void {
  if (!cpu.muxTimer) return;
  if (rotate(world, cpu)) return;
  cpu.muxTimer = false;
}
