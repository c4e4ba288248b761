/**
 * What the kernel and the hardware did, as data: every log entry is one of these events,
 * stamped with the step and the CPU. Each step returns the events it caused (step.ts); the log
 * lines of `run`, `--json`, the TUI and the summaries are rendered from them by `eventText`,
 * and the monitor judges them (monitor.ts). `kind` is the broad class a person filters on,
 * `what` the exact event.
 */
import type { EventType, FindingCode, Reg } from './command.js';
import type { Ipi } from './world.js';

/** Why a system register was written: the kernel function, and the IPI it ran from, if any. */
export interface Cause {
  /** The writer: `switch_mm to mm 2`, `armv8pmu_start`, `IPI refresh_pmuserenr(mm 1)`. */
  fn: string;
  /** When the write ran in a cross-CPU call: which, from where, on whose behalf. */
  ipi?: { fn: string; arg: number | null; from: number | null; call: number; caller: number | null };
  /** When it ran in a context switch (`switch_mm`): from which task to which, and why. */
  switch?: { from: number | null; to: number; reason: string };
}

/** The cause of a write made by a cross-CPU call's function (on this CPU or another). */
export function viaIpi(fn: string, ipi: Ipi): Cause {
  return { fn, ipi: { fn: ipi.fn, arg: ipi.arg, from: ipi.from, call: ipi.call, caller: ipi.caller } };
}

/** On whose behalf a CPU's EL0 access stands, and the write that set it. */
export interface Grant {
  seq: number;
  forMm: number | null;
  forPid: number | null;
  /** The step and the write (`PMUSERENR_EL0 = ER|CR`) that granted it. */
  step: number;
  write: string;
  by: Cause;
}

/** The facts a finding rests on: what happened, and what made it possible. */
export type FindingCause =
  | { kind: 'access'; pid: number; mm: number; cpu: number; access: string; grant: Grant }
  | { kind: 'denied'; pid: number; reg: string; access: string }
  | { kind: 'pmselr'; pid: number; value: number; writer: number }
  | { kind: 'counter'; pid: number; counter: string; live: boolean; owner: { pid: number | null; label: string } }
  | { kind: 'wrong-count'; pid: number; fd: number; value: string; truth: string }
  | { kind: 'null-deref'; fn: string; ipi: Cause['ipi'] | null }
  | { kind: 'lock'; fn: string; mm: number; pid: number; holder: number | null }
  | { kind: 'write'; pid: number; counter: string; value: string; was: string; owner: { pid: number | null; label: string } };

export interface Finding {
  step: number;
  code: FindingCode;
  cpu: number | null;
  pid: number | null;
  text: string;
  cause: FindingCause;
}

export type KernelEvent =
  | { kind: 'switch'; what: 'switch'; from: { pid: number; name: string } | null; to: { pid: number; name: string; mm: number } | null; reason: string }
  | { kind: 'sysreg'; what: 'access'; write: string; on: boolean; forMm: number | null; forPid: number | null; by: Cause }
  | { kind: 'sysreg'; what: 'pmselr'; value: number; writer: number | null; by: string }
  | { kind: 'ipi'; what: 'send'; how: 'on_each_cpu' | 'on_each_cpu_mask'; fn: string; arg: number | null; targets: number[]; call: number }
  | { kind: 'ipi'; what: 'take'; fn: string; arg: number | null; from: number | null; call: number }
  | { kind: 'ipi'; what: 'local'; fn: string; arg: number | null; call: number }
  | { kind: 'ipi'; what: 'lost'; call: number }
  | { kind: 'ipi'; what: 'wait'; caller: number; waitingOn: number[]; call: number }
  | { kind: 'hook'; what: 'count'; fn: string; mm: number; field: string; from: number; to: number }
  | { kind: 'hook'; what: 'lock-not-held'; fn: string; mm: number; pid: number; holder: number | null }
  | { kind: 'overflow'; what: 'overflow'; counter: string; event: string; count: bigint }
  | { kind: 'sigill'; what: 'trap'; pid: number; access: 'read' | 'write'; reg: Reg; ec: string; regs: string; signal: 'SIGILL' | 'SIGSEGV' }
  | { kind: 'read'; what: 'register'; pid: number; reg: Reg; value: bigint; pmselrWriter: number | null; owner: { pid: number | null; label: string } | null; live: boolean }
  | { kind: 'read'; what: 'retry'; pid: number; fd: number; from: number; to: number }
  | { kind: 'read'; what: 'value'; pid: number; fd: number; value: bigint; tries: number; truth: bigint }
  | { kind: 'read'; what: 'fallback'; pid: number; value: bigint; why: string }
  | { kind: 'oops'; what: 'null-deref'; fn: string; ipi: Cause['ipi'] | null; pid: number | null }
  | { kind: 'finding'; what: 'finding'; finding: Finding }
  | { kind: 'syscall' | 'sched' | 'info' | 'oops' | 'say' | 'hook'; what: 'note'; text: string }
  | { kind: 'syscall'; what: 'open'; pid: number | null; cpuBound: number | null; type: EventType; fd: number; readable: boolean; errno: string | null }
  /** An EL0 write of a counter that the hardware allowed (or ignored): whose count it held. */
  | { kind: 'sysreg'; what: 'counter-write'; pid: number; reg: Reg; value: bigint; was: bigint; ignored: boolean; owner: { pid: number | null; label: string } | null; regs: string };

export type LogKind = KernelEvent['kind'];

export type LogEntry = KernelEvent & { step: number; cpu: number | null };

export function regName(reg: Reg): string {
  return reg.kind === 'pmccntr' ? 'PMCCNTR_EL0' : reg.kind === 'pmselr' ? 'PMSELR_EL0' : `PMEVCNTR${reg.n}_EL0`;
}

function argName(arg: number | null): string {
  return arg === null ? 'NULL' : `mm ${arg}`;
}

/** The log line of an event, as the log and `run` print it. */
export function eventText(e: KernelEvent & { cpu?: number | null }): string {
  switch (e.what) {
    case 'note':
      return e.text;
    case 'switch':
      return `switch ${e.from ? `${e.from.pid} (${e.from.name})` : 'idle'} -> ${e.to ? `${e.to.pid} (${e.to.name}, mm ${e.to.mm})` : 'idle'}: ${e.reason}`;
    case 'access': {
      const whom = !e.on ? '' : e.forMm === null ? ` for pid ${e.forPid}` : ` for mm ${e.forMm}`;
      return `${e.write}${whom} (${e.by.fn})`;
    }
    case 'pmselr':
      return `PMSELR_EL0 = ${e.value} (${e.by})`;
    case 'send':
      return e.targets.length === 0
        ? `${e.how}(${e.fn}, ${argName(e.arg)}): the mask is empty, no CPU runs it`
        : `${e.how}(${e.fn}, ${argName(e.arg)}) to CPUs ${e.targets.join(',')}`;
    case 'take':
      return `takes IPI ${e.fn}(${argName(e.arg)}) from ${e.from === null ? 'the sysctl writer' : `CPU ${e.from}`}`;
    case 'local':
      return `runs ${e.fn}(${argName(e.arg)}) locally`;
    case 'lost':
      return 'is halted: the IPI is lost';
    case 'wait':
      return `task ${e.caller} waits for CPUs ${e.waitingOn.join(',')} to take the IPI`;
    case 'count':
      return `${e.fn}: mm ${e.mm} ${e.field} ${e.from} -> ${e.to}`;
    case 'lock-not-held':
      return `${e.fn}: lockdep_assert_held_write(mmap_lock of mm ${e.mm}) fails in task ${e.pid}`;
    case 'overflow':
      return `${e.counter} overflow: event ${e.event} count ${e.count}, preset again`;
    case 'trap':
      return `task ${e.pid} ${e.access} of ${regName(e.reg)} trapped (${e.signal === 'SIGSEGV' ? e.ec : `EC ${e.ec}`}, access ${e.regs}): ${e.signal}`;
    case 'counter-write':
      return e.ignored
        ? `task ${e.pid} write of ${regName(e.reg)} ignored (access ${e.regs}: EL0 writes disabled)`
        : `task ${e.pid} writes ${regName(e.reg)} = ${e.value} (was ${e.was}${e.owner ? `, ${e.owner.pid === null ? 'per-CPU event' : 'event'} ${e.owner.label}` : ''})`;
    case 'register':
      return `task ${e.pid} reads ${regName(e.reg)} = ${e.value}`;
    case 'retry':
      return `task ${e.pid} read of fd ${e.fd}: page lock moved ${e.from} -> ${e.to}, retry`;
    case 'value':
      return `task ${e.pid} reads fd ${e.fd} at EL0: ${e.value} (${e.tries} ${e.tries === 1 ? 'try' : 'tries'})`;
    case 'fallback':
      return `task ${e.pid} falls back to read(): ${e.value} (${e.why})`;
    case 'null-deref':
      return `Unable to handle kernel NULL pointer dereference in ${e.fn}: CPU ${e.cpu} halted`;
    case 'finding':
      return `${e.finding.code}: ${e.finding.text}`;
    case 'open':
      if (e.errno) return `perf_event_open${e.cpuBound === null ? '' : `(cpu ${e.cpuBound})`} by task ${e.pid} returns -${e.errno}`;
      if (e.pid === null) return `perf_event_open(${e.type}, cpu ${e.cpuBound}) = fd ${e.fd} (per-CPU)`;
      if (e.cpuBound !== null) return `perf_event_open(${e.type}, cpu ${e.cpuBound}) by task ${e.pid} = fd ${e.fd} (per-CPU)${e.readable ? ', user-readable' : ''}`;
      return `perf_event_open(${e.type}) by task ${e.pid} = fd ${e.fd}${e.readable ? ', user-readable' : ''}`;
  }
}
