/**
 * The security monitor: after every step it compares what each CPU allows with what the design
 * intends, and it is told of the moments a leak happens (a register read, a SIGILL, an oops, a
 * lock rule broken, a wrong count). Each finding names the step, the CPU and the task; a
 * standing condition (a task at EL0 with access it should not have) is reported once per grant.
 */
import type { FindingCode } from './command.js';
import { designOf } from './designs/index.js';
import { runsAtEl0, taskArch } from './lifecycle.js';
import { logEvent } from './log.js';
import type { World } from './world.js';

export function recordFinding(
  world: World,
  code: FindingCode,
  cpu: number | null,
  pid: number | null,
  text: string,
): void {
  world.findings.push({ step: world.step, code, cpu, pid, text });
  world.findingCounts.set(code, (world.findingCounts.get(code) ?? 0) + 1);
  logEvent(world, cpu, 'finding', `${code}: ${text}`);
}

/** Check every CPU running a task at EL0 against the design's intent. */
export function scanAccess(world: World): void {
  const design = designOf(world);
  const standing = new Set<string>();
  const once = (key: string, code: FindingCode, cpu: number, pid: number, text: string) => {
    standing.add(key);
    if (!world.reported.has(key)) recordFinding(world, code, cpu, pid, text);
  };
  for (const cpu of world.cpus) {
    const grant = cpu.grant;
    if (grant === null || cpu.current === null) continue;
    const task = world.tasks.get(cpu.current);
    if (!task || !runsAtEl0(cpu, task)) continue;
    const bits = design.accessBits(cpu);
    if (bits === 0) continue;
    const regs = design.accessName(bits);
    const why = `${grant.forMm === null ? `pid ${grant.forPid}` : `mm ${grant.forMm}`} by ${grant.by}`;
    if (taskArch(task) === 'aarch32') {
      once(`aarch32:${cpu.id}:${task.pid}:${grant.seq}`, 'access/aarch32', cpu.id, task.pid,
        `AArch32 task ${task.pid} (${task.name}) runs at EL0 with ${regs} on CPU ${cpu.id} (granted for ${why})`);
    }
    if (design.entitled(world, task)) continue;
    const forOther = grant.forMm !== task.mm && grant.forPid !== task.pid;
    if (forOther) {
      once(`other:${cpu.id}:${task.pid}:${grant.seq}`, 'access/other-mm', cpu.id, task.pid,
        `task ${task.pid} (${task.name}, mm ${task.mm}) runs at EL0 with ${regs} on CPU ${cpu.id}, granted for ${why}`);
    } else {
      once(`stale:${cpu.id}:${task.pid}:${grant.seq}`, 'access/stale', cpu.id, task.pid,
        `task ${task.pid} (${task.name}, mm ${task.mm}) keeps ${regs} on CPU ${cpu.id} though its mm maps no readable event (granted for ${why})`);
    }
  }
  // A condition stays reported while the grant it was found under is still in force, so a
  // task switched out and back in under the same grant is not reported twice.
  for (const key of world.reported) {
    const [, cpu, , seq] = key.split(':');
    if (world.cpus[Number(cpu)]?.grant?.seq === Number(seq)) standing.add(key);
  }
  world.reported = standing;
}
