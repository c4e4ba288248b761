/**
 * What the screen shows, as plain data made from the world: the header, one pane per CPU,
 * the task table and the log. Components render it and never look at the world themselves.
 */
import { accessMarks } from '../engine/monitor.js';
import { designOf } from '../engine/designs/index.js';
import { cpuMode, mmContext, taskArch, taskState } from '../engine/lifecycle.js';
import { ownerName } from '../engine/perf.js';
import type { Counter, Cpu, LogKind, PerfEvent, World } from '../engine/world.js';
import type { LogEntry } from '../engine/events.js';
import { ringLast } from '../engine/ring.js';
import { eventText } from '../engine/events.js';

export interface CounterView {
  /** `CC` for the cycle counter, `E0`… for event counters. */
  name: string;
  owner: string | null;
  value: string;
  overflow: boolean;
  stale: boolean;
}

export interface CpuView {
  id: number;
  mode: string;
  task: string;
  mm: string;
  /** The access register as the design names it (PMUSERENR bits, or CR4.PCE). */
  accessLabel: string;
  access: string;
  granted: boolean;
  grantedFor: string;
  /** Why this CPU's access is wrong now (granted for another mm, stale, AArch32), or null. */
  warning: string | null;
  pmselr: string;
  ipis: string;
  counters: CounterView[];
  /** The counters no event uses, as ranges: `CC E1-E5`. */
  free: string;
}

export interface TaskRow {
  pid: number;
  name: string;
  arch: string;
  state: string;
  cpu: number;
  mm: number;
  events: string;
}

export interface LogLine {
  step: number;
  cpu: number | null;
  kind: LogKind;
  text: string;
  /** The tasks the line is about (the log's task filter). */
  pids: number[];
}

export interface WorldView {
  design: string;
  sysctl: string | null;
  tick: number;
  step: number;
  seed: number;
  findings: number;
  cpus: CpuView[];
  tasks: TaskRow[];
  mms: string[];
  log: LogLine[];
}

/** A count in a few characters: 1234, 12.3k, 4.1M, 2.1G, 0xffffffff80000001 stays hex. */
export function shortCount(value: bigint): string {
  if (value >= 1n << 48n) return '0x' + value.toString(16);
  const n = Number(value);
  if (n < 10_000) return String(n);
  if (n < 1e6) return `${(n / 1e3).toFixed(1)}k`;
  if (n < 1e9) return `${(n / 1e6).toFixed(1)}M`;
  if (n < 1e12) return `${(n / 1e9).toFixed(1)}G`;
  return `${(n / 1e12).toFixed(1)}T`;
}

function counterView(world: World, c: Counter, name: string): CounterView | null {
  if (c.event === null && (c.lastOwner === null || c.value === 0n)) return null;
  const ev = c.event === null ? undefined : world.events.get(c.event);
  return {
    name,
    owner: ev ? ownerName(ev) : (c.lastOwner?.label ?? null),
    value: shortCount(c.value),
    overflow: c.overflow,
    stale: c.event === null,
  };
}

/** Counter ids as ranges: [0,1,2,4] -> `E0-E2 E4`. */
export function ranges(ids: number[]): string {
  const out: string[] = [];
  for (let i = 0; i < ids.length; i++) {
    let j = i;
    while (j + 1 < ids.length && ids[j + 1] === ids[j]! + 1) j++;
    out.push(i === j ? `E${ids[i]}` : `E${ids[i]}-E${ids[j]}`);
    i = j;
  }
  return out.join(' ');
}

function modeName(cpu: Cpu): string {
  const mode = cpuMode(cpu);
  return { idle: 'idle', el0: 'EL0', syscall: 'EL1 syscall', irq: 'EL1 IRQ', ipi: 'EL1 IPI', halted: 'HALTED' }[mode];
}

function cpuView(world: World, cpu: Cpu): CpuView {
  const design = designOf(world);
  const task = cpu.current === null ? undefined : world.tasks.get(cpu.current);
  const g = cpu.grant;
  const counters: CounterView[] = [];
  const cc = counterView(world, cpu.cycleCounter, 'CC');
  if (cc) counters.push(cc);
  for (const c of cpu.counters) {
    const v = counterView(world, c, `E${c.id}`);
    if (v) counters.push(v);
  }
  const freeIds = cpu.counters.filter((c) => c.event === null).map((c) => c.id);
  const free = [cpu.cycleCounter.event === null ? 'CC' : '', ranges(freeIds)].filter(Boolean).join(' ');
  const granted = design.accessBits(cpu) !== 0;
  return {
    id: cpu.id,
    mode: modeName(cpu),
    task: task ? `${task.pid} ${task.name} ${taskArch(task) === 'aarch32' ? 'A32' : 'A64'}` : '-',
    mm: cpu.activeMm === null ? '-' : `mm${cpu.activeMm}`,
    accessLabel: design.accessLabel,
    access: design.accessName(cpu),
    granted,
    grantedFor: granted && g ? `${g.forPid !== null ? `pid ${g.forPid}` : `mm${g.forMm}`} (${g.by.fn})` : '',
    warning: granted ? accessMarks(world, cpu).map((m) => m.reason).join('; ') || null : null,
    pmselr: cpu.pmselrWriter === null ? `${cpu.pmselr}` : `${cpu.pmselr} by ${cpu.pmselrWriter}`,
    ipis: cpu.pendingIpis.length === 0 ? '-' : cpu.pendingIpis.map((i) => `${i.fn}(${i.arg === null ? 'NULL' : `mm${i.arg}`})`).join(' '),
    counters,
    free,
  };
}

/** The tasks a log line is about: those its record names, or, for a note, a task named in its
 * text (`mmap 100 3`, `task 101 …`). */
export function logPids(e: LogEntry, pids: ReadonlySet<number>): number[] {
  switch (e.kind === 'finding' ? 'finding' : e.what) {
    case 'switch':
      return e.what === 'switch' ? [e.from?.pid, e.to?.pid].filter((p): p is number => p !== undefined) : [];
    case 'finding':
      return e.kind === 'finding' && e.finding.pid !== null ? [e.finding.pid] : [];
    case 'access':
      return e.what === 'access' && e.forPid !== null ? [e.forPid] : [];
    case 'pmselr':
      return e.what === 'pmselr' && e.writer !== null ? [e.writer] : [];
    case 'wait':
      return e.what === 'wait' ? [e.caller] : [];
    case 'register':
      // A register read is about the reader and about whose count it read.
      return e.what === 'register' ? [e.pid, ...(e.owner?.pid != null ? [e.owner.pid] : [])] : [];
    case 'note':
      return e.what === 'note' ? [...e.text.matchAll(/\b\d+\b/g)].map((m) => Number(m[0])).filter((n) => pids.has(n)) : [];
  }
  return 'pid' in e && typeof e.pid === 'number' ? [e.pid] : [];
}

function stateName(s: string): string {
  return { running: 'EL0', runnable: 'ready', syscall: 'syscall', 'blocked.sleep': 'asleep', 'blocked.lock': 'mmap_lock', 'blocked.ipi': 'wait IPI', exited: 'exited' }[s] ?? s;
}

/** The log lines a screen's view holds (what PgUp can reach). */
export const logViewLines = 200;

export function viewOf(world: World, logLines: number = logViewLines): WorldView {
  const design = designOf(world);
  const tasks: TaskRow[] = [];
  for (const t of world.tasks.values()) {
    const events: string[] = [];
    const tag = (ev: PerfEvent) => `${ev.type === 'cycles' ? 'cyc' : 'ins'}${ev.boundCpu === null ? '' : `@cpu${ev.boundCpu}`}${ev.readable ? '+u' : ''}${ev.maps.length === 0 ? '' : ev.maps.length === 1 ? '+m' : `+m${ev.maps.length}`}${ev.counter === null ? '' : '*'}`;
    for (const { fd, event: id, open } of t.fds) {
      const ev = world.events.get(id);
      if (!ev) continue;
      // An fd naming an event that counts another task (a fork's copy) shows whose it is.
      const whose = ev.owner !== null && ev.owner !== t.pid ? `(${ev.owner})` : '';
      events.push(`${fd}${open ? '' : '(closed)'}:${tag(ev)}${whose}`);
    }
    // Inherited events have no fd: `i` and the fd of the event they came from.
    for (const id of t.perfContext) {
      const ev = world.events.get(id);
      if (ev && ev.parent !== null) events.push(`i${ev.fd}:${tag(ev)}`);
    }
    tasks.push({ pid: t.pid, name: t.name, arch: taskArch(t) === 'aarch32' ? 'A32' : 'A64', state: stateName(taskState(t)), cpu: t.cpu, mm: t.mm, events: events.join(' ') || '-' });
  }
  const mms: string[] = [];
  for (const mm of world.mms.values()) {
    const ctx = mmContext(mm);
    const kept = Object.entries(mm.design).map(([k, v]) => `, ${k} ${v}`).join('');
    mms.push(`mm${mm.id}: ${mm.users} users${kept}${ctx.lockHolder === null ? '' : `, mmap_lock ${ctx.lockHolder}`}${mm.cpumask.length ? `, cpumask ${mm.cpumask.join(',')}` : ''}`);
  }
  let findings = 0;
  for (const n of world.findingCounts.values()) findings += n;
  const pids = new Set(world.tasks.keys());
  return {
    design: design.name,
    sysctl: design.knobs.length === 0 ? null : design.knobs.map((k) => `${k}=${world.knobs[k]}`).join(' '),
    tick: world.tick,
    step: world.step,
    seed: world.config.seed,
    findings,
    cpus: world.cpus.map((c) => cpuView(world, c)),
    tasks,
    mms,
    log: ringLast(world.log, logLines).map((e) => ({ step: e.step, cpu: e.cpu, kind: e.kind, text: eventText(e), pids: logPids(e, pids) })),
  };
}
