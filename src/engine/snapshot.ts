/**
 * Copying a whole world, for time travel (snapshots a session steps back to) and for anything
 * that branches. The world is plain data, so a copy is a walk over it: every object the engine
 * changes in place is copied; what it only ever replaces — lifecycle states (interned, frozen),
 * the config, grants, IPIs, counter owners, a task's parked syscall, fd entries, user pages,
 * an mm's record of what it was copied from, log entries and findings —
 * is shared. A test changes every field of a copy and checks the original did not move.
 */
import { copyRing } from './ring.js';
import type { Counter, Cpu, Mm, PerfEvent, Task, World } from './world.js';

function copyCounter(c: Counter): Counter {
  return { ...c };
}

function copyCpu(cpu: Cpu): Cpu {
  return {
    ...cpu,
    runqueue: cpu.runqueue.slice(),
    design: { ...cpu.design },
    cycleCounter: copyCounter(cpu.cycleCounter),
    counters: cpu.counters.map(copyCounter),
    pendingIpis: cpu.pendingIpis.slice(),
    boundEvents: cpu.boundEvents.slice(),
  };
}

function copyTask(task: Task): Task {
  return { ...task, fds: task.fds.slice(), perfContext: task.perfContext.slice() };
}

function copyMm(mm: Mm): Mm {
  return { ...mm, mappings: mm.mappings.slice(), cpumask: mm.cpumask.slice(), design: { ...mm.design } };
}

function copyEvent(ev: PerfEvent): PerfEvent {
  return { ...ev, maps: ev.maps.slice() };
}

function copyMap<K, V>(m: Map<K, V>, copy: (v: V) => V): Map<K, V> {
  const out = new Map<K, V>();
  for (const [k, v] of m) out.set(k, copy(v));
  return out;
}

/** A world that shares nothing the engine changes in place with `world`. */
export function copyWorld(world: World): World {
  return {
    ...world,
    prng: [...world.prng],
    cpus: world.cpus.map(copyCpu),
    tasks: copyMap(world.tasks, copyTask),
    mms: copyMap(world.mms, copyMm),
    events: copyMap(world.events, copyEvent),
    cpuFds: new Map(world.cpuFds),
    calls: copyMap(world.calls, (c) => ({ ...c, waitingOn: c.waitingOn.slice() })),
    faults: new Set(world.faults),
    knobs: { ...world.knobs },
    log: copyRing(world.log),
    findings: copyRing(world.findings),
    findingCounts: new Map(world.findingCounts),
    reported: copyMap(world.reported, (r) => ({ seq: r.seq, keys: r.keys.slice() })),
  };
}
