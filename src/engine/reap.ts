/**
 * Freeing what is gone, so a long session's memory stays flat: an exited task is reaped at
 * once (`release_task`), a dead mm once no CPU still has it loaded (`mmdrop` after lazy TLB).
 * Pids and mm ids are never reused, so a name that is gone stays gone.
 */
import { mmLive } from './lifecycle.js';
import type { Mm, Task, World } from './world.js';

export function reapTask(world: World, task: Task): void {
  world.tasks.delete(task.pid);
}

export function reapMmIfUnused(world: World, mm: Mm | undefined): void {
  if (!mm || mmLive(mm)) return;
  if (world.cpus.some((c) => c.activeMm === mm.id)) return;
  world.mms.delete(mm.id);
}
