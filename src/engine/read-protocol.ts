/**
 * What a program does at EL0 with the PMU: one `mrs`/`msr` of a PMU register (allowed or
 * trapped to EL1 as an undefined instruction, EC 0x18 — 0x03 for AArch32 CP15 — then SIGILL;
 * under `x86`, RDPMC without CR4.PCE raises #GP and `do_general_protection` sends SIGSEGV),
 * and libperf's `perf_mmap__read_self`, step by step: read the page's lock, index, offset and
 * width; read the counter register; sign-extend; re-read the lock and retry if it moved. Time
 * passes between the steps, so an overflow in between forces a retry. An allowed EL0 write to
 * a counter (`msr pmccntr_el0` / `pmevcntr<n>_el0`) changes its value within the counter's
 * width; under PMUv3.9 UEN with CR/ER set the write is ignored, as the architecture says.
 */
import { maskOf, signExtend, u64 } from './bits.js';
import type { Reg } from './command.js';
import { type Signal, designOf } from './designs/design.js';
import { regName } from './events.js';
import { taskArch } from './lifecycle.js';
import { readStepCycles, readTriesMax } from './limits.js';
import { emitFact, logEvent, logNote } from './log.js';
import { advance } from './overflow.js';
import { readCount } from './perf.js';
import { counterOf, cycleCounterId } from './pmu.js';
import { contextSwitch, ensureRunning } from './sched.js';
import { writePmselr } from './sysreg.js';
import { type Cpu, type PerfEvent, type Task, type World, pmuWidths } from './world.js';
import { enterSyscall, leaveSyscall } from './syscall-entry.js';

export type ReadResult =
  | { kind: 'value'; value: bigint; tries: number; zeroExtended: bigint; truth: bigint }
  | { kind: 'sigill'; tries: number }
  | { kind: 'fallback'; value: bigint; why: string }
  | { kind: 'sigsegv'; tries: number };

/** The trap of a denied EL0 access and the signal the task gets (counted in `sigills`). */
function trap(world: World, cpu: Cpu, task: Task, reg: Reg, access: 'read' | 'write'): Signal {
  task.sigills++;
  const design = designOf(world);
  const signal = design.signal;
  const ec = signal === 'SIGSEGV' ? '#GP' : taskArch(task) === 'aarch32' ? `0x03 (CP15 ${access === 'read' ? 'MRC' : 'MCR'})` : '0x18';
  logEvent(world, cpu.id, { kind: 'sigill', what: 'trap', pid: task.pid, access, reg, ec, regs: design.accessName(cpu), signal });
  return signal;
}

/**
 * What an EL0 read of a register sees, with whose value it is: the fact the monitor judges. An
 * AArch32 task reads with `MRC p15` into one 32-bit register: PMCCNTR[31:0], and the low half
 * of a 64-bit event counter. (Under x86 a 32-bit task's RDPMC fills EDX:EAX: all 48 bits.)
 */
function registerRead(world: World, cpu: Cpu, task: Task, reg: Reg) {
  if (reg.kind === 'pmselr') {
    return { kind: 'read', what: 'register', pid: task.pid, reg, value: BigInt(cpu.pmselr), pmselrWriter: cpu.pmselrWriter, owner: null, live: false } as const;
  }
  const c = counterOf(cpu, reg.kind === 'pmccntr' ? cycleCounterId : reg.n);
  const live = c.event !== null;
  const owner = live || c.value !== 0n ? c.lastOwner : null;
  const narrow = taskArch(task) === 'aarch32' && !pmuWidths(world.config).uniform;
  const value = narrow ? c.value & maskOf(32) : c.value;
  return { kind: 'read', what: 'register', pid: task.pid, reg, value, pmselrWriter: null, owner, live } as const;
}

function mayAccess(world: World, cpu: Cpu, reg: Reg): boolean {
  return designOf(world).mayAccess(world, cpu, reg);
}

/** `mrs Xt, <reg>` at EL0 (or `mrc p15` for AArch32). */
export function mrs(world: World, task: Task, reg: Reg): string[] {
  const cpu = world.cpus[task.cpu]!;
  if (!mayAccess(world, cpu, reg)) return [trap(world, cpu, task, reg, 'read')];
  const read = registerRead(world, cpu, task, reg);
  logEvent(world, cpu.id, read);
  return [`${read.value}`];
}

/** `msr <reg>, Xt` at EL0 (`mcr p15` for AArch32): PMSELR_EL0 or a counter. */
export function msr(world: World, task: Task, reg: Reg, value: bigint): string[] {
  const cpu = world.cpus[task.cpu]!;
  const effect = designOf(world).el0Write(world, cpu, reg);
  if (effect === 'trap') return [trap(world, cpu, task, reg, 'write')];
  if (reg.kind === 'pmselr') {
    const sel = Number(value & 0xffff_ffffn);
    writePmselr(world, cpu, sel, task.pid, `msr by task ${task.pid}`);
    return [`PMSELR_EL0 = ${sel & 0x1f}`];
  }
  return [writeCounter(world, cpu, task, reg, value, effect === 'ignore')];
}

/**
 * An allowed EL0 write of a counter: the register takes the value within its physical width
 * (an AArch32 MCR writes bits [31:0] and leaves the rest). The fact names whose count the
 * register held, so the monitor can tell a task writing its own counter from one corrupting
 * another's. A free counter's value is the writer's from then on.
 */
function writeCounter(world: World, cpu: Cpu, task: Task, reg: Reg & { kind: 'pmccntr' | 'pmevcntr' }, value: bigint, ignored: boolean): string {
  const c = counterOf(cpu, reg.kind === 'pmccntr' ? cycleCounterId : reg.n);
  const was = c.value;
  const live = c.event !== null;
  const owner = live ? c.lastOwner : null;
  const low32 = maskOf(32);
  const wanted = taskArch(task) === 'aarch32' ? (c.value & ~low32) | (value & low32) : value;
  const written = wanted & maskOf(c.width);
  if (!ignored) {
    c.value = written;
    if (!live) c.lastOwner = { pid: task.pid, label: `${task.pid}:msr` };
  }
  logEvent(world, cpu.id, { kind: 'sysreg', what: 'counter-write', pid: task.pid, reg, value: written, was, ignored, owner, regs: designOf(world).accessName(cpu) });
  return ignored ? `${regName(reg)} write ignored (${designOf(world).accessName(cpu)}: EL0 writes disabled)` : `${regName(reg)} = ${written}`;
}

function elapse(world: World, cpu: Cpu, task: Task): void {
  advance(world, cpu, task, readStepCycles);
}

function fallback(world: World, task: Task, ev: PerfEvent, why: string): ReadResult {
  enterSyscall(world, task, 'read');
  const value = readCount(world, ev);
  leaveSyscall(world, task);
  logEvent(world, task.cpu, { kind: 'read', what: 'fallback', pid: task.pid, value, why });
  return { kind: 'fallback', value, why };
}

/**
 * The what-if `preempt-in-read`: the scheduler takes the CPU between the page read and the
 * register read, runs the next queued task, and comes back. Both switches republish the page.
 */
function preemptReader(world: World, cpu: Cpu, task: Task): void {
  const other = cpu.runqueue[0];
  if (other === undefined) {
    logNote(world, cpu.id, 'sched', `task ${task.pid} preempted inside its read, but nothing else is runnable on CPU ${cpu.id}`);
    return;
  }
  contextSwitch(world, cpu, other, { requeuePrev: true, reason: `task ${task.pid} preempted inside its read (fault preempt-in-read)` });
  advance(world, cpu, world.tasks.get(other)!, world.config.cyclesPerTick);
  ensureRunning(world, task, `task ${task.pid} resumes its read`);
}

/** `perf_mmap__read_self` on the task's event; the task runs at EL0 on its CPU. */
export function readSelf(world: World, task: Task, ev: PerfEvent): ReadResult {
  const cpu = world.cpus[task.cpu]!;
  if (!ev.maps.includes(task.mm)) return fallback(world, task, ev, 'user page not mapped');
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
      const signal = trap(world, cpu, task, reg, 'read');
      return { kind: signal === 'SIGSEGV' ? 'sigsegv' : 'sigill', tries };
    }
    const read = registerRead(world, cpu, task, reg);
    emitFact(world, cpu.id, read);
    const raw = read.value;
    const truth = ev.trueCount;
    const signed = u64(offset + signExtend(raw, width));
    const zeroExtended = u64(offset + (raw & maskOf(width)));
    elapse(world, cpu, task);
    // The kernel publishes a new page (perf.ts): look at the one the event has now.
    if (ev.page.lock !== seq) {
      logEvent(world, cpu.id, { kind: 'read', what: 'retry', pid: task.pid, fd: ev.fd, from: seq, to: ev.page.lock });
      continue;
    }
    const value = zeroExtend ? zeroExtended : signed;
    logEvent(world, cpu.id, { kind: 'read', what: 'value', pid: task.pid, fd: ev.fd, value, tries, truth });
    return { kind: 'value', value, tries, zeroExtended, truth };
  }
  return fallback(world, task, ev, `the page kept changing for ${readTriesMax} tries`);
}
