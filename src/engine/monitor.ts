/**
 * The security monitor: after every step it compares what each CPU allows with what the design
 * intends, and it is told of the moments a leak happens (a register read, a SIGILL, an oops, a
 * lock rule broken, a wrong count). Each finding names the step, the CPU and the task; a
 * standing condition (a task at EL0 with access it should not have) is reported once per grant.
 */
import type { FindingCode } from './command.js';
import { designOf } from './designs/design.js';
import { runsAtEl0, taskArch } from './lifecycle.js';
import { logEvent } from './log.js';
import type { Cpu, Grant, Task, World } from './world.js';
import { ringPush } from './ring.js';

export function recordFinding(
  world: World,
  code: FindingCode,
  cpu: number | null,
  pid: number | null,
  text: string,
): void {
  ringPush(world.findings, { step: world.step, code, cpu, pid, text });
  world.findingCounts.set(code, (world.findingCounts.get(code) ?? 0) + 1);
  logEvent(world, cpu, 'finding', `${code}: ${text}`);
}

type AccessCode = 'access/aarch32' | 'access/other-mm' | 'access/stale';

/** What an access condition says; built only when it is new (the check runs every step). */
function accessText(world: World, code: AccessCode, cpu: Cpu, task: Task, grant: Grant): string {
  const design = designOf(world);
  const regs = design.accessName(cpu);
  const why = `${grant.forMm === null ? `pid ${grant.forPid}` : grant.forPid === null ? `mm ${grant.forMm}` : `task ${grant.forPid} (mm ${grant.forMm})`} by ${grant.by}`;
  if (code === 'access/aarch32') return `AArch32 task ${task.pid} (${task.name}) runs at EL0 with ${regs} on CPU ${cpu.id} (granted for ${why})`;
  if (code === 'access/other-mm') return `task ${task.pid} (${task.name}, mm ${task.mm}) runs at EL0 with ${regs} on CPU ${cpu.id}, granted for ${why}`;
  return `task ${task.pid} (${task.name}, mm ${task.mm}) keeps ${regs} on CPU ${cpu.id}, granted for ${why}, though ${design.name} no longer entitles it`;
}

/** Access meant for another address space, or left over in this one. */
function forAnotherMm(grant: Grant, task: Task): boolean {
  return grant.forMm !== null ? grant.forMm !== task.mm : grant.forPid !== task.pid;
}

const accessCodes: AccessCode[] = ['access/aarch32', 'access/other-mm', 'access/stale'];

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
    if (grant === null || cpu.current === null || design.accessBits(cpu) === 0) continue;
    const task = world.tasks.get(cpu.current);
    if (!task || !runsAtEl0(cpu, task)) continue;
    const found: number[] = [];
    if (taskArch(task) === 'aarch32') found.push(0);
    if (!design.entitled(world, task)) found.push(forAnotherMm(grant, task) ? 1 : 2);
    for (const code of found) {
      const key = task.pid * 4 + code;
      if (seen?.keys.includes(key)) continue;
      if (!seen) {
        seen = { seq: grant.seq, keys: [] };
        world.reported.set(cpu.id, seen);
      }
      seen.keys.push(key);
      const c = accessCodes[code]!;
      recordFinding(world, c, cpu.id, task.pid, accessText(world, c, cpu, task, grant));
    }
  }
}
