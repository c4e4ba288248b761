/**
 * What a program does at EL0 with the PMU: one `mrs`/`msr` of a PMU register (allowed or
 * trapped to EL1 as an undefined instruction, EC 0x18 — 0x03 for AArch32 CP15 — then SIGILL),
 * and libperf's `perf_mmap__read_self`, step by step: read the page's lock, index, offset and
 * width; read the counter register; sign-extend; re-read the lock and retry if it moved. Time
 * passes between the steps, so an overflow in between forces a retry.
 */
import { maskOf, signExtend, u64 } from './bits.js';
import type { Reg } from './command.js';
import { designOf } from './designs/index.js';
import { taskArch } from './lifecycle.js';
import { readStepCycles, readTriesMax } from './limits.js';
import { logEvent } from './log.js';
import { recordFinding } from './monitor.js';
import { advance } from './overflow.js';
import { counterName, readCount } from './perf.js';
import { reject } from './reject.js';
import { contextSwitch, ensureRunning } from './sched.js';
import { writePmselr } from './sysreg.js';
import { type Cpu, type PerfEvent, type Task, type World, counterOf, cycleCounterId } from './world.js';
import { enterSyscall, leaveSyscall } from './syscalls.js';

export type ReadResult =
  | { kind: 'value'; value: bigint; tries: number; zeroExtended: bigint; truth: bigint }
  | { kind: 'sigill'; tries: number }
  | { kind: 'fallback'; value: bigint; why: string };

function regName(reg: Reg): string {
  return reg.kind === 'pmccntr' ? 'PMCCNTR_EL0' : reg.kind === 'pmselr' ? 'PMSELR_EL0' : `PMEVCNTR${reg.n}_EL0`;
}

function trap(world: World, cpu: Cpu, task: Task, reg: Reg, access: string): void {
  const design = designOf(world);
  task.sigills++;
  const ec = taskArch(task) === 'aarch32' ? '0x03 (CP15 MRC)' : '0x18';
  logEvent(world, cpu.id, 'sigill', `task ${task.pid} ${access} of ${regName(reg)} trapped (EC ${ec}, access ${design.accessName(cpu)}): SIGILL`);
  if (design.promises(world, cpu, task, reg)) {
    recordFinding(world, 'access/denied', cpu.id, task.pid,
      `task ${task.pid} got SIGILL on ${regName(reg)}, which design ${design.name} promised it could read`);
  }
}

function counterRegOf(world: World, cpu: Cpu, reg: Reg): number | null {
  if (reg.kind === 'pmccntr') return cycleCounterId;
  if (reg.kind === 'pmevcntr') return reg.n < world.config.counters ? reg.n : null;
  return null;
}

/** A counter read at EL0: a finding when the value belongs to another task's event. */
function checkCounterLeak(world: World, cpu: Cpu, task: Task, id: number): void {
  const c = counterOf(cpu, id);
  const live = c.event !== null;
  const owner = live || c.value !== 0n ? c.lastOwner : null;
  if (owner === null || owner.pid === task.pid) return;
  const whose = owner.pid === null ? `per-CPU event ${owner.label}` : `event ${owner.label} of task ${owner.pid}`;
  recordFinding(world, 'leak/counter', cpu.id, task.pid,
    `task ${task.pid} read ${counterName(id)} on CPU ${cpu.id}: ${live ? 'the live count of' : 'a value left by'} ${whose}`);
}

function mayAccess(world: World, cpu: Cpu, reg: Reg): boolean {
  return designOf(world).mayAccess(world, cpu, reg);
}

/** `mrs Xt, <reg>` at EL0 (or `mrc p15` for AArch32). */
export function mrs(world: World, task: Task, reg: Reg): string[] {
  const cpu = world.cpus[task.cpu]!;
  if (reg.kind === 'pmevcntr' && reg.n >= world.config.counters) {
    reject('mrs', 'no-such-counter', `this PMU has event counters 0..${world.config.counters - 1}`);
  }
  if (!mayAccess(world, cpu, reg)) {
    trap(world, cpu, task, reg, 'read');
    return [`SIGILL`];
  }
  if (reg.kind === 'pmselr') {
    if (cpu.pmselrWriter !== null && cpu.pmselrWriter !== task.pid) {
      recordFinding(world, 'leak/pmselr', cpu.id, task.pid,
        `task ${task.pid} read PMSELR_EL0 = ${cpu.pmselr} on CPU ${cpu.id}, written by task ${cpu.pmselrWriter}`);
    }
    logEvent(world, cpu.id, 'read', `task ${task.pid} reads PMSELR_EL0 = ${cpu.pmselr}`);
    return [`${cpu.pmselr}`];
  }
  const id = counterRegOf(world, cpu, reg)!;
  const value = counterOf(cpu, id).value;
  checkCounterLeak(world, cpu, task, id);
  logEvent(world, cpu.id, 'read', `task ${task.pid} reads ${regName(reg)} = ${value}`);
  return [`${value}`];
}

/** `msr pmselr_el0, Xt` at EL0. */
export function msrPmselr(world: World, task: Task, value: number): string[] {
  const cpu = world.cpus[task.cpu]!;
  const reg: Reg = { kind: 'pmselr' };
  if (!mayAccess(world, cpu, reg)) {
    trap(world, cpu, task, reg, 'write');
    return ['SIGILL'];
  }
  writePmselr(world, cpu, value, task.pid, `msr by task ${task.pid}`);
  return [`PMSELR_EL0 = ${value & 0x1f}`];
}

function elapse(world: World, cpu: Cpu, task: Task): void {
  advance(world, cpu, task, readStepCycles);
}

function fallback(world: World, task: Task, ev: PerfEvent, why: string): ReadResult {
  enterSyscall(world, task, 'read');
  const value = readCount(world, ev);
  leaveSyscall(world, task);
  logEvent(world, task.cpu, 'read', `task ${task.pid} falls back to read(): ${value} (${why})`);
  return { kind: 'fallback', value, why };
}

/**
 * The what-if `preempt-in-read`: the scheduler takes the CPU between the page read and the
 * register read, runs the next queued task, and comes back. Both switches republish the page.
 */
function preemptReader(world: World, cpu: Cpu, task: Task): void {
  const other = cpu.runqueue[0];
  if (other === undefined) {
    logEvent(world, cpu.id, 'sched', `task ${task.pid} preempted inside its read, but nothing else is runnable on CPU ${cpu.id}`);
    return;
  }
  contextSwitch(world, cpu, other, { requeuePrev: true, reason: `task ${task.pid} preempted inside its read (fault preempt-in-read)` });
  advance(world, cpu, world.tasks.get(other)!, world.config.cyclesPerTick);
  ensureRunning(world, task, `task ${task.pid} resumes its read`);
}

/** `perf_mmap__read_self` on the task's event; the task runs at EL0 on its CPU. */
export function readSelf(world: World, task: Task, ev: PerfEvent): ReadResult {
  const cpu = world.cpus[task.cpu]!;
  if (ev.mappedIn !== task.mm) return fallback(world, task, ev, 'user page not mapped');
  const zeroExtend = world.faults.has('zero-extend');
  for (let tries = 1; tries <= readTriesMax; tries++) {
    const page = ev.page;
    const seq = page.lock;
    const idx = page.index;
    const offset = page.offset;
    const width = page.pmcWidth;
    if (!page.capUserRdpmc || idx === 0) return fallback(world, task, ev, idx === 0 ? 'index 0' : 'cap_user_rdpmc 0');
    if (tries === 1 && world.faults.has('preempt-in-read')) preemptReader(world, cpu, task);
    elapse(world, cpu, task);
    const id = idx - 1;
    const reg: Reg = id === cycleCounterId ? { kind: 'pmccntr' } : { kind: 'pmevcntr', n: id };
    if (!mayAccess(world, cpu, reg) || (id !== cycleCounterId && id >= world.config.counters)) {
      trap(world, cpu, task, reg, 'read');
      return { kind: 'sigill', tries };
    }
    checkCounterLeak(world, cpu, task, id);
    const raw = counterOf(cpu, id).value;
    const truth = ev.trueCount;
    const signed = u64(offset + signExtend(raw, width));
    const zeroExtended = u64(offset + (raw & maskOf(width)));
    elapse(world, cpu, task);
    if (page.lock !== seq) {
      logEvent(world, cpu.id, 'read', `task ${task.pid} read of fd ${ev.fd}: page lock moved ${seq} -> ${page.lock}, retry`);
      continue;
    }
    const value = zeroExtend ? zeroExtended : signed;
    logEvent(world, cpu.id, 'read', `task ${task.pid} reads fd ${ev.fd} at EL0: ${value} (${tries} ${tries === 1 ? 'try' : 'tries'})`);
    if (value !== truth) {
      recordFinding(world, 'read/wrong-count', cpu.id, task.pid,
        `task ${task.pid} read ${value} from fd ${ev.fd}, but the event counted ${truth}`);
    }
    return { kind: 'value', value, tries, zeroExtended, truth };
  }
  return fallback(world, task, ev, `the page kept changing for ${readTriesMax} tries`);
}
