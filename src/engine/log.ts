/**
 * The kernel event log: switches, system register writes, IPIs, hooks, overflows, SIGILLs and
 * findings, each stamped with the step that caused it. A ring buffer (limits.ts).
 */
import type { LogKind, World } from './world.js';
import { ringPush } from './ring.js';

export function logEvent(world: World, cpu: number | null, kind: LogKind, text: string): void {
  ringPush(world.log, { step: world.step, cpu, kind, text });
}
