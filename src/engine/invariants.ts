/**
 * How the parts of a world must agree, checked from outside the engine (TigerBeetle's
 * `invariants()` and state checker): the engine never asks this file anything, tests ask it
 * after every step. It checks the cross-links the kernel keeps by hand — a counter and the
 * event on it, an fd table and the events it names, an event's mapping and its mm's mapping
 * list, an mm's user count and the tasks using it, run queues and the tasks' states, a CPU's
 * mode and its current task, a grant and the access register, pending IPIs and the calls
 * waiting for them, mmap_lock and the tasks holding or waiting for it, and the per-CPU caches
 * (`boundEvents`, `mm_cpumask`) against what they cache, and the perf core's rotation marks
 * against the groups left off. Each rule holds between steps, not
 * inside one; each broken rule is one line naming the objects and the link between them.
 * Only what the code guarantees is asserted: where the model differs from the obvious rule (a
 * halted CPU keeps whatever it had; an exiting task has dropped its mm before it is reaped),
 * the rule says so.
 */
import { designOf } from './designs/index.js';
import { cpuMode, mmContext, mmLive, taskHas, taskState } from './lifecycle.js';
import type { Ring } from './ring.js';
import type { TaskState } from '../machines/task-machine.js';
import { counterOf, cycleCounterId } from './pmu.js';
import { type Counter, type World, pmuWidths } from './world.js';
import { maskOf } from './bits.js';


function ctrName(c: Counter): string {
  return c.id === cycleCounterId ? 'PMCCNTR' : `PMEVCNTR${c.id}`;
}

function sameList(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function halted(world: World, cpuId: number): boolean {
  const cpu = world.cpus[cpuId];
  return cpu !== undefined && cpuMode(cpu) === 'halted';
}

function dupes(list: readonly number[]): number[] {
  return list.filter((x, i) => list.indexOf(x) !== i);
}

/** Append `value` to the list under `key`. */
function add<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** Every broken invariant of `world`, one line each; empty when all hold. */
export function checkInvariants(world: World): string[] {
  const out: string[] = [];
  const bad = (line: string) => out.push(line);
  // Each task's state, looked up once: most rules ask it.
  const states = new Map<number, TaskState>();
  for (const t of world.tasks.values()) states.set(t.pid, taskState(t));
  checkMachine(world, states, bad);
  checkCounters(world, bad);
  checkFds(world, states, bad);
  checkMappings(world, states, bad);
  checkScheduler(world, states, bad);
  checkCpuModes(world, states, bad);
  checkGrants(world, bad);
  checkIpis(world, states, bad);
  checkMmapLock(world, states, bad);
  checkBookkeeping(world, bad);
  checkRotation(world, bad);
  return out;
}

type Bad = (line: string) => void;
type States = Map<number, TaskState>;

/**
 * perf-sched.ts: on a live CPU, a context with a group left off is marked `rotate_necessary`
 * (it was set when the group stayed off, and is only cleared when the groups go on again), and
 * a marked context has the CPU's mux timer armed. A task off its CPU has its groups off and
 * no mark.
 */
function checkRotation(world: World, bad: Bad): void {
  const live = (ids: readonly number[], cpu: number) => ids.some((id) => world.events.get(id)?.activeCpu !== cpu);
  for (const cpu of world.cpus) {
    if (cpuMode(cpu) === 'halted') continue;
    const task = cpu.current === null ? undefined : world.tasks.get(cpu.current);
    if (live(cpu.boundEvents, cpu.id) && !cpu.rotate) bad(`cpu${cpu.id} has a per-CPU event off its counters but its context is not marked for rotation`);
    if (task && live(task.perfContext, cpu.id) && !task.rotate) bad(`task ${task.pid} runs on cpu${cpu.id} with an event off its counters but its context is not marked for rotation`);
    if ((cpu.rotate || task?.rotate) && !cpu.muxTimer) bad(`cpu${cpu.id} has a context marked for rotation but its mux timer is not armed`);
  }
  for (const t of world.tasks.values()) {
    const cpu = world.cpus[t.cpu];
    if (!cpu || cpu.current === t.pid || cpuMode(cpu) === 'halted') continue;
    if (t.rotate) bad(`task ${t.pid} is not running but its context is marked for rotation`);
    for (const id of t.perfContext) if (world.events.get(id)?.activeCpu != null) bad(`task ${t.pid} is not running but its event ${id} is on a counter`);
  }
}

/** Shapes: ids match their keys and positions, registers hold what their width allows. */
function checkMachine(world: World, states: States, bad: Bad): void {
  const cfg = world.config;
  if (world.cpus.length !== cfg.cpus) bad(`config.cpus is ${cfg.cpus} but the world has ${world.cpus.length} CPUs`);
  world.cpus.forEach((cpu, i) => {
    if (cpu.id !== i) bad(`cpus[${i}] has id ${cpu.id}`);
    if (cpu.counters.length !== cfg.counters) bad(`cpu${i} has ${cpu.counters.length} event counters, config.counters is ${cfg.counters}`);
    const widths = pmuWidths(cfg);
    if (cpu.cycleCounter.id !== cycleCounterId || cpu.cycleCounter.width !== widths.cycle) bad(`cpu${i} cycle counter is id ${cpu.cycleCounter.id}, ${cpu.cycleCounter.width} bits (want 31, ${widths.cycle})`);
    const width = widths.event;
    cpu.counters.forEach((c, n) => {
      if (c.id !== n) bad(`cpu${i} counters[${n}] has id ${c.id}`);
      if (c.width !== width) bad(`cpu${i} ${ctrName(c)} is ${c.width} bits, the PMU's are ${width}`);
    });
    for (const c of [cpu.cycleCounter, ...cpu.counters]) {
      if (c.value < 0n || c.value > maskOf(c.width)) bad(`cpu${i} ${ctrName(c)} holds ${c.value}, outside ${c.width} bits`);
    }
    if (!Number.isInteger(cpu.pmselr) || cpu.pmselr < 0 || cpu.pmselr > 31) bad(`cpu${i} PMSELR_EL0 is ${cpu.pmselr}, outside 0..31`);
    if (cpu.sliceLeft < 1 || cpu.sliceLeft > cfg.sliceTicks) bad(`cpu${i} sliceLeft ${cpu.sliceLeft} outside 1..${cfg.sliceTicks}`);
  });
  for (const [pid, t] of world.tasks) {
    if (t.pid !== pid) bad(`tasks[${pid}] has pid ${t.pid}`);
    if (pid >= world.nextPid) bad(`task ${pid} is not below nextPid ${world.nextPid}`);
    if (!Number.isInteger(t.cpu) || t.cpu < 0 || t.cpu >= world.cpus.length) bad(`task ${pid} is on CPU ${t.cpu}, out of range`);
    // reap.ts: an exited task is reaped at once.
    if (states.get(pid) === 'exited') bad(`task ${pid} has exited but is still in the task table`);
    if (!world.mms.has(t.mm)) bad(`task ${pid} uses mm ${t.mm}, which is not in the mm table`);
  }
  for (const [id, mm] of world.mms) {
    if (mm.id !== id) bad(`mms[${id}] has id ${mm.id}`);
    if (id >= world.nextMm) bad(`mm ${id} is not below nextMm ${world.nextMm}`);
  }
  for (const [id, ev] of world.events) {
    if (ev.id !== id) bad(`events[${id}] has id ${ev.id}`);
    if (id >= world.nextEvent) bad(`event ${id} is not below nextEvent ${world.nextEvent}`);
  }
}

/** Counter <-> event: each occupied counter names an active event that points back at it. */
function checkCounters(world: World, bad: Bad): void {
  // Where each event is held, as cpu * 32 + counter id (31 is the cycle counter).
  const holders = new Map<number, number[]>();
  const where = (code: number) => `cpu${code >> 5} ${ctrName(counterOf(world.cpus[code >> 5]!, code & 31))}`;
  for (const cpu of world.cpus) {
    for (let n = -1; n < cpu.counters.length; n++) {
      const c = n < 0 ? cpu.cycleCounter : cpu.counters[n]!;
      if (c.event === null) {
        if (c.enabled || c.counts !== null || c.irq) bad(`cpu${cpu.id} ${ctrName(c)} is free but enabled=${c.enabled} counts=${c.counts} irq=${c.irq}`);
        if (c.overflow) bad(`cpu${cpu.id} ${ctrName(c)} is free but its overflow flag is set`);
        continue;
      }
      add(holders, c.event, cpu.id * 32 + c.id);
      const ev = world.events.get(c.event);
      if (!ev) {
        bad(`cpu${cpu.id} ${ctrName(c)} holds event ${c.event}, which does not exist`);
        continue;
      }
      const high = ev.chained && ev.counter !== null && c.id === ev.counter + 1;
      if (ev.activeCpu !== cpu.id || (ev.counter !== c.id && !high)) {
        bad(`cpu${cpu.id} ${ctrName(c)} holds event ${ev.id}, but the event is on counter ${ev.counter} of cpu ${ev.activeCpu}${ev.chained ? ' (chained)' : ''}`);
        continue;
      }
      const counts = high ? 'chain' : ev.type;
      if (!c.enabled || c.counts !== counts) bad(`cpu${cpu.id} ${ctrName(c)} holds event ${ev.id} (${ev.type}) but enabled=${c.enabled} counts=${c.counts}, want counting ${counts}`);
      // The low half of a chained pair raises no interrupt; the high half and single counters do.
      const irq = !(ev.chained && !high);
      if (c.irq !== irq) bad(`cpu${cpu.id} ${ctrName(c)} holds event ${ev.id} with irq=${c.irq}, want ${irq}`);
    }
  }
  for (const ev of world.events.values()) {
    if ((ev.counter === null) !== (ev.activeCpu === null)) bad(`event ${ev.id} has counter ${ev.counter} but activeCpu ${ev.activeCpu}`);
    if (ev.chained && ev.counter === null) bad(`event ${ev.id} is chained but has no counter`);
    const held = holders.get(ev.id) ?? [];
    if (ev.counter === null || ev.activeCpu === null) {
      if (held.length > 0) bad(`event ${ev.id} is inactive but ${held.map(where).join(' and ')} hold it`);
      continue;
    }
    const cpu = world.cpus[ev.activeCpu];
    if (!cpu) {
      bad(`event ${ev.id} is active on cpu ${ev.activeCpu}, which does not exist`);
      continue;
    }
    if (ev.counter === cycleCounterId && (ev.chained || ev.type !== 'cycles')) bad(`event ${ev.id} (${ev.type}${ev.chained ? ', chained' : ''}) is on the cycle counter`);
    if (ev.counter !== cycleCounterId && !(ev.counter >= 0 && ev.counter < cpu.counters.length)) bad(`event ${ev.id} is on counter ${ev.counter}, which cpu${cpu.id} does not have`);
    if (ev.chained && (ev.counter % 2 !== 0 || ev.counter + 1 >= cpu.counters.length)) bad(`event ${ev.id} is chained from counter ${ev.counter}, not the even half of a pair`);
    if (held.length !== (ev.chained ? 2 : 1)) bad(`event ${ev.id} is active on cpu${cpu.id} counter ${ev.counter}${ev.chained ? ' (chained)' : ''} but is held by ${held.length === 0 ? 'no counter' : held.map(where).join(' and ')}`);
    // An active task-bound event counts for its task while the task is current there.
    if (ev.owner !== null) {
      const owner = world.tasks.get(ev.owner);
      if (!owner) bad(`event ${ev.id} is active on cpu${cpu.id} but its task ${ev.owner} is gone`);
      else if (owner.cpu !== cpu.id || cpu.current !== owner.pid) bad(`event ${ev.id} of task ${owner.pid} is active on cpu${cpu.id}, but the task is on cpu${owner.cpu} and cpu${cpu.id} runs ${cpu.current ?? 'nothing'}`);
    } else if (ev.activeCpu !== ev.boundCpu) bad(`per-CPU event ${ev.id} bound to cpu${ev.boundCpu} is active on cpu${ev.activeCpu}`);
  }
}

/**
 * fd tables, perf contexts and events: an fd names a live event by its number (a fork copies
 * numbers); an event's `fdRefs` counts the open fds naming it in every table, the per-CPU
 * tool's included; an event lives while an fd or a mapping holds it (an inherited one, while
 * its task's context does); a closed fd stays in a table only while its event is mapped in
 * that task's mm; a task's perf context lists the task-bound events counting it, once each.
 */
function checkFds(world: World, states: States, bad: Bad): void {
  const refs = new Map<number, number>();
  const contexts = new Map<number, number>();
  for (const t of world.tasks.values()) {
    for (const { fd, event: id, open } of t.fds) {
      const ev = world.events.get(id);
      if (!ev) {
        bad(`task ${t.pid} fd ${fd} names event ${id}, which does not exist`);
        continue;
      }
      if (ev.fd !== fd) bad(`task ${t.pid} fd ${fd} names event ${id}, which was opened as fd ${ev.fd}`);
      if (ev.parent !== null) bad(`task ${t.pid} fd ${fd} names inherited event ${id}, which has no fd`);
      if (open) refs.set(id, (refs.get(id) ?? 0) + 1);
      else if (!ev.maps.includes(t.mm)) bad(`task ${t.pid} keeps closed fd ${fd} of event ${id}, which its mm ${t.mm} does not map`);
    }
    for (const fd of new Set(dupes(t.fds.map((e) => e.fd)))) bad(`task ${t.pid} has fd ${fd} twice`);
    for (const id of new Set(dupes(t.perfContext))) bad(`task ${t.pid} perf context lists event ${id} twice`);
    for (const id of t.perfContext) {
      contexts.set(id, t.pid);
      const ev = world.events.get(id);
      if (!ev) bad(`task ${t.pid} perf context lists event ${id}, which does not exist`);
      else if (ev.owner !== t.pid) bad(`task ${t.pid} perf context lists event ${id}, which counts ${ev.owner === null ? `cpu ${ev.boundCpu}` : `task ${ev.owner}`}`);
    }
  }
  for (const [fd, id] of world.cpuFds) {
    refs.set(id, (refs.get(id) ?? 0) + 1);
    const ev = world.events.get(id);
    if (!ev) bad(`per-CPU fd ${fd} names event ${id}, which does not exist`);
    else if (ev.owner !== null || ev.openedBy !== null || ev.fd !== fd) bad(`per-CPU fd ${fd} names event ${id}, whose owner is ${ev.owner} fd ${ev.fd}, opened by ${ev.openedBy}`);
  }
  for (const ev of world.events.values()) {
    const name = `event ${ev.id}`;
    const n = refs.get(ev.id) ?? 0;
    if (ev.fdRefs !== n) bad(`${name} has fdRefs ${ev.fdRefs}, but ${n} open fds name it`);
    if ((ev.owner === null) === (ev.boundCpu === null)) bad(`${name} has owner ${ev.owner} and boundCpu ${ev.boundCpu}: exactly one must be set`);
    const inContext = contexts.get(ev.id);
    if (ev.parent !== null) {
      if (ev.openedBy !== null || ev.maps.length > 0) bad(`inherited ${name} was opened by ${ev.openedBy} or is mapped (${ev.maps.join(',')}), though no fd names it`);
      if (inContext === undefined) bad(`inherited ${name} of task ${ev.owner} is in no perf context, so nothing keeps it alive`);
    } else if (ev.fdRefs === 0 && ev.maps.length === 0) bad(`${name} has no open fd and no mapping, so nothing keeps it alive`);
    if (ev.owner === null) {
      if (inContext !== undefined) bad(`per-CPU ${name} is in task ${inContext}'s perf context`);
      const bound = ev.boundCpu === null ? undefined : world.cpus[ev.boundCpu];
      if (!bound) bad(`per-CPU ${name} is bound to cpu ${ev.boundCpu}, which does not exist`);
      if (ev.openedBy === null && ev.maps.length > 0) bad(`per-CPU ${name} of the tool outside the model is mapped in mm ${ev.maps.join(',')}`);
    } else {
      // perf_event_exit_task empties the context of a task on its way out, which may then be
      // parked in the kernel (waiting for IPIs, or stuck on a halted CPU).
      const s = states.get(ev.owner);
      const acting = s !== undefined && s !== 'syscall' && s !== 'blocked.ipi';
      if (acting && inContext !== ev.owner) bad(`${name} counts task ${ev.owner}, but is not in its perf context`);
      if (inContext === undefined && ev.counter !== null) bad(`${name} of task ${ev.owner} is in no perf context but holds a counter`);
    }
  }
}

/** Per-mm design state that counts the mm's mapped user-readable events, where a design keeps it. */
const perMmCounts = ['pmu_direct_access', 'perf_rdpmc_allowed'];

/** event.maps <-> mm.mappings (one entry per mapping each side); dead mms map nothing; users count the tasks. */
function checkMappings(world: World, states: States, bad: Bad): void {
  const count = (list: readonly number[], x: number) => list.filter((y) => y === x).length;
  for (const ev of world.events.values()) {
    for (const id of new Set(ev.maps)) {
      const mm = world.mms.get(id);
      if (!mm) {
        bad(`event ${ev.id} is mapped in mm ${id}, which does not exist`);
        continue;
      }
      const want = count(ev.maps, id);
      const n = count(mm.mappings, ev.id);
      if (n !== want) bad(`event ${ev.id} is mapped ${want} times in mm ${mm.id}, which lists it ${n} times`);
    }
  }
  // Per mm: [tasks using it, those parked in exit, those in a syscall on a halted CPU].
  const usage = new Map<number, [number, number, number]>();
  for (const t of world.tasks.values()) {
    let u = usage.get(t.mm);
    if (!u) usage.set(t.mm, (u = [0, 0, 0]));
    u[0]++;
    if (t.resume?.op === 'exit') u[1]++;
    else if (states.get(t.pid) === 'syscall' && halted(world, t.cpu)) u[2]++;
  }
  for (const mm of world.mms.values()) {
    for (const id of mm.mappings) {
      const ev = world.events.get(id);
      if (!ev) bad(`mm ${mm.id} maps event ${id}, which does not exist`);
      else if (!ev.maps.includes(mm.id)) bad(`mm ${mm.id} maps event ${id}, which says it is mapped in ${ev.maps.length === 0 ? 'no mm' : `mm ${ev.maps.join(',')}`}`);
    }
    const live = mmLive(mm);
    if (!live && mm.mappings.length > 0) bad(`dead mm ${mm.id} still maps events ${mm.mappings.join(',')}`);
    // reap.ts: a dead mm is freed once no CPU has it loaded.
    if (!live && !world.cpus.some((c) => c.activeMm === mm.id)) bad(`dead mm ${mm.id} is loaded nowhere but was not reaped`);
    if (live !== mm.users > 0) bad(`mm ${mm.id} is ${live ? 'live' : 'dead'} with ${mm.users} users`);
    // Users: the tasks using it, less those that dropped it on the way out — a task parked in
    // exit waiting for IPIs, and perhaps one stuck in a syscall on a halted CPU.
    const [tasks, exiting, stuck] = usage.get(mm.id) ?? [0, 0, 0];
    if (mm.users > tasks - exiting || mm.users < tasks - exiting - stuck) {
      bad(`mm ${mm.id} has ${mm.users} users, but ${tasks} tasks use it (${exiting} exiting${stuck ? `, ${stuck} stuck on a halted CPU` : ''})`);
    }
    // v4 and v5 count the mm's mappings of user-readable events in pmu_direct_access, x86 in
    // perf_rdpmc_allowed — on top of what a fork's dup_mm copied, which no mapping backs.
    let readable = 0;
    for (const id of mm.mappings) if (world.events.get(id)?.readable === true) readable++;
    for (const field of perMmCounts) {
      const count = mm.design[field];
      const copied = mm.copiedFrom?.design[field] ?? 0;
      if (count !== undefined && count !== readable + copied) bad(`mm ${mm.id} ${field} is ${count}, but it maps ${readable} user-readable events${copied ? ` and was copied with ${copied}` : ''}`);
    }
  }
}

/**
 * Run queues (sched.ts): a runnable task waits on its own CPU's queue and nowhere else; the
 * current task of a CPU is running or in the kernel there; sleeping and lock-blocked tasks are
 * on no CPU. No pid appears twice.
 */
function checkScheduler(world: World, states: States, bad: Bad): void {
  // Where each pid is: cpu * 2^16 + 0xffff when current there, + its queue position when queued.
  const seen = new Map<number, number>();
  const said = (code: number) => ((code & 0xffff) === 0xffff ? `current on cpu${code >>> 16}` : `queued on cpu${code >>> 16} at ${code & 0xffff}`);
  const place = (pid: number, code: number) => {
    const had = seen.get(pid);
    if (had !== undefined) bad(`task ${pid} is both ${said(had)} and ${said(code)}`);
    else seen.set(pid, code);
  };
  for (const cpu of world.cpus) {
    if (cpu.current !== null) place(cpu.current, cpu.id * 0x10000 + 0xffff);
    cpu.runqueue.forEach((pid, i) => {
      place(pid, cpu.id * 0x10000 + i);
      const t = world.tasks.get(pid);
      if (!t) bad(`cpu${cpu.id} run queue holds task ${pid}, which does not exist`);
      else if (states.get(pid) !== 'runnable') bad(`cpu${cpu.id} run queue holds task ${pid}, which is ${states.get(pid)}`);
      else if (t.cpu !== cpu.id) bad(`cpu${cpu.id} run queue holds task ${pid}, which is on cpu${t.cpu}`);
    });
    if (cpu.current !== null) {
      const t = world.tasks.get(cpu.current);
      if (!t) bad(`cpu${cpu.id} runs task ${cpu.current}, which does not exist`);
      else if (t.cpu !== cpu.id) bad(`cpu${cpu.id} runs task ${t.pid}, which is on cpu${t.cpu}`);
      else if (cpu.activeMm !== t.mm) bad(`cpu${cpu.id} runs task ${t.pid} of mm ${t.mm} with mm ${cpu.activeMm} loaded`);
    }
    if (cpu.activeMm !== null && !world.mms.has(cpu.activeMm)) bad(`cpu${cpu.id} has mm ${cpu.activeMm} loaded, which is not in the mm table`);
  }
  for (const t of world.tasks.values()) {
    const s = states.get(t.pid)!;
    const code = seen.get(t.pid);
    const where = code === undefined ? 'nowhere' : said(code);
    const current = world.cpus[t.cpu]?.current === t.pid;
    if (s === 'runnable') {
      if (code === undefined || current) bad(`task ${t.pid} is runnable but on no run queue (${where})`);
    } else if (s === 'running' || s === 'syscall' || s === 'blocked.ipi') {
      if (!current) bad(`task ${t.pid} is ${s} but not current on its cpu${t.cpu} (${where})`);
    } else if (code !== undefined) bad(`task ${t.pid} is ${s} but ${where}`);
  }
}

/**
 * CPU mode <-> current task: at EL0 a task runs; in a syscall its task is in the kernel; idle,
 * nothing is current. Interrupt and IPI handlers return within the step. A halted CPU keeps
 * whatever task it halted under, in whatever state.
 */
function checkCpuModes(world: World, states: States, bad: Bad): void {
  for (const cpu of world.cpus) {
    const mode = cpuMode(cpu);
    const s = cpu.current === null ? null : states.get(cpu.current) ?? null;
    const name = () => `cpu${cpu.id} (${mode}${s ? `, task ${cpu.current} ${s}` : cpu.current === null ? ', no task' : ''})`;
    switch (mode) {
      case 'halted':
        break;
      case 'irq':
      case 'ipi':
        bad(`${name()} is still in a handler between steps`);
        break;
      case 'idle':
        if (cpu.current !== null) bad(`${name()} is idle with a current task`);
        break;
      case 'el0':
        if (s !== 'running') bad(`${name()} is at EL0 but its task is not running`);
        break;
      case 'syscall':
        if (s !== 'syscall' && s !== 'blocked.ipi') bad(`${name()} is in a syscall but its task is not in the kernel`);
        break;
    }
  }
}

/**
 * A grant records on whose behalf EL0 access stands: sysreg.ts `regrant` sets it on every
 * write that turns access on and clears it on every write that turns it off, so it is non-null
 * exactly while the design's access register (PMUSERENR_EL0, or CR4.PCE under x86) is non-zero.
 */
function checkGrants(world: World, bad: Bad): void {
  const design = designOf(world);
  const seqs = new Map<number, number>();
  for (const cpu of world.cpus) {
    const bits = design.accessBits(cpu);
    if ((cpu.grant !== null) !== (bits !== 0)) bad(`cpu${cpu.id} access is ${design.accessName(cpu)} under ${design.name} ${cpu.grant ? `but it holds grant ${cpu.grant.seq} (${cpu.grant.by})` : 'but it holds no grant'}`);
    if (cpu.grant === null) continue;
    if (cpu.grant.seq > world.grantSeq) bad(`cpu${cpu.id} grant ${cpu.grant.seq} is newer than grantSeq ${world.grantSeq}`);
    const other = seqs.get(cpu.grant.seq);
    if (other !== undefined) bad(`cpu${cpu.id} and cpu${other} hold the same grant ${cpu.grant.seq}`);
    seqs.set(cpu.grant.seq, cpu.id);
  }
}

/** Pending IPIs <-> calls: a call waits on exactly the CPUs holding its IPI, once each. */
function checkIpis(world: World, states: States, bad: Bad): void {
  const callsBy = new Map<number, number>();
  for (const cpu of world.cpus) {
    if (cpuMode(cpu) === 'halted' && cpu.pendingIpis.length > 0) bad(`halted cpu${cpu.id} holds ${cpu.pendingIpis.length} pending IPIs`);
    if (world.ipiMode === 'auto' && cpu.pendingIpis.length > 0) bad(`cpu${cpu.id} holds pending IPIs under ipi auto`);
    for (const ipi of cpu.pendingIpis) {
      const call = world.calls.get(ipi.call);
      if (!call) bad(`cpu${cpu.id} holds an IPI of call ${ipi.call}, which no longer waits`);
      else if (!call.waitingOn.includes(cpu.id)) bad(`cpu${cpu.id} holds an IPI of call ${ipi.call}, which does not wait on it`);
    }
    for (const id of new Set(dupes(cpu.pendingIpis.map((i) => i.call)))) bad(`cpu${cpu.id} holds call ${id}'s IPI more than once`);
  }
  for (const [id, call] of world.calls) {
    if (call.id !== id) bad(`calls[${id}] has id ${call.id}`);
    if (id >= world.nextCall) bad(`call ${id} is not below nextCall ${world.nextCall}`);
    if (call.waitingOn.length === 0) bad(`call ${id} waits on no CPU but was not dropped`);
    for (const c of new Set(dupes(call.waitingOn))) bad(`call ${id} waits on cpu${c} twice`);
    for (const c of call.waitingOn) {
      const cpu = world.cpus[c];
      if (!cpu) bad(`call ${id} waits on cpu ${c}, which does not exist`);
      else if (!cpu.pendingIpis.some((i) => i.call === id)) bad(`call ${id} waits on cpu${c}, which holds no IPI of it`);
    }
    if (call.caller !== null) {
      callsBy.set(call.caller, (callsBy.get(call.caller) ?? 0) + 1);
      const t = world.tasks.get(call.caller);
      if (!t) bad(`call ${id} was made by task ${call.caller}, which is gone`);
      else if (states.get(t.pid) !== 'blocked.ipi' && !halted(world, t.cpu)) bad(`call ${id} was made by task ${t.pid}, which is ${states.get(t.pid)} instead of waiting for it`);
    }
  }
  for (const t of world.tasks.values()) {
    const waiting = states.get(t.pid) === 'blocked.ipi';
    // settleKernel finishes the syscall once the last IPI is taken — unless its CPU halted under it.
    if (waiting && !callsBy.has(t.pid) && !halted(world, t.cpu)) bad(`task ${t.pid} waits for IPIs but no call of its is pending`);
    if (waiting !== (t.resume !== null)) bad(`task ${t.pid} is ${states.get(t.pid)} with resume ${JSON.stringify(t.resume)}`);
  }
}

/** mmap_lock: the holder is inside (or finishing) its mmap or munmap; waiters are blocked on it. */
function checkMmapLock(world: World, states: States, bad: Bad): void {
  const waiting = new Map<number, number>();
  for (const mm of world.mms.values()) {
    const { lockHolder, lockWaiters } = mmContext(mm);
    if (lockHolder === null && lockWaiters.length > 0) bad(`mm ${mm.id} mmap_lock is free but tasks ${lockWaiters.join(',')} wait for it`);
    for (const pid of lockWaiters) {
      if (waiting.has(pid)) bad(`task ${pid} waits for mmap_lock of mm ${mm.id} and of mm ${waiting.get(pid)}`);
      waiting.set(pid, mm.id);
      const t = world.tasks.get(pid);
      if (!t) bad(`mm ${mm.id} mmap_lock waiter ${pid} is gone`);
      else if (states.get(pid) !== 'blocked.lock' || t.mm !== mm.id || t.deferred === null) bad(`mm ${mm.id} mmap_lock waiter ${pid} is ${states.get(pid)} in mm ${t.mm} with deferred ${JSON.stringify(t.deferred)}`);
    }
    if (lockHolder !== null) {
      const t = world.tasks.get(lockHolder);
      if (!t) bad(`mm ${mm.id} mmap_lock is held by task ${lockHolder}, which is gone`);
      else if (t.mm !== mm.id) bad(`mm ${mm.id} mmap_lock is held by task ${t.pid} of mm ${t.mm}`);
      // Held through a syscall that waits or is stuck, or handed to a woken waiter that has yet to run.
      else if (!taskHas(t, 'in-kernel') && t.deferred === null) bad(`mm ${mm.id} mmap_lock is held by task ${t.pid}, which is ${states.get(t.pid)} and finishing no mmap or munmap`);
      if (lockWaiters.includes(lockHolder)) bad(`mm ${mm.id} mmap_lock holder ${lockHolder} also waits for it`);
    }
  }
  for (const t of world.tasks.values()) {
    const s = states.get(t.pid);
    if (s === 'blocked.lock' && waiting.get(t.pid) !== t.mm) bad(`task ${t.pid} is blocked on mmap_lock but not queued on its mm ${t.mm}`);
    if (t.deferred === null && t.resume === null) continue;
    const own = world.mms.get(t.mm);
    const holds = own !== undefined && mmContext(own).lockHolder === t.pid;
    // A woken waiter was handed the lock by up_write() and finishes its syscall when it runs.
    if (t.deferred !== null && s !== 'blocked.lock' && !holds) {
      bad(`task ${t.pid} has a deferred ${t.deferred.op} but is ${s} and does not hold mmap_lock of mm ${t.mm}`);
    }
    if (t.resume && 'unlock' in t.resume && t.resume.unlock && !holds) {
      bad(`task ${t.pid} will release mmap_lock of mm ${t.mm} when its ${t.resume.op} ends, but does not hold it`);
    }
  }
}

function checkRing<T>(name: string, ring: Ring<T>, bad: Bad): void {
  const kept = Math.min(ring.total, ring.capacity);
  if (ring.items.length !== kept) bad(`${name} ring keeps ${ring.items.length} entries of ${ring.total} (capacity ${ring.capacity})`);
  if (ring.start !== 0 && (ring.items.length < ring.capacity || ring.start >= ring.capacity)) bad(`${name} ring starts at ${ring.start} with ${ring.items.length} of ${ring.capacity}`);
}

/** Caches and counts that restate other state: per-CPU bound lists, mm_cpumask, the monitor's books. */
function checkBookkeeping(world: World, bad: Bad): void {
  const bound = new Map<number, number[]>();
  for (const ev of world.events.values()) if (ev.boundCpu !== null) add(bound, ev.boundCpu, ev.id);
  for (const cpu of world.cpus) {
    const want = bound.get(cpu.id) ?? [];
    if (!sameList([...cpu.boundEvents].sort((a, b) => a - b), want)) bad(`cpu${cpu.id} boundEvents is [${cpu.boundEvents.join(',')}] but its per-CPU events are [${want.join(',')}]`);
  }
  const maintained = designOf(world).maintainsCpumask(world);
  const loadedOn = new Map<number, number[]>();
  if (maintained) for (const c of world.cpus) if (c.activeMm !== null) add(loadedOn, c.activeMm, c.id);
  for (const mm of world.mms.values()) {
    const loaded = loadedOn.get(mm.id) ?? [];
    if (!sameList(mm.cpumask, loaded)) bad(`mm ${mm.id} cpumask is [${mm.cpumask.join(',')}], want [${loaded.join(',')}] (${maintained ? 'the CPUs that have it loaded' : 'not maintained'})`);
  }
  checkRing('log', world.log, bad);
  checkRing('findings', world.findings, bad);
  let counted = 0;
  for (const n of world.findingCounts.values()) counted += n;
  if (counted !== world.findings.total) bad(`findingCounts add up to ${counted} but ${world.findings.total} findings were recorded`);
  for (const [cpuId, seen] of world.reported) {
    const cpu = world.cpus[cpuId];
    if (!cpu) bad(`reported names cpu ${cpuId}, which does not exist`);
    else if (cpu.grant?.seq !== seen.seq) bad(`cpu${cpuId} reported conditions under grant ${seen.seq}, but its grant is ${cpu.grant?.seq ?? 'none'}`);
    if (seen.keys.length === 0) bad(`cpu${cpuId} reported entry has no conditions`);
    for (const k of new Set(dupes(seen.keys))) bad(`cpu${cpuId} reported condition ${k} twice`);
  }
}

/** An assertion for tests and tools: throw, naming every broken invariant and `after()` (what was just done). */
export function assertInvariants(world: World, after: () => string): void {
  const broken = checkInvariants(world);
  if (broken.length > 0) throw new Error(`invariants broken ${after()}:\n  ${broken.join('\n  ')}`);
}
