/**
 * A seeded random workload that uses every kind of command, for the benchmark and the
 * property tests. It plays the commands as it makes them, so it names live pids and fds;
 * replaying the list into a fresh world with the same config gives the same world.
 */
import type { Command, EventType, Reg } from './command.js';
import { taskState } from './lifecycle.js';
import { firstFd } from './limits.js';
import { type PrngState, nextInt, nextU32, seedPrng } from './prng.js';
import { applyCommand } from './step.js';
import { type Config, type World, createWorld } from './world.js';

export interface WorkloadOptions {
  seed: number;
  commands: number;
  /** Live tasks the workload keeps around. */
  tasks: number;
  config: Config;
}

function pick<T>(p: PrngState, items: readonly T[]): T {
  return items[nextU32(p) % items.length]!;
}

function livePids(world: World): number[] {
  const pids: number[] = [];
  for (const t of world.tasks.values()) if (taskState(t) !== 'exited') pids.push(t.pid);
  return pids;
}

/** The fd perf_event_open will return next (the lowest free one). */
function lowestFree(fds: number[]): number {
  let fd = firstFd;
  while (fds.includes(fd)) fd++;
  return fd;
}

/** Weighted command kinds: what a session mostly does is run time and read counters. */
const kinds = [
  ...Array<string>(20).fill('tick'), ...Array<string>(14).fill('read'), ...Array<string>(8).fill('mrs'),
  ...Array<string>(4).fill('msr'), ...Array<string>(8).fill('open'), ...Array<string>(4).fill('close'),
  ...Array<string>(8).fill('mmap'), ...Array<string>(6).fill('munmap'), ...Array<string>(5).fill('migrate'),
  ...Array<string>(4).fill('switch'), ...Array<string>(3).fill('run'), 'sleep', 'sleep', 'wake', 'wake', 'wake',
  'exec32', 'exec64', 'exit', 'open-cpu', 'close-cpu', 'check', 'expect', 'say', 'race', 'lock-skip',
  'fork', 'fork', 'open-cpu-by', 'reset',
] as const;

function next(world: World, p: PrngState, opts: WorkloadOptions): Command[] {
  const pids = livePids(world);
  if (pids.length < opts.tasks) {
    if (pids.length > 0 && nextInt(p, 0, 3) === 0) return [{ kind: 'thread', pid: pick(p, pids), cpu: null }];
    return [{ kind: 'spawn', name: `t${world.nextPid}`, aarch32: nextInt(p, 0, 15) === 0, cpu: null }];
  }
  const pid = pick(p, pids);
  const task = world.tasks.get(pid)!;
  const fds = task.fds.map((e) => e.fd);
  const fd = fds.length > 0 ? pick(p, fds) : 3;
  const cpu = nextInt(p, 0, opts.config.cpus - 1);
  const event: EventType = nextInt(p, 0, 1) === 0 ? 'cycles' : 'instructions';
  switch (pick(p, kinds)) {
    case 'tick':
      return [{ kind: 'tick', n: 1 }];
    case 'run':
      return [{ kind: 'run', cycles: BigInt(nextU32(p)) }];
    case 'read': {
      // libperf's self-monitoring read: of an event counting the reader (a fork's copied fd or
      // a per-CPU event read from the wrong CPU reads another's counter: a wrong count).
      const own = task.fds.filter((e) => world.events.get(e.event)?.owner === pid).map((e) => e.fd);
      return own.length > 0 ? [{ kind: 'read', pid, fd: pick(p, own) }] : [{ kind: 'open', pid, event, user: true, is64: false, inherit: false, cloexec: false }];
    }
    case 'reset':
      return [{ kind: 'reset', pid, fd }];
    case 'mrs': {
      const regs: Reg[] = [{ kind: 'pmccntr' }, { kind: 'pmselr' }, { kind: 'pmevcntr', n: nextInt(p, 0, opts.config.counters - 1) }];
      return [{ kind: 'mrs', pid, reg: pick(p, regs) }];
    }
    case 'msr': {
      // Mostly PMSELR (the covert channel); sometimes a counter, to corrupt or to try to.
      const n = nextInt(p, 0, 7);
      const reg: Reg = n < 5 ? { kind: 'pmselr' } : n === 5 ? { kind: 'pmccntr' } : { kind: 'pmevcntr', n: nextInt(p, 0, opts.config.counters - 1) };
      return [{ kind: 'msr', pid, reg, value: reg.kind === 'pmselr' ? BigInt(nextInt(p, 0, 31)) : BigInt(nextU32(p)) }];
    }
    case 'open':
      return fds.length >= 3 ? [{ kind: 'close', pid, fd }] : [{ kind: 'open', pid, event, user: nextInt(p, 0, 3) > 0, is64: nextInt(p, 0, 3) === 0, inherit: nextInt(p, 0, 2) === 0, cloexec: nextInt(p, 0, 2) === 0 }];
    case 'close':
      return [{ kind: 'close', pid, fd }];
    case 'mmap':
      return [{ kind: 'mmap', pid, fd }];
    case 'munmap':
      return [{ kind: 'munmap', pid, fd }];
    case 'migrate':
      return [{ kind: 'migrate', pid, cpu }];
    case 'switch':
      return [{ kind: 'switch', cpu: task.cpu, pid }];
    case 'sleep':
      return [{ kind: 'sleep', pid }];
    case 'wake': {
      const asleep = pids.filter((q) => taskState(world.tasks.get(q)!) === 'blocked.sleep');
      return [{ kind: 'wake', pid: asleep.length > 0 ? pick(p, asleep) : pid }];
    }
    case 'exec32':
      return [{ kind: 'exec32', pid }];
    case 'exec64':
      return [{ kind: 'exec64', pid }];
    case 'exit':
      return [{ kind: 'exit', pid }];
    case 'open-cpu':
      return [{ kind: 'open-cpu', cpu, event, user: false, is64: false, cloexec: false, by: null }];
    case 'open-cpu-by':
      // A system-wide perf record run by a task: it opens a per-CPU event and maps it.
      return fds.length >= 3 ? [{ kind: 'close', pid, fd }] : [{ kind: 'open-cpu', cpu, event, user: false, is64: false, cloexec: nextInt(p, 0, 1) === 0, by: pid }, { kind: 'mmap', pid, fd: lowestFree(fds) }];
    case 'fork':
      return pids.length < opts.tasks + 2 ? [{ kind: 'fork', pid, cpu: nextInt(p, 0, 1) === 0 ? null : cpu }] : [{ kind: 'exit', pid }];
    case 'close-cpu':
      return [{ kind: 'close-cpu', fd: pick(p, [...world.cpuFds.keys(), 3]) }];
    case 'check':
      return [{ kind: 'check' }];
    case 'expect':
      // An expectation that holds: what the register is now (v4 reads chained events wrong,
      // and EL0 writes corrupt counts, so "no wrong count" would not).
      return [{ kind: 'expect-reg', cpu, reg: 'pmuserenr', value: world.cpus[cpu]!.pmuserenr }];
    case 'say':
      return [{ kind: 'say', text: 'workload' }];
    case 'race': {
      // Hold the IPIs of one mapping, then deliver them CPU by CPU.
      const deliver: Command[] = [];
      for (let c = 0; c < opts.config.cpus; c++) deliver.push({ kind: 'deliver', cpu: c });
      return [{ kind: 'ipi', mode: 'manual' }, { kind: 'mmap', pid, fd }, ...deliver, { kind: 'ipi', mode: 'auto' }];
    }
    default:
      return [{ kind: 'fault', name: 'mmap-lock-skip', on: nextInt(p, 0, 1) === 0 }];
  }
}

/** Make `commands` commands (rejections included: users make mistakes too). */
export function generateWorkload(opts: WorkloadOptions): Command[] {
  const world = createWorld(opts.config);
  const p = seedPrng(opts.seed);
  const out: Command[] = [];
  while (out.length < opts.commands) {
    for (const c of next(world, p, opts)) {
      if (out.length >= opts.commands) break;
      applyCommand(world, c);
      out.push(c);
    }
  }
  return out;
}
