/**
 * The security monitor: the one place facts become findings. The kernel and the hardware emit
 * facts (events.ts) — an EL0 register read or counter write, a SIGILL, a read's result, a hook
 * run without `mmap_lock`, a NULL dereference — and the monitor judges each as it happens; after every
 * step it also compares what each CPU allows with what the design intends. Each finding names
 * the step, the CPU, the task, and its cause as data. A standing condition (a task at EL0 with
 * access it should not have) is reported once per grant.
 */
import type { FindingCode } from './command.js';
import { designOf } from './designs/design.js';
import { type Finding, type FindingCause, type Grant, type LogEntry, regName } from './events.js';
import { runsAtEl0, taskArch } from './lifecycle.js';
import { ringPush } from './ring.js';
import type { Cpu, Task, World } from './world.js';

function record(world: World, code: FindingCode, cpu: number | null, pid: number | null, text: string, cause: FindingCause): void {
  const finding: Finding = { step: world.step, code, cpu, pid, text, cause };
  ringPush(world.findings, finding);
  world.findingCounts.set(code, (world.findingCounts.get(code) ?? 0) + 1);
  ringPush(world.log, { kind: 'finding', what: 'finding', finding, step: world.step, cpu });
}

/** Judge one fact as the kernel emits it. */
export function observe(world: World, e: LogEntry): void {
  switch (e.what) {
    case 'trap': {
      const cpu = world.cpus[e.cpu!]!;
      const task = world.tasks.get(e.pid)!;
      const design = designOf(world);
      // The designs promise reads; no design promises EL0 writes.
      if (e.access === 'read' && design.promises(world, cpu, task, e.reg)) {
        record(world, 'access/denied', cpu.id, e.pid, `task ${e.pid} got ${e.signal} on ${regName(e.reg)}, which design ${design.name} promised it could read`,
          { kind: 'denied', pid: e.pid, reg: regName(e.reg), access: e.regs });
      }
      return;
    }
    case 'register': {
      if (e.reg.kind === 'pmselr') {
        if (e.pmselrWriter !== null && e.pmselrWriter !== e.pid) {
          record(world, 'leak/pmselr', e.cpu, e.pid, `task ${e.pid} read PMSELR_EL0 = ${e.value} on CPU ${e.cpu}, written by task ${e.pmselrWriter}`,
            { kind: 'pmselr', pid: e.pid, value: Number(e.value), writer: e.pmselrWriter });
        }
        return;
      }
      if (e.owner === null || e.owner.pid === e.pid) return;
      const whose = e.owner.pid === null ? `per-CPU event ${e.owner.label}` : `event ${e.owner.label} of task ${e.owner.pid}`;
      const name = e.reg.kind === 'pmccntr' ? 'PMCCNTR' : `PMEVCNTR${e.reg.n}`;
      record(world, 'leak/counter', e.cpu, e.pid, `task ${e.pid} read ${name} on CPU ${e.cpu}: ${e.live ? 'the live count of' : 'a value left by'} ${whose}`,
        { kind: 'counter', pid: e.pid, counter: name, live: e.live, owner: e.owner });
      return;
    }
    case 'counter-write': {
      // Writing one's own counter is the task's business (its own later read may be a
      // read/wrong-count); writing a counter another event is using corrupts that count.
      if (e.ignored || e.owner === null || e.owner.pid === e.pid) return;
      const whose = e.owner.pid === null ? `per-CPU event ${e.owner.label}` : `event ${e.owner.label} of task ${e.owner.pid}`;
      const name = regName(e.reg).replace('_EL0', '');
      record(world, 'write/counter', e.cpu, e.pid, `task ${e.pid} wrote ${e.value} to ${name} on CPU ${e.cpu}, the live count of ${whose} (it held ${e.was})`,
        { kind: 'write', pid: e.pid, counter: name, value: `${e.value}`, was: `${e.was}`, owner: e.owner });
      return;
    }
    case 'value':
      if (e.value !== e.truth) {
        record(world, 'read/wrong-count', e.cpu, e.pid, `task ${e.pid} read ${e.value} from fd ${e.fd}, but the event counted ${e.truth}`,
          { kind: 'wrong-count', pid: e.pid, fd: e.fd, value: `${e.value}`, truth: `${e.truth}` });
      }
      return;
    case 'lock-not-held':
      record(world, 'lockdep/mmap-lock', e.cpu, e.pid, `${e.fn}: mmap_lock of mm ${e.mm} not held for write by task ${e.pid}`,
        { kind: 'lock', fn: e.fn, mm: e.mm, pid: e.pid, holder: e.holder });
      return;
    case 'null-deref':
      record(world, 'oops/null-deref', e.cpu, e.pid, `${e.fn}(NULL) dereferenced its argument on CPU ${e.cpu}`, { kind: 'null-deref', fn: e.fn, ipi: e.ipi });
      return;
    default:
      return;
  }
}

type AccessCode = 'access/aarch32' | 'access/other-mm' | 'access/stale';

function grantText(grant: Grant): string {
  const whom = grant.forMm === null ? `pid ${grant.forPid}` : grant.forPid === null ? `mm ${grant.forMm}` : `task ${grant.forPid} (mm ${grant.forMm})`;
  return `${whom} by ${grant.by.fn}`;
}

/** What an access condition says; built only when it is new (the check runs every step). */
function accessText(world: World, code: AccessCode, cpu: Cpu, task: Task, grant: Grant): string {
  const design = designOf(world);
  const regs = design.accessName(cpu);
  const why = grantText(grant);
  if (code === 'access/aarch32') return `AArch32 task ${task.pid} (${task.name}) runs at EL0 with ${regs} on CPU ${cpu.id} (granted for ${why})`;
  if (code === 'access/other-mm') return `task ${task.pid} (${task.name}, mm ${task.mm}) runs at EL0 with ${regs} on CPU ${cpu.id}, granted for ${why}`;
  // A fork's child: dup_mm copied the per-mm state, not the mappings behind it.
  const from = world.mms.get(task.mm)?.copiedFrom;
  const copied = from && grant.forMm === task.mm ? ` (mm ${task.mm} is a fork's copy of mm ${from.mm}: its per-mm state came without the mappings)` : '';
  return `task ${task.pid} (${task.name}, mm ${task.mm}) keeps ${regs} on CPU ${cpu.id}, granted for ${why}, though ${design.name} no longer entitles it${copied}`;
}

/** Access meant for another address space, or left over in this one. */
function forAnotherMm(grant: Grant, task: Task): boolean {
  return grant.forMm !== null ? grant.forMm !== task.mm : grant.forPid !== task.pid;
}

const accessCodes: AccessCode[] = ['access/aarch32', 'access/other-mm', 'access/stale'];

/** The access conditions standing on the CPU now (indexes into `accessCodes`), and the task. */
function accessNow(world: World, cpu: Cpu): { task: Task; found: number[] } | null {
  const design = designOf(world);
  const grant = cpu.grant;
  if (grant === null || cpu.current === null || design.accessBits(cpu) === 0) return null;
  const task = world.tasks.get(cpu.current);
  if (!task || !runsAtEl0(cpu, task)) return null;
  const aarch32 = taskArch(task) === 'aarch32';
  const entitled = design.entitled(world, task);
  if (!aarch32 && entitled) return null;
  const found: number[] = [];
  if (aarch32) found.push(0);
  if (!entitled) found.push(forAnotherMm(grant, task) ? 1 : 2);
  return { task, found };
}

/**
 * What is wrong with the CPU's access right now, for the screen: the standing conditions
 * (`access/other-mm` and the mm it was granted for, `access/stale`, `access/aarch32`), or [].
 */
export function accessMarks(world: World, cpu: Cpu): { code: AccessCode; reason: string }[] {
  const now = accessNow(world, cpu);
  if (now === null || cpu.grant === null) return [];
  const g = cpu.grant;
  // Short: a CPU pane is about 38 columns wide at 120.
  const whom = g.forMm !== null ? `mm${g.forMm}` : `pid ${g.forPid}`;
  const runs = g.forMm !== null ? `mm${now.task.mm}` : `pid ${now.task.pid}`;
  return now.found.map((i) => {
    const code = accessCodes[i]!;
    const reason = code === 'access/aarch32' ? 'AArch32 task' : code === 'access/other-mm' ? `for ${whom}, not ${runs}` : `stale (for ${whom})`;
    return { code, reason };
  });
}

/**
 * Check every CPU running a task at EL0 against the design's intent. A condition is reported
 * when it begins and stays reported while the grant it was found under is in force (per CPU:
 * the grant's seq and the pid*4+code keys seen under it), so a task switched out and back in
 * under the same grant is not reported twice. Runs every step: it allocates only on news.
 */
export function scanAccess(world: World): void {
  const design = designOf(world);
  for (const cpu of world.cpus) {
    const grant = cpu.grant;
    let seen = world.reported.get(cpu.id);
    if (seen && seen.seq !== grant?.seq) {
      world.reported.delete(cpu.id);
      seen = undefined;
    }
    const now = accessNow(world, cpu);
    if (now === null || grant === null) continue;
    const { task, found } = now;
    for (const code of found) {
      const key = task.pid * 4 + code;
      if (seen?.keys.includes(key)) continue;
      if (!seen) {
        seen = { seq: grant.seq, keys: [] };
        world.reported.set(cpu.id, seen);
      }
      seen.keys.push(key);
      const c = accessCodes[code]!;
      record(world, c, cpu.id, task.pid, accessText(world, c, cpu, task, grant),
        { kind: 'access', pid: task.pid, mm: task.mm, cpu: cpu.id, access: design.accessName(cpu), grant });
    }
  }
}
