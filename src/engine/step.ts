/**
 * One step of the world: validate the command (validate.ts), apply it the way the kernel
 * would carry it out, then let the kernel settle (finished IPI waits, woken lock waiters) and
 * let the monitor look. A command the world cannot take is a rejection value and changes
 * nothing: it is refused before any of it runs.
 */
import { type Explanation, explainFinding, explanationLines, whyCpu } from './explain.js';
import { type Command, type DesignName, findingCodes } from './command.js';
import { helpIndex, helpLines } from './commands-spec.js';
import { designOf } from './designs/index.js';
import { type KnobName, knobs } from './knobs.js';
import { hex } from './bits.js';
import { describePart, stateHash, stateParts } from './hash.js';
import { deliverOne } from './ipi.js';
import { logNote } from './log.js';
import { scanAccess } from './monitor.js';
import { type SpanContext, runCpus } from './overflow.js';
import { type ReadResult, mrs, msr, readSelf } from './read-protocol.js';
import { type Rejection, eventOf, validate } from './validate.js';
import { ensureRunning, schedulerTick } from './sched.js';
import { muxTimerTick } from './perf-sched.js';
import { cpuMode } from './lifecycle.js';
import { runTicks } from './tick-batch.js';
import { closeCpuEvent, closeTaskEvent, openCpuEvent, openTaskEvent, resetEvent } from './fds.js';
import { execTask, exitTask, mmapEvent, munmapEvent, settleKernel } from './syscalls.js';
import { forceSwitch, migrate, sleep, spawn, wake } from './tasks.js';
import { fork, thread } from './fork.js';
import { userenrName } from './sysreg.js';
import { type Finding, type LogEntry, type World, bootKnobs, resizeCounters } from './world.js';
import { ringLast } from './ring.js';

/** An `expect` or `checkpoint` outcome. */
export interface Check {
  passed: boolean;
  text: string;
}

/**
 * What a step did, as data: the command's own output (`lines`: a pid, an fd, a value), every
 * kernel event it caused and the findings among them, oldest first. A step that logs more
 * than the log keeps (limits.ts) returns the newest, and says how many it dropped.
 */
export type StepResult =
  | { ok: true; lines: string[]; events: LogEntry[]; findings: Finding[]; dropped: number; check?: Check; explanation?: Explanation }
  | { ok: false; rejection: Rejection };

function settle(world: World): string[] {
  const lines: string[] = [];
  for (let i = 0; i < world.cpus.length + 1; i++) {
    const more = settleKernel(world);
    if (more.length === 0) break;
    lines.push(...more);
  }
  scanAccess(world);
  return lines;
}

/** One scheduler tick: every CPU runs its task for cycles-per-tick cycles, then slices run down. */
function oneTick(world: World, ctx?: SpanContext): string[] {
  world.tick++;
  runCpus(world, world.config.cyclesPerTick, ctx);
  for (const cpu of world.cpus) if (cpuMode(cpu) !== 'halted') muxTimerTick(world, cpu);
  for (const cpu of world.cpus) schedulerTick(world, cpu);
  return settle(world);
}

function tick(world: World, n: number): string[] {
  // `tick N` is N steps, so it leaves the same world as N single ticks (runTicks counts them).
  const lines = runTicks(world, n, (ctx) => oneTick(world, ctx));
  return [`tick ${world.tick}`, ...lines];
}

function describeRead(r: ReadResult): string {
  if (r.kind === 'sigill') return 'SIGILL';
  if (r.kind === 'sigsegv') return 'SIGSEGV';
  if (r.kind === 'fallback') return `fallback read() = ${r.value} (${r.why})`;
  const retry = r.tries > 1 ? `, ${r.tries - 1} ${r.tries === 2 ? 'retry' : 'retries'}` : '';
  if (r.value !== r.truth) return `${r.value}${retry}; wrong: the event counted ${r.truth}, ${howFar(r.truth, r.value)}`;
  const zero = r.zeroExtended !== r.value ? `; zero extension would give ${r.zeroExtended}` : '';
  return `${r.value}${retry}${zero}`;
}

/**
 * How far a read is from the count: `2^32 below it (mod 2^64)` when it is off by a wrap a little
 * under 2^64 (a width's worth: the 6.1 offset, zero extension), else plainly `5 above it`.
 */
function howFar(truth: bigint, value: bigint): string {
  const d = BigInt.asIntN(64, truth - value);
  const size = d < 0n ? -d : d;
  const power = size > 0n && (size & (size - 1n)) === 0n;
  if (power && value > truth !== d < 0n) return `2^${size.toString(2).length - 1} ${d > 0n ? 'below' : 'above'} it (mod 2^64)`;
  return value > truth ? `${value - truth} above it` : `${truth - value} below it`;
}

function userRead(world: World, verb: string, pid: number, fd: number): ReadResult {
  const task = world.tasks.get(pid)!;
  const ev = eventOf(world, pid, fd)!;
  ensureRunning(world, task, `read by task ${pid}`);
  return readSelf(world, task, ev);
}

function setPolicy(world: World, name: string): string[] {
  const design = name as DesignName;
  if (design === world.config.design) return [`design ${name}`];
  world.config = { ...world.config, design };
  // Nothing has happened yet (validate.ts): only the CPUs and the knobs hold design state.
  const d = designOf(world);
  for (const cpu of world.cpus) {
    cpu.design = { ...d.cpuState };
    resizeCounters(cpu, world.config);
  }
  const kept = world.knobs;
  world.knobs = bootKnobs(d, world.config);
  for (const k of d.knobs) if (kept[k] !== undefined) world.knobs[k] = kept[k];
  logNote(world, null, 'info', `design ${name}: ${d.summary}`);
  return [`design ${name}`];
}

/** `sysctl perf_user_access V`, `rdpmc V`: one path for every knob; the design reacts. */
function setKnob(world: World, name: KnobName, value: number): string[] {
  const was = world.knobs[name]!;
  const spec = knobs[name];
  if (!spec.values.includes(value)) {
    // proc_dointvec_minmax (the sysctl) and x86's rdpmc store return -EINVAL; nothing changes.
    logNote(world, null, 'info', `${spec.title}: write of ${value} refused: -EINVAL`);
    return [`${spec.title}: -EINVAL (it takes ${spec.values.join(', ')}); it stays ${was}`];
  }
  world.knobs[name] = value;
  logNote(world, null, 'info', `${knobs[name].title} ${was} -> ${value}`);
  designOf(world).knobChanged?.(world, name, value, was);
  return [`${knobs[name].title} = ${value}`];
}

function setFault(world: World, name: Command & { kind: 'fault' }): string[] {
  if (name.on) world.faults.add(name.name);
  else world.faults.delete(name.name);
  if (name.name === 'cpumask-maintained') {
    // The masks become what they are under the design now: filled from the loaded mms where
    // it maintains them (x86 always does, and ignores the fault), else empty.
    for (const mm of world.mms.values()) mm.cpumask = [];
    if (designOf(world).maintainsCpumask(world)) {
      for (const cpu of world.cpus) {
        const mm = cpu.activeMm === null ? undefined : world.mms.get(cpu.activeMm);
        if (mm) mm.cpumask = [...mm.cpumask, cpu.id];
      }
    }
  }
  logNote(world, null, 'info', `fault ${name.name} ${name.on ? 'on' : 'off'}`);
  return [`fault ${name.name} ${name.on ? 'on' : 'off'}`];
}

export function findingsSummary(world: World): string[] {
  const total = [...world.findingCounts.values()].reduce((a, b) => a + b, 0);
  if (total === 0) return ['no findings'];
  const lines = [`${total} finding${total === 1 ? '' : 's'}:`];
  for (const code of findingCodes) {
    const n = world.findingCounts.get(code);
    if (n) lines.push(`  ${code}: ${n}`);
  }
  const latest = ringLast(world.findings, 5);
  // Each with its number, the one `explain N` takes.
  latest.forEach((f, i) => lines.push(`  step ${f.step}${f.cpu === null ? '' : ` cpu${f.cpu}`}: ${f.code} (#${total - latest.length + 1 + i}): ${f.text}`));
  // It lists the latest only: say how many came before them.
  if (latest.length < total) lines.push(`  … and ${total - latest.length} more before these`);
  return lines;
}

function expectation(world: World, c: Command): Check {
  switch (c.kind) {
    case 'expect-finding': {
      const n = world.findingCounts.get(c.code) ?? 0;
      return { passed: n > 0, text: `finding ${c.code}: ${n === 0 ? 'none so far' : `${n} so far`}` };
    }
    case 'expect-no-finding': {
      const n = c.code ? (world.findingCounts.get(c.code) ?? 0) : [...world.findingCounts.values()].reduce((a, b) => a + b, 0);
      return { passed: n === 0, text: `no ${c.code ?? 'finding'}: ${n === 0 ? 'none' : `${n} so far`}` };
    }
    case 'expect-reg': {
      const cpu = world.cpus[c.cpu]!;
      const actual = c.reg === 'pmuserenr' ? cpu.pmuserenr : cpu.pmselr;
      const shown = c.reg === 'pmuserenr' ? `${hex(actual)} (${userenrName(actual, cpu.design.pmuacr)})` : `${actual}`;
      return { passed: actual === c.value, text: `CPU ${c.cpu} ${c.reg} is ${shown}, expected ${c.value}` };
    }
    case 'checkpoint': {
      const now = stateHash(world);
      if (now === c.hash) return { passed: true, text: `state hash ${now}` };
      const mine = new Map(stateParts(world));
      const differ = c.parts.filter(([p, h]) => mine.get(p) !== h).map(([p]) => describePart(p));
      const what = c.parts.length === 0 ? '' : differ.length === 0 ? '; every recorded part matches (a part was added or removed)' : `; differs in ${differ.join('; ')}`;
      return { passed: false, text: `state hash ${now}, the file says ${c.hash}${what}` };
    }
    default:
      throw new Error(`engine bug: ${c.kind} is not an expectation`);
  }
}

function apply(world: World, c: Command): { lines: string[]; check?: Check; explanation?: Explanation } {
  switch (c.kind) {
    case 'spawn':
      return { lines: spawn(world, c.name, c.aarch32, c.cpu) };
    case 'thread':
      return { lines: thread(world, c.pid, c.cpu) };
    case 'fork':
      return { lines: fork(world, c.pid, c.cpu) };
    case 'open':
      return { lines: openTaskEvent(world, c.pid, c.event, c.user, c.is64, c.inherit, c.cloexec) };
    case 'open-cpu':
      return { lines: openCpuEvent(world, c.cpu, c.event, c.user, c.is64, c.by, c.cloexec) };
    case 'close':
      return { lines: closeTaskEvent(world, c.pid, c.fd) };
    case 'close-cpu':
      return { lines: closeCpuEvent(world, c.fd) };
    case 'mmap':
      return { lines: mmapEvent(world, c.pid, c.fd) };
    case 'munmap':
      return { lines: munmapEvent(world, c.pid, c.fd) };
    case 'read':
      return { lines: [describeRead(userRead(world, 'read', c.pid, c.fd))] };
    case 'reset':
      return { lines: resetEvent(world, c.pid, c.fd) };
    case 'mrs':
    case 'msr': {
      const task = world.tasks.get(c.pid)!;
      ensureRunning(world, task, `${c.kind} by task ${c.pid}`);
      return { lines: c.kind === 'mrs' ? mrs(world, task, c.reg) : msr(world, task, c.reg, c.value) };
    }
    case 'migrate':
      return { lines: migrate(world, c.pid, c.cpu) };
    case 'exec32':
    case 'exec64':
      return { lines: execTask(world, c.pid, c.kind === 'exec32' ? 'aarch32' : 'aarch64') };
    case 'exit':
      return { lines: exitTask(world, c.pid) };
    case 'sleep':
      return { lines: sleep(world, c.pid) };
    case 'wake':
      return { lines: wake(world, c.pid) };
    case 'switch':
      return { lines: forceSwitch(world, c.cpu, c.pid) };
    case 'tick':
      return { lines: tick(world, c.n) };
    case 'run':
      runCpus(world, c.cycles);
      return { lines: [`ran ${c.cycles} cycles`] };
    case 'ipi': {
      world.ipiMode = c.mode;
      const lines = [`IPIs ${c.mode}`];
      if (c.mode === 'auto') {
        for (const cpu of world.cpus) while (deliverOne(world, cpu));
      }
      return { lines };
    }
    case 'deliver': {
      const cpu = world.cpus[c.cpu]!;
      // Nothing pending is not an error: the same script runs under designs that send no IPI.
      if (!deliverOne(world, cpu)) return { lines: [`CPU ${c.cpu} has no pending IPI`] };
      return { lines: [`CPU ${c.cpu} took an IPI (${cpu.pendingIpis.length} still pending)`] };
    }
    case 'policy':
      return { lines: setPolicy(world, c.name) };
    case 'knob':
      return { lines: setKnob(world, c.knob, c.value) };
    case 'fault':
      return { lines: setFault(world, c) };
    case 'check':
      return { lines: findingsSummary(world) };
    case 'explain': {
      const r = explainFinding(world, c.n);
      if (!r.ok) throw new Error(`engine bug: validate let explain through: ${r.message}`);
      return { lines: explanationLines(r.explanation), explanation: r.explanation };
    }
    case 'why': {
      const explanation = whyCpu(world, world.cpus[c.cpu]!);
      return { lines: explanationLines(explanation), explanation };
    }
    case 'say':
      logNote(world, null, 'say', c.text);
      return { lines: [c.text] };
    case 'pause':
      return { lines: [] };
    case 'help':
      return { lines: c.topic === null ? helpIndex() : helpLines(c.topic) };
    case 'expect-finding':
    case 'expect-no-finding':
    case 'expect-reg':
    case 'checkpoint': {
      const check = expectation(world, c);
      return { lines: [], check };
    }
    case 'back':
      throw new Error('engine bug: validate lets no back through');
    case 'explore':
      return { lines: ['explore: the setup ends here; pmuplay explore FILE searches the programs that follow'] };
    case 'program':
      return { lines: [`program ${c.pid}: ${c.commands.length} command${c.commands.length === 1 ? '' : 's'} for pmuplay explore to interleave`] };
    case 'expect-read': {
      const r = userRead(world, 'expect', c.pid, c.fd);
      const want = c.outcome;
      const passed = r.kind === want.kind && (want.kind !== 'value' || (r.kind === 'value' && r.value === want.value));
      const wanted = want.kind === 'value' ? `value ${want.value}` : want.kind;
      return { lines: [], check: { passed, text: `read ${c.pid} ${c.fd}: ${describeRead(r)}, expected ${wanted}` } };
    }
  }
}

/** Commands that only look at the world (or narrate) are not steps: they change nothing. */
const observing = new Set<Command['kind']>(['check', 'explain', 'why', 'help', 'say', 'pause', 'expect-finding', 'expect-no-finding', 'expect-reg', 'checkpoint', 'explore', 'program']);

export function isObserving(c: Command): boolean {
  return observing.has(c.kind);
}

/** Apply one command. A rejection leaves the world exactly as it was: nothing ran. */
export function applyCommand(world: World, c: Command): StepResult {
  const refused = validate(world, c);
  if (refused) return { ok: false, rejection: refused };
  const logBefore = world.log.total;
  const findingsBefore = world.findings.total;
  const looks = observing.has(c.kind);
  if (!looks) world.step++;
  const { lines, check, explanation } = apply(world, c);
  const settled = c.kind === 'tick' || looks ? [] : settle(world);
  const logged = world.log.total - logBefore;
  const events = ringLast(world.log, logged);
  const result: StepResult = {
    ok: true, lines: settled.length === 0 ? lines : [...lines, ...settled], events,
    findings: ringLast(world.findings, world.findings.total - findingsBefore), dropped: logged - events.length,
  };
  if (check) result.check = check;
  if (explanation) result.explanation = explanation;
  return result;
}
