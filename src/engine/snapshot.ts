/**
 * A whole world as a value, and back: every plain field deep-copied, every task, mm and CPU
 * machine as its XState persisted snapshot (`getPersistedSnapshot`, restored with
 * `createActor(machine, { snapshot })`). Restoring gives a world whose state hash equals the
 * one saved, and a snapshot can be restored any number of times.
 */
import { type Snapshot, createActor } from 'xstate';
import { cpuMachine } from '../machines/cpu-machine.js';
import { mmMachine } from '../machines/mm-machine.js';
import { taskMachine } from '../machines/task-machine.js';
import { Ring } from './ring.js';
import type { Cpu, Finding, LogEntry, Mm, Task, World } from './world.js';

type Plain<T> = Omit<T, 'actor'>;

export interface WorldSnapshot {
  rest: Omit<World, 'cpus' | 'tasks' | 'mms' | 'log' | 'findings'>;
  cpus: Plain<Cpu>[];
  tasks: Plain<Task>[];
  mms: Plain<Mm>[];
  machines: { cpus: Snapshot<unknown>[]; tasks: Snapshot<unknown>[]; mms: Snapshot<unknown>[] };
  log: { entries: LogEntry[]; total: number };
  findings: { entries: Finding[]; total: number };
}

function plain<T extends { actor: unknown }>(o: T): Plain<T> {
  const { actor: _actor, ...rest } = o;
  return rest;
}

export function snapshotWorld(world: World): WorldSnapshot {
  const { cpus, tasks, mms, log, findings, ...rest } = world;
  const taskList = [...tasks.values()];
  const mmList = [...mms.values()];
  const copied = structuredClone({
    rest,
    cpus: cpus.map(plain),
    tasks: taskList.map(plain),
    mms: mmList.map(plain),
    machines: {
      cpus: cpus.map((c) => c.actor.getPersistedSnapshot()),
      tasks: taskList.map((t) => t.actor.getPersistedSnapshot()),
      mms: mmList.map((m) => m.actor.getPersistedSnapshot()),
    },
  });
  // Log entries and findings never change once written: sharing them is safe.
  return { ...copied, log: { entries: log.toArray(), total: log.total }, findings: { entries: findings.toArray(), total: findings.total } };
}

function ringOf<T>(capacity: number, saved: { entries: T[]; total: number }): Ring<T> {
  const ring = new Ring<T>(capacity);
  for (const e of saved.entries) ring.push(e);
  ring.total = saved.total;
  return ring;
}

export function restoreWorld(snapshot: WorldSnapshot, logCapacity: number, findingsCapacity: number): World {
  const s = structuredClone({ rest: snapshot.rest, cpus: snapshot.cpus, tasks: snapshot.tasks, mms: snapshot.mms, machines: snapshot.machines });
  const cpus: Cpu[] = s.cpus.map((c, i) => ({ ...c, actor: createActor(cpuMachine, { snapshot: s.machines.cpus[i] as never }).start() }));
  const tasks = new Map<number, Task>();
  s.tasks.forEach((t, i) => {
    const machine = s.machines.tasks[i] as unknown as { context: { arch: 'aarch64' | 'aarch32' } };
    tasks.set(t.pid, { ...t, actor: createActor(taskMachine, { snapshot: machine as never, input: { arch: machine.context.arch } }).start() });
  });
  const mms = new Map<number, Mm>();
  s.mms.forEach((m, i) => mms.set(m.id, { ...m, actor: createActor(mmMachine, { snapshot: s.machines.mms[i] as never }).start() }));
  return {
    ...s.rest,
    cpus,
    tasks,
    mms,
    log: ringOf(logCapacity, snapshot.log),
    findings: ringOf(findingsCapacity, snapshot.findings),
  };
}
