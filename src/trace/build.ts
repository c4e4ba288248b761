/**
 * A session as a timeline for ui.perfetto.dev and chrome://tracing (trace-event.ts), built from
 * what each step returns as data (step.ts `StepResult`: the kernel events of events.ts, the
 * findings with their causes) and the world after it, never from log text.
 *
 * Tracks. A process per CPU (`CPU n`) holds one thread track and the CPU's counter tracks:
 * - the thread track shows which task runs (a `B`/`E` slice named `pid name`) and, nested in
 *   it, the kernel's work as `X` slices: a container per piece of work — the context switch
 *   (`switch: REASON`, with `switch_mm` and the PMU's sched-in inside), the PMU interrupt
 *   (`PMU IRQ`), an IPI's handler (`IPI fn(mm N)`), the command's own work (`syscall: mmap
 *   100 3`: the design's hooks, IPIs sent) — and one slice per kernel event inside it
 *   (a register write, a hook's count change, an IPI sent). Reads, SIGILLs, EL0 counter writes
 *   and findings are instants (`i`); a finding carries its text, cause and explanation.
 * - counter tracks (`C`): the access register (PMUSERENR_EL0; CR4.PCE under x86; PMUACR_EL1
 *   too under hardened), PMSELR_EL0, and every counter's value (signed within its width),
 *   sampled after each step.
 * A process `pmuplay` holds the machine's track: narration (`say`), expects, and the events that
 * belong to no CPU. A flow arrow (`s`/`f`) joins each IPI's send to its take on another CPU.
 *
 * Time. `ts` is the simulated cycle clock at 1 GHz: 1 cycle = 1 ns. A tick takes cycles-per-tick
 * cycles (the default 10^6 is 1 ms, the HZ=1000 tick), a `run N` N cycles, a read the cycles
 * its reads take. Kernel work takes no cycles in the model (README: only EL0 time counts), so
 * the trace gives each kernel event `kernelEventNs` of its own, after the step's EL0 time (a
 * tick's overflows are drawn after the tick's cycles, not at the cycle they happened).
 */
import type { Command } from '../engine/command.js';
import { designOf } from '../engine/designs/index.js';
import { explainFinding, explanationLines } from '../engine/explain.js';
import { type KernelEvent, regName } from '../engine/events.js';
import { formatCommand } from '../engine/format.js';
import { logLinesMax } from '../engine/limits.js';
import type { StepResult } from '../engine/step.js';
import type { Config, Cpu, LogEntry, World } from '../engine/world.js';
import { visible } from '../visible.js';
import { type Args, type Phase, type TraceEvent, type TraceFile, jsonArgs, micros } from './trace-event.js';

/**
 * Trace time one kernel event takes, in ns (the model gives kernel work no cycles). Within its
 * slot at t: a task's slice ends at t+2 and the next begins at t+6 (a switch), a piece of work
 * starts at t+10 (an IPI's arrow lands at t+15), the event's own slice spans t+20..t+80 (an
 * arrow leaves at t+30), an instant sits at t+50, and the work ends at t+90 or later. No two of
 * them share a time, so no viewer has to guess an order; and the gaps are wide enough that
 * Perfetto's rounding of microseconds to whole nanoseconds cannot make slices overlap.
 */
export const kernelEventNs = 100;

/** The trace's process for CPU n is `cpuPidBase + n` (its one thread the same id). */
export const cpuPidBase = 1000;
/** The machine's process and thread: narration, expects, events of no CPU. */
export const machinePid = 1;

type OkStep = Extract<StepResult, { ok: true }>;

/** A piece of kernel work on a CPU, drawn as one `X` slice holding its events' slices. */
interface Container {
  kind: 'switch' | 'irq' | 'ipi' | 'cmd';
  name: string;
  cat: string;
  startNs: number;
  endNs: number;
  /** The IPI call an `ipi` container runs. */
  call?: number;
  args: Args;
}

/** The IPI call a kernel event ran in, when it says (a register write's cause, an oops). */
function ipiCallOf(e: KernelEvent): number | undefined {
  if (e.what === 'access') return e.by.ipi?.call;
  if (e.what === 'null-deref') return e.ipi?.call;
  return undefined;
}

/** Events that happen at EL0 (or are the monitor's): instants, outside the kernel's slices. */
function isInstant(e: KernelEvent): boolean {
  return e.kind === 'read' || e.kind === 'sigill' || e.kind === 'finding' || e.what === 'counter-write' || e.what === 'lost';
}

const argName = (arg: number | null) => (arg === null ? 'NULL' : `mm ${arg}`);

/** The name of the slice or instant one event is drawn as. */
function eventName(e: KernelEvent): string {
  switch (e.what) {
    case 'note':
      return e.text;
    case 'switch':
      return `switch: ${e.reason}`;
    case 'access':
      return e.write;
    case 'pmselr':
      return `PMSELR_EL0 = ${e.value}`;
    case 'send':
      return `${e.how}(${e.fn}, ${argName(e.arg)})`;
    case 'take':
      return `IPI ${e.fn}(${argName(e.arg)})`;
    case 'local':
      return `${e.fn}(${argName(e.arg)}) locally`;
    case 'lost':
      return 'IPI lost: CPU halted';
    case 'wait':
      return `wait for CPUs ${e.waitingOn.join(',')}`;
    case 'count':
      return `${e.fn}: ${e.field} ${e.from} -> ${e.to}`;
    case 'lock-not-held':
      return `${e.fn}: mmap_lock not held`;
    case 'overflow':
      return `${e.counter} overflow`;
    case 'trap':
      return `${e.signal}: ${e.access} ${regName(e.reg)}`;
    case 'counter-write':
      return `${e.ignored ? 'ignored write' : 'write'} ${regName(e.reg)}`;
    case 'register':
      return `read ${regName(e.reg)} = ${e.value}`;
    case 'retry':
      return `read fd ${e.fd}: retry`;
    case 'value':
      return `read fd ${e.fd} = ${e.value}`;
    case 'fallback':
      return `read() fallback = ${e.value}`;
    case 'null-deref':
      return `Oops: NULL dereference in ${e.fn}`;
    case 'finding':
      return e.finding.code;
    case 'open':
      return e.errno ? `perf_event_open = -${e.errno}` : `perf_event_open = fd ${e.fd}`;
  }
}

/** An event's own data as args (its kind and what, step and CPU are said elsewhere). */
function eventArgs(e: LogEntry): Args {
  const { step, cpu: _cpu, kind, what: _what, ...data } = e;
  return jsonArgs({ step, kind, ...data }) as Args;
}

/** Commands that are a task's system call: their work is drawn as `syscall: COMMAND`. */
const syscalls: ReadonlySet<Command['kind']> = new Set(['open', 'open-cpu', 'close', 'close-cpu', 'mmap', 'munmap', 'reset', 'exec32', 'exec64', 'exit', 'fork', 'thread']);

/** Orders events of equal time so a slice is open before what binds to it (and ends first). */
const phaseRank: Record<Phase, number> = { M: 0, E: 1, B: 2, X: 3, i: 4, C: 5, s: 6, f: 7 };

/**
 * A register as the format's number (a double), read as signed within its width: the driver
 * presets a counter to -period_left, so its track climbs to 0, where it overflows, and a 64-bit
 * counter's value stays exact (a raw 2^64 - 2^31 would be a double 4096 wide).
 */
export function counterSample(value: bigint, width: number): number {
  return Number(BigInt.asIntN(width, value));
}

export class TraceBuilder {
  private readonly events: TraceEvent[] = [];
  private nowNs = 0;
  /** The task whose slice is open on each CPU's track, and the slice's name. */
  private readonly running: ({ pid: number; name: string } | null)[];
  private readonly cycles: bigint[];
  /** The last sample of each counter track, by `pid name`. */
  private readonly samples = new Map<string, number>();
  /** Where each IPI call was sent from: the send slice's CPU (null: the machine's track) and time. */
  private readonly sends = new Map<number, { cpu: number | null; ns: number }>();
  private findingsSeen = 0;
  private steps = 0;
  /** Events of long steps the engine's log did not keep (StepResult.dropped). */
  private dropped = 0;

  constructor(private readonly config: Config) {
    this.running = Array.from({ length: config.cpus }, () => null);
    this.cycles = Array.from({ length: config.cpus }, () => 0n);
  }

  /** Add one applied command and what it did; `world` is the world after it. */
  add(c: Command, r: OkStep, world: World): void {
    this.steps++;
    this.dropped += r.dropped;
    const cpt = Number(world.config.cyclesPerTick);
    if (c.kind === 'tick') {
      // The tick's steps are world.step - n + 1 … world.step; each gets its cycles, then its events.
      let at = world.step - c.n;
      let from = 0;
      while (from < r.events.length) {
        const step = Math.max(r.events[from]!.step, at + 1);
        let to = from;
        while (to < r.events.length && r.events[to]!.step <= step) to++;
        this.nowNs += (step - at) * cpt;
        at = step;
        this.place(c, r.events.slice(from, to), world);
        from = to;
      }
      this.nowNs += (world.step - at) * cpt;
    } else if (c.kind === 'run') {
      this.nowNs += Number(c.cycles);
      this.place(c, r.events, world);
    } else {
      this.place(c, r.events, world);
      // EL0 time the step took (a read's few cycles): the most any CPU ran.
      let ran = 0n;
      world.cpus.forEach((cpu, i) => {
        if (cpu.cycles - this.cycles[i]! > ran) ran = cpu.cycles - this.cycles[i]!;
      });
      this.nowNs += Number(ran);
    }
    world.cpus.forEach((cpu, i) => (this.cycles[i] = cpu.cycles));
    this.machineResults(c, r);
    this.reconcileTasks(world);
    this.sample(world);
  }

  /** The trace so far, every open task slice ended now, metadata first, time order. */
  finish(world: World): TraceFile {
    const end = this.nowNs + kernelEventNs;
    const events = [...this.events];
    this.running.forEach((open, cpu) => {
      if (open) events.push(this.at('E', open.name, end, cpu, { cat: 'task' }));
    });
    const order = events.map((e, i) => ({ e, i }));
    order.sort((a, b) => a.e.ts - b.e.ts || phaseRank[a.e.ph] - phaseRank[b.e.ph] || a.i - b.i);
    const design = designOf(world);
    return {
      traceEvents: [...this.metadata(), ...order.map((o) => o.e)],
      otherData: {
        tool: 'pmuplay',
        design: `${design.name}: ${design.summary}`,
        seed: this.config.seed,
        cpus: this.config.cpus,
        'cycles-per-tick': this.config.cyclesPerTick.toString(),
        clock: `simulated cycles at 1 GHz: 1 cycle = 1 ns (ts in µs = cycles / 1000); kernel work takes no cycles in the model and is drawn ${kernelEventNs} ns an event`,
        steps: world.step,
        commands: this.steps,
        findings: this.findingsSeen,
        ...(this.dropped > 0 ? { dropped: `${this.dropped} kernel events of long steps were not kept by the engine's log (${logLinesMax} a step) and are not drawn` } : {}),
        ...(end > Number.MAX_SAFE_INTEGER ? { precision: 'the clock passed 2^53 ns (104 days of simulated time): later times are rounded, and slices may touch or overlap' } : {}),
      },
    };
  }

  private at(ph: Phase, name: string, ns: number, cpu: number | null, extra: Partial<TraceEvent> = {}): TraceEvent {
    const pid = cpu === null ? machinePid : cpuPidBase + cpu;
    // A name (a say's text, a task's name) shows control characters spelled out, as everywhere
    // else; raw, JSON would carry them as \u escapes, which Perfetto cannot read before `ts`.
    return { ph, name: visible(name), ts: micros(ns), pid, tid: pid, ...extra };
  }

  private metadata(): TraceEvent[] {
    const meta = (name: string, pid: number, args: Args): TraceEvent => ({ ph: 'M', name, ts: 0, pid, tid: pid, args });
    const out = [
      meta('process_name', machinePid, { name: `pmuplay (${this.config.design}, seed ${this.config.seed})` }),
      meta('process_sort_index', machinePid, { sort_index: -1 }),
      meta('thread_name', machinePid, { name: 'narration, expects, machine events' }),
    ];
    for (let cpu = 0; cpu < this.config.cpus; cpu++) {
      const pid = cpuPidBase + cpu;
      out.push(meta('process_name', pid, { name: `CPU ${cpu}` }), meta('process_sort_index', pid, { sort_index: cpu }), meta('thread_name', pid, { name: `CPU ${cpu}: tasks and kernel work` }));
    }
    return out;
  }

  /** One step's events, one `kernelEventNs` slot each from now, in the order they happened. */
  private place(c: Command, events: readonly LogEntry[], world: World): void {
    const stacks: Container[][] = this.running.map(() => []);
    const base = this.nowNs;
    events.forEach((e, k) => this.placeOne(c, e, base + k * kernelEventNs, stacks, world));
    stacks.forEach((stack, cpu) => this.closeAll(stack, cpu));
    this.nowNs = base + events.length * kernelEventNs;
  }

  private placeOne(c: Command, e: LogEntry, t: number, stacks: Container[][], world: World): void {
    if (e.kind === 'finding') return this.finding(e, t, world);
    if (e.cpu === null || e.cpu >= stacks.length) {
      // A call sent from outside the model (a sysctl write) is a slice there, for its arrows.
      if (e.what === 'send') {
        this.events.push(this.at('X', eventName(e), t + 20, null, { dur: micros(60), cat: e.kind, args: eventArgs(e) }));
        this.sends.set(e.call, { cpu: null, ns: t + 30 });
      } else this.events.push(this.at('i', eventName(e), t + 50, null, { s: 't', cat: e.kind, args: eventArgs(e) }));
      return;
    }
    const cpu = e.cpu;
    const stack = stacks[cpu]!;
    if (isInstant(e)) {
      this.events.push(this.at('i', eventName(e), t + 50, cpu, { s: 't', cat: e.kind, args: eventArgs(e) }));
      return;
    }
    const top = stack[stack.length - 1];
    switch (e.what) {
      case 'switch':
        this.closeAll(stack, cpu);
        this.endTask(cpu, t + 2);
        if (e.to) this.beginTask(cpu, e.to.pid, e.to.name, e.to.mm, t + 6);
        stack.push(this.container('switch', eventName(e), 'sched', t, eventArgs(e)));
        return;
      case 'overflow':
        if (top?.kind !== 'irq') {
          this.closeAll(stack, cpu);
          stack.push(this.container('irq', 'PMU IRQ', 'irq', t, { step: e.step }));
        }
        break;
      case 'take':
      case 'local':
        // A local run is a call inside the caller's syscall (on_each_cpu): it nests in it.
        if (e.what === 'take' || top?.kind !== 'cmd') this.closeAll(stack, cpu);
        stack.push({ ...this.container('ipi', eventName(e), 'ipi', t, eventArgs(e)), call: e.call });
        if (e.what === 'take') this.flow(e.call, cpu, t + 15);
        return;
      default: {
        const call = ipiCallOf(e);
        // Work that is not the open container's ends it (the work after an IPI handler is the
        // command's again); a switch or an interrupt holds only register writes and hooks.
        while (stack.length > 0) {
          const k = stack[stack.length - 1]!;
          const fits = k.kind === 'cmd' || (k.kind === 'ipi' ? call === k.call : e.kind === 'sysreg' || e.kind === 'hook');
          if (fits) break;
          this.close(stack, cpu);
        }
        if (stack.length === 0) {
          const syscall = syscalls.has(c.kind);
          const name = c.kind === 'tick' ? 'scheduler_tick' : `${syscall ? 'syscall: ' : ''}${formatCommand(c)}`;
          stack.push(this.container('cmd', name, syscall ? 'syscall' : 'command', t, { command: formatCommand(c), step: e.step }));
        }
      }
    }
    const k = stack[stack.length - 1]!;
    k.endNs = Math.max(k.endNs, t + 90);
    this.events.push(this.at('X', eventName(e), t + 20, cpu, { dur: micros(60), cat: e.kind, args: eventArgs(e) }));
    if (e.what === 'send') this.sends.set(e.call, { cpu, ns: t + 30 });
  }

  private container(kind: Container['kind'], name: string, cat: string, t: number, args: Args): Container {
    return { kind, name, cat, startNs: t + 10, endNs: t + 90, args };
  }

  private close(stack: Container[], cpu: number): void {
    const k = stack.pop()!;
    this.events.push(this.at('X', k.name, k.startNs, cpu, { dur: micros(k.endNs - k.startNs), cat: k.cat, args: k.args }));
    // The enclosing work lasts at least as long as what ran inside it.
    const parent = stack[stack.length - 1];
    if (parent) parent.endNs = Math.max(parent.endNs, k.endNs + 5);
  }

  private closeAll(stack: Container[], cpu: number): void {
    while (stack.length > 0) this.close(stack, cpu);
  }

  private beginTask(cpu: number, pid: number, name: string, mm: number, ns: number): void {
    this.running[cpu] = { pid, name: `${pid} ${name}` };
    this.events.push(this.at('B', `${pid} ${name}`, ns, cpu, { cat: 'task', args: { pid, name, mm } }));
  }

  private endTask(cpu: number, ns: number): void {
    // Named and filed as the slice it ends: Perfetto matches an E to its B by both.
    const open = this.running[cpu];
    if (!open) return;
    this.running[cpu] = null;
    this.events.push(this.at('E', open.name, ns, cpu, { cat: 'task' }));
  }

  /** An arrow from the IPI's send slice to the handler that took it. */
  private flow(call: number, cpu: number, ns: number): void {
    const send = this.sends.get(call);
    if (!send) return; // its send was among the events a long step's log dropped
    const id = call * 128 + cpu;
    this.events.push(this.at('s', 'IPI', send.ns, send.cpu, { cat: 'ipi', id }), this.at('f', 'IPI', ns, cpu, { cat: 'ipi', id, bp: 'e' }));
  }

  /** A finding: an instant where it happened, with the chain `explain N` gives. */
  private finding(e: LogEntry & { kind: 'finding' }, t: number, world: World): void {
    const f = e.finding;
    const n = ++this.findingsSeen;
    const explained = explainFinding(world, n);
    const args = jsonArgs({ number: n, step: f.step, pid: f.pid, text: f.text, cause: f.cause, explanation: explained.ok ? explanationLines(explained.explanation) : explained.message }) as Args;
    const cpu = f.cpu !== null && f.cpu < this.running.length ? f.cpu : null;
    this.events.push(this.at('i', f.code, t + 50, cpu, { s: cpu === null ? 'g' : 't', cat: 'finding', args }));
  }

  /** An expect's or checkpoint's outcome (`expect read` reads first), on the machine's track. */
  private machineResults(c: Command, r: OkStep): void {
    if (!r.check) return;
    const t = this.nowNs;
    // (Narration needs nothing here: a `say` is a note of no CPU, placed with the step's events.)
    const what = c.kind === 'checkpoint' ? 'checkpoint' : formatCommand(c);
    this.events.push(this.at('i', `${r.check.passed ? 'held' : 'FAILED'}: ${what}`, t, null, { s: 't', cat: 'expect', args: { passed: r.check.passed, text: r.check.text } }));
    this.nowNs += kernelEventNs;
  }

  /** Task slices follow the world where no switch event said so (a task that exited, say). */
  private reconcileTasks(world: World): void {
    let moved = false;
    world.cpus.forEach((cpu, i) => {
      if (cpu.current === (this.running[i]?.pid ?? null)) return;
      this.endTask(i, this.nowNs + 10);
      const task = cpu.current === null ? undefined : world.tasks.get(cpu.current);
      if (task) this.beginTask(i, task.pid, task.name, task.mm, this.nowNs + 20);
      moved = true;
    });
    if (moved) this.nowNs += 30;
  }

  /** The CPUs' registers and counters, where they changed since the last sample. */
  private sample(world: World): void {
    const design = designOf(world);
    for (const cpu of world.cpus) {
      for (const [name, value] of registers(cpu, design.name)) this.counter(cpu.id, name, value);
    }
  }

  private counter(cpu: number, name: string, value: number): void {
    const key = `${cpu} ${name}`;
    let last = this.samples.get(key);
    if (last === undefined) {
      // Every track starts at 0 with the trace, where every register of the model starts.
      this.events.push(this.at('C', name, 0, cpu, { cat: 'register', args: { value: 0 } }));
      this.samples.set(key, (last = 0));
    }
    if (last === value) return;
    this.samples.set(key, value);
    this.events.push(this.at('C', name, this.nowNs, cpu, { cat: 'register', args: { value } }));
  }
}

/** A CPU's counter tracks: name and value. */
function registers(cpu: Cpu, design: string): [string, number][] {
  const out: [string, number][] = [];
  if (design === 'x86') out.push(['CR4.PCE', cpu.design['cr4_pce'] ?? 0]);
  else {
    out.push(['PMUSERENR_EL0', cpu.pmuserenr]);
    if (design === 'hardened') out.push(['PMUACR_EL1', (cpu.design['pmuacr'] ?? 0) >>> 0]);
    out.push(['PMSELR_EL0', cpu.pmselr]);
  }
  for (const c of [cpu.cycleCounter, ...cpu.counters]) out.push([regName(c.id === 31 ? { kind: 'pmccntr' } : { kind: 'pmevcntr', n: c.id }), counterSample(c.value, c.width)]);
  return out;
}
