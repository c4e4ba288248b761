/**
 * A kernel oops on one CPU (`die()` after a bad dereference in an IPI handler): the CPU stops
 * for good, its pending IPIs are dropped and no caller waits for it any more. The CPU emits
 * the fact; the monitor records the finding. Any design's handler may oops.
 */
import type { Ipi } from './world.js';
import { viaIpi } from './events.js';
import { forgetCpu } from './ipi.js';
import { sendCpu } from './lifecycle.js';
import { logEvent } from './log.js';
import type { Cpu, World } from './world.js';

export function cpuOops(world: World, cpu: Cpu, fn: string, ipi: Ipi | null): void {
  logEvent(world, cpu.id, { kind: 'oops', what: 'null-deref', fn, ipi: ipi ? viaIpi(fn, ipi).ipi! : null, pid: cpu.current });
  sendCpu(cpu, { type: 'cpu.oops' });
  cpu.pendingIpis = [];
  forgetCpu(world, cpu.id);
}
