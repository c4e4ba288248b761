/**
 * The kernel event log: what the kernel and the hardware did (events.ts), each stamped with
 * the step that caused it and the CPU, in a ring buffer (limits.ts). The monitor sees every
 * event as it is logged: it is the one place facts become findings.
 */
import type { KernelEvent, LogEntry } from './events.js';
import { observe } from './monitor.js';
import { ringPush } from './ring.js';
import type { World } from './world.js';

export function logEvent(world: World, cpu: number | null, event: KernelEvent): void {
  // The event is a fresh literal the caller made for this call: stamp it in place (a copy
  // here would be the single most expensive thing the engine does).
  const entry = event as LogEntry;
  entry.step = world.step;
  entry.cpu = cpu;
  ringPush(world.log, entry);
  observe(world, entry);
}

/** A free-form line (a syscall, the scheduler, a setting): nothing the monitor judges. */
export function logNote(world: World, cpu: number | null, kind: 'syscall' | 'sched' | 'info' | 'oops' | 'say' | 'hook', text: string): void {
  ringPush(world.log, { kind, what: 'note', text, step: world.step, cpu });
}

/** A fact for the monitor alone, not a log line (a counter read inside libperf's read loop). */
export function emitFact(world: World, cpu: number | null, event: KernelEvent): void {
  const entry = event as LogEntry;
  entry.step = world.step;
  entry.cpu = cpu;
  observe(world, entry);
}
