/**
 * The kernel event log: switches, system register writes, IPIs, hooks, overflows, SIGILLs and
 * findings, each stamped with the step that caused it. A ring buffer (limits.ts).
 */
import type { LogKind, World } from './world.js';

export function logEvent(world: World, cpu: number | null, kind: LogKind, text: string): void {
  world.log.push({ step: world.step, cpu, kind, text });
}
