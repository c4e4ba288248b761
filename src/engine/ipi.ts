/**
 * Cross-CPU function calls: `on_each_cpu(fn, arg, wait=1)` and `on_each_cpu_mask(mask, ...)`.
 * The caller's own CPU runs `fn` directly; every other target takes an IPI. In `ipi auto` the
 * remote handlers run at once; in `ipi manual` they stay pending until `deliver CPU`, and the
 * caller spins in the kernel (blocked, still on its CPU) until the last one has run.
 */
import { designOf } from './designs/design.js';
import { cpuMode, sendCpu, sendTask } from './lifecycle.js';
import { logEvent } from './log.js';
import type { Cpu, Ipi, IpiFn, Task, World } from './world.js';

function take(world: World, cpu: Cpu, ipi: Ipi): void {
  sendCpu(cpu, { type: 'cpu.ipi' });
  logEvent(world, cpu.id, { kind: 'ipi', what: 'take', fn: ipi.fn, arg: ipi.arg, from: ipi.from, call: ipi.call });
  designOf(world).runIpi(world, cpu, ipi);
  if (cpuMode(cpu) !== 'halted') sendCpu(cpu, { type: 'cpu.eret' });
}

/**
 * Run `fn(arg)` on `targets` (null: every online CPU). Returns true when the caller must wait
 * for IPIs still pending.
 */
export function onEachCpu(world: World, from: number | null, targets: number[] | null, fn: IpiFn, arg: number | null, caller: Task | null): boolean {
  const list = targets ?? world.cpus.map((c) => c.id);
  const sorted = [...list].sort((a, b) => a - b);
  const call = { id: world.nextCall++, caller: caller?.pid ?? null, waitingOn: [] as number[] };
  const how = targets === null ? 'on_each_cpu' : 'on_each_cpu_mask';
  logEvent(world, from, { kind: 'ipi', what: 'send', how, fn, arg, targets: sorted, call: call.id });
  const ipi: Ipi = { call: call.id, fn, arg, from, caller: caller?.pid ?? null };
  for (const id of sorted) {
    if (id === from) continue;
    const cpu = world.cpus[id]!;
    if (cpuMode(cpu) === 'halted') {
      logEvent(world, id, { kind: 'ipi', what: 'lost', call: call.id });
      continue;
    }
    if (world.ipiMode === 'auto') take(world, cpu, ipi);
    else {
      cpu.pendingIpis.push(ipi);
      call.waitingOn.push(id);
    }
  }
  if (from !== null && sorted.includes(from)) {
    logEvent(world, from, { kind: 'ipi', what: 'local', fn, arg, call: call.id });
    designOf(world).runIpi(world, world.cpus[from]!, ipi);
  }
  if (call.waitingOn.length === 0) return false;
  world.calls.set(call.id, call);
  if (caller) {
    logEvent(world, from, { kind: 'ipi', what: 'wait', caller: caller.pid, waitingOn: call.waitingOn.slice(), call: call.id });
  }
  return true;
}

/** Does this task still wait for any IPI call it made? */
export function waitsForIpis(world: World, pid: number): boolean {
  for (const call of world.calls.values()) if (call.caller === pid) return true;
  return false;
}

/** Block the caller of a syscall until its IPIs are taken. */
export function blockOnIpis(task: Task): void {
  sendTask(task, { type: 'task.block.ipi' });
}

/** `deliver CPU`: the CPU takes its oldest pending IPI. False when none is pending. */
export function deliverOne(world: World, cpu: Cpu): boolean {
  const ipi = cpu.pendingIpis.shift();
  if (!ipi) return false;
  take(world, cpu, ipi);
  answered(world, ipi.call, cpu.id);
  return true;
}

function answered(world: World, callId: number, cpuId: number): void {
  const call = world.calls.get(callId);
  if (!call) return;
  call.waitingOn = call.waitingOn.filter((id) => id !== cpuId);
  if (call.waitingOn.length === 0) world.calls.delete(callId);
}

/** A halted CPU will answer nothing: stop waiting for it (the model's simplification). */
export function forgetCpu(world: World, cpuId: number): void {
  for (const call of [...world.calls.values()]) answered(world, call.id, cpuId);
}
