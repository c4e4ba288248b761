/**
 * From a `.pmu` scenario to a C program (with c-runtime.ts) and the model's observations. The
 * script is played through the engine line by line; the world after each step resolves what
 * the line leaves implicit (a new task's pid and CPU, an open's fd), so the program does what
 * the model did. Lines the kernel cannot be made to do faithfully are refused, each with its
 * line and the reason.
 */
import type { Command, Reg } from '../engine/command.js';
import type { Script } from '../engine/script.js';
import { type StepResult, applyCommand } from '../engine/step.js';
import type { LogEntry } from '../engine/events.js';
import { type Config, type World, createWorld } from '../engine/world.js';
import { modelObservation } from './model.js';
import type { Observation } from './observation.js';

/** One script line as kernel-check sees it. */
export interface PlannedLine {
  line: number;
  text: string;
  command: Command;
  /** What the model showed (null: nothing to compare). */
  model: Observation | null;
  /** `expect …`: whether it held in the model. */
  modelExpect: boolean | null;
  /** Why the kernel cannot show this line (an expect on the monitor's findings, an idle CPU). */
  modelOnly: string | null;
  /** Whether the model switched the acting task out or in since its previous line (a kernel
   * switch the model did not make can republish a page or rewrite PMUSERENR_EL0). */
  modelSwitched: boolean;
}

export interface Plan {
  config: Config;
  lines: PlannedLine[];
  /** The body of `scenario()`: C statements, each under a comment with its script line. */
  c: string;
  /** Task slots the program uses (one per model task). */
  slots: number;
  /** Whether a task execs the AArch32 helper. */
  needsAarch32: boolean;
  /** The mux interval the program sets (ms): room for the most lines run with the timer armed. */
  muxMs: number;
  /** How many times the program waits for the next multiple of it (up to muxMs each). */
  muxWaits: number;
}

/** What one line costs the guest, in its own time (QEMU's icount clock), with margin: 54 ms a
 * line were measured over eleven reads (round-robin TCG hands each vCPU a slice up to the next
 * timer, and a line passes between two of them several times). A line in which the kernel
 * switches the task out has taken up to about 200 ms: then the program says `mux-early`, and a
 * row that would disagree is inconclusive and the scenario runs again (report.ts, run.ts). */
const lineMsMax = 100;
const muxMsMin = 200;

export interface Refusal {
  line: number;
  text: string;
  reason: string;
}

export const slotsMax = 32;

/** Why a command cannot run as a real program; null when it can. */
function refusalOf(c: Command): string | null {
  switch (c.kind) {
    case 'ipi':
    case 'deliver':
      return 'IPIs cannot be held pending and delivered one by one on a real kernel: the kernel sends and takes them itself';
    case 'fault':
      return `'fault ${c.name}' is a what-if about a kernel that does not exist; Linux 6.1 is what it is`;
    case 'policy':
      return c.name === 'upstream' ? null : `the kernel is Linux 6.1, whose design is upstream, not ${c.name}`;
    case 'knob':
      return c.knob === 'rdpmc' ? 'rdpmc is the x86 sysfs knob; arm64 Linux has kernel.perf_user_access' : null;
    case 'back':
      return 'back steps the model back in time; a kernel cannot';
    case 'explore':
    case 'program':
      return 'an explore scenario (per-task programs to interleave) is not a script: run the trace explore writes';
    default:
      return null;
  }
}

const modelOnlyReason = 'a judgement of the model\'s security monitor: the kernel has no such output';

function regArgs(reg: Reg): string {
  if (reg.kind === 'pmccntr') return 'REG_PMCCNTR, 0';
  if (reg.kind === 'pmselr') return 'REG_PMSELR, 0';
  return `REG_PMEVCNTR, ${reg.n}`;
}

function cString(s: string): string {
  return s.replace(/\*\//g, '* /').replace(/[^\x20-\x7e]/g, '?');
}

/**
 * Translate a parsed script. Refusals come first: when any line cannot be mapped the whole
 * file is refused (later lines depend on it), every such line named.
 */
export function translate(script: Script, config: Config): { ok: true; plan: Plan } | { ok: false; refusals: Refusal[] } {
  const refusals: Refusal[] = [];
  if (config.design !== 'upstream') {
    refusals.push({ line: 1, text: 'header', reason: `the kernel is Linux 6.1, whose design is upstream; this file runs under ${config.design} (give --policy upstream to check it as upstream)` });
  }
  for (const l of script.lines) {
    const why = refusalOf(l.command);
    if (why) refusals.push({ line: l.line, text: l.text, reason: why });
  }
  if (refusals.length > 0) return { ok: false, refusals };

  const world = createWorld(config);
  const slotOf = new Map<number, number>();
  const slot = (pid: number) => slotOf.get(pid)!;
  const out: string[] = [];
  const lines: PlannedLine[] = [];
  let needsAarch32 = false;
  const switched = new Map<number, boolean>();
  // Lines run while a mux timer is armed since the last multiple of the interval, and the most.
  let armedRun = 0;
  let armedRunMax = 0;
  let muxWaits = 0;
  for (const l of script.lines) {
    const c = l.command;
    const before = new Set(world.tasks.keys());
    const idleExpect = c.kind === 'expect-reg' ? world.cpus[c.cpu]!.current : undefined;
    const actor = c.kind === 'expect-reg' ? idleExpect ?? null : 'pid' in c && c.kind !== 'thread' && c.kind !== 'fork' ? c.pid : null;
    const armedBefore = muxArmed(world);
    const ticked = c.kind === 'tick' && armedBefore ? tickInStep(world, c.n, l.line) : null;
    const r = ticked ? ticked.result : applyCommand(world, c);
    if (!r.ok) {
      refusals.push({ line: l.line, text: l.text, reason: `the model rejects it: ${r.rejection.message}` });
      return { ok: false, refusals };
    }
    const born = [...world.tasks.keys()].filter((p) => !before.has(p));
    for (const pid of born) {
      if (slotOf.size >= slotsMax) {
        refusals.push({ line: l.line, text: l.text, reason: `more than ${slotsMax} tasks` });
        return { ok: false, refusals };
      }
      slotOf.set(pid, slotOf.size);
    }
    for (const e of r.events) {
      if (e.kind !== 'switch' || e.what !== 'switch') continue;
      if (e.from) switched.set(e.from.pid, true);
      if (e.to) switched.set(e.to.pid, true);
    }
    const modelSwitched = actor !== null && (switched.get(actor) ?? false);
    if (actor !== null) switched.set(actor, false);
    const model = modelObservation(world, c, r);
    const stmt = statement(world, c, l.line, slot, born, model);
    if (c.kind === 'exec32' || (c.kind === 'spawn' && c.aarch32)) needsAarch32 = true;
    const planned: PlannedLine = {
      line: l.line, text: l.text, command: c, model,
      modelExpect: r.check ? r.check.passed : null,
      modelOnly: c.kind === 'expect-finding' || c.kind === 'expect-no-finding' ? modelOnlyReason : null,
      modelSwitched,
    };
    if (c.kind === 'expect-reg' && idleExpect === null) planned.modelOnly = `CPU ${c.cpu} is idle in the model: no task runs there to read ${c.reg} at EL0`;
    lines.push(planned);
    if (stmt !== null && planned.modelOnly === null) {
      // The mux timer (c-runtime.ts): a line that arms it starts just after a multiple of the
      // interval; while it is armed each line checks no multiple has passed.
      const mux = armedBefore ? [`kc_mux_check(${l.line});`] : muxArmed(world) && c.kind !== 'tick' ? [`kc_mux_align(${l.line});`] : [];
      muxWaits += (ticked ? ticked.c.filter((x) => x.startsWith('kc_mux_tick')).length : 0) + (mux[0]?.startsWith('kc_mux_align') ? 1 : 0);
      if (ticked) armedRun = 0;
      else if (mux.length > 0) armedRun++;
      armedRunMax = Math.max(armedRunMax, armedRun);
      out.push(`  /* ${l.line}: ${cString(l.text)} */`, ...[...mux, ...(ticked ? ticked.c : [stmt])].map((x) => `  ${x}`));
    }
  }
  const muxMs = Math.max(muxMsMin, Math.ceil(((armedRunMax + 1) * lineMsMax) / 100) * 100);
  return { ok: true, plan: { config, lines, c: out.join('\n'), slots: slotOf.size, needsAarch32, muxMs, muxWaits } };
}

/** Whether a CPU's multiplexing timer is armed in the model (perf-sched.ts). */
function muxArmed(world: World): boolean {
  return world.cpus.some((cpu) => cpu.muxTimer);
}

/**
 * `tick N` while a mux timer is armed: one tick at a time, each a `kc_mux_tick` (the kernel's
 * timer fires once in it, as the model's does), until no timer is armed; the rest at once.
 */
function tickInStep(world: World, n: number, line: number): { result: StepResult; c: string[] } {
  const c: string[] = [];
  const events: LogEntry[] = [];
  let left = n;
  let last: StepResult | null = null;
  while (left > 0) {
    const armed = muxArmed(world);
    const now = armed ? 1 : left;
    last = applyCommand(world, { kind: 'tick', n: now });
    if (!last.ok) return { result: last, c };
    events.push(...last.events);
    c.push(armed ? `kc_mux_tick(${line}, ${world.config.cyclesPerTick}ull);` : `kc_spin_ns(${line}, ${BigInt(now) * world.config.cyclesPerTick}ull);`);
    left -= now;
  }
  return { result: last!.ok ? { ...last!, events } : last!, c };
}

/** The C statement for one step, given the world after it; null for a line with nothing to run. */
function statement(world: World, c: Command, line: number, slot: (pid: number) => number, born: number[], model: Observation | null): string | null {
  const fd = (pid: number, n: number) => `fd_of[${slot(pid)}][${n}]`;
  switch (c.kind) {
    case 'spawn':
      return `kc_spawn(${line}, ${slot(born[0]!)}, ${world.tasks.get(born[0]!)!.cpu}, ${c.aarch32 ? 1 : 0});`;
    case 'thread':
    case 'fork': {
      const child = born[0]!;
      const call = c.kind === 'thread' ? 'kc_thread' : 'kc_fork';
      // A thread shares the fd table; a fork copies it: the child's model fds name the same files.
      return `${call}(${line}, ${slot(child)}, ${slot(c.pid)}, ${world.tasks.get(child)!.cpu});\n  copy_fds(${slot(child)}, ${slot(c.pid)});`;
    }
    case 'open': {
      const flags = [c.user && 'KC_USER', c.is64 && 'KC_64BIT', c.inherit && 'KC_INHERIT', c.cloexec && 'KC_CLOEXEC'].filter(Boolean).join(' | ') || '0';
      const call = `kc_open(${line}, ${slot(c.pid)}, ${c.event === 'cycles' ? 'EV_CYCLES' : 'EV_INSTRUCTIONS'}, ${flags});`;
      return model?.what === 'open' && model.fd !== null ? `${fd(c.pid, model.fd)} = ${call}` : call;
    }
    case 'open-cpu': {
      const flags = [c.user && 'KC_USER', c.is64 && 'KC_64BIT', c.cloexec && 'KC_CLOEXEC'].filter(Boolean).join(' | ') || '0';
      const event = c.event === 'cycles' ? 'EV_CYCLES' : 'EV_INSTRUCTIONS';
      const opened = model?.what === 'open' ? model.fd : null;
      if (c.by === null) return `${opened === null ? '' : `tool_fd[${opened}] = `}kc_open_cpu_tool(${line}, ${c.cpu}, ${event}, ${flags});`;
      return `${opened === null ? '' : `${fd(c.by, opened)} = `}kc_open_cpu(${line}, ${slot(c.by)}, ${c.cpu}, ${event}, ${flags});`;
    }
    case 'close-cpu':
      return `kc_close_tool(${line}, tool_fd[${c.fd}]);`;
    case 'close':
      return `kc_close(${line}, ${slot(c.pid)}, ${fd(c.pid, c.fd)});`;
    case 'mmap':
    case 'munmap':
    case 'read':
    case 'reset':
      return `kc_${c.kind}(${line}, ${slot(c.pid)}, ${fd(c.pid, c.fd)});`;
    case 'expect-read':
      return `kc_expect_read(${line}, ${slot(c.pid)}, ${fd(c.pid, c.fd)});`;
    case 'mrs':
      return `kc_mrs(${line}, ${slot(c.pid)}, ${regArgs(c.reg)});`;
    case 'msr':
      return `kc_msr(${line}, ${slot(c.pid)}, ${regArgs(c.reg)}, ${c.value}ull);`;
    case 'migrate':
      return `kc_migrate(${line}, ${slot(c.pid)}, ${c.cpu});`;
    case 'exec32':
    case 'exec64':
    case 'exit':
    case 'sleep':
    case 'wake':
      return `kc_${c.kind}(${line}, ${slot(c.pid)});`;
    case 'switch':
      return `kc_switch(${line}, ${slot(c.pid)});`;
    case 'tick':
      return `kc_spin_ns(${line}, ${BigInt(c.n) * world.config.cyclesPerTick}ull);`;
    case 'run':
      return `kc_spin_ns(${line}, ${c.cycles}ull);`;
    case 'knob':
      return `kc_sysctl(${line}, "${c.value}");`;
    case 'expect-reg': {
      const pid = world.cpus[c.cpu]!.current;
      return pid === null ? null : `kc_expect_reg(${line}, ${slot(pid)}, ${c.reg === 'pmuserenr' ? 'REG_PMUSERENR' : 'REG_PMSELR'});`;
    }
    default:
      return null;
  }
}
