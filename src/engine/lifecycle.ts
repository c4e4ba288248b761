/**
 * Lifecycle state as values. Each task, mm and CPU holds its machine's persisted snapshot
 * (`Life`): plain, frozen data that the world can copy by reference. The next state comes from
 * the machine's own transition logic (XState's pure `transition()`), memoized per state and
 * event: states are interned, so every task in the same state shares one `Life`, and after
 * the first time a transition is one map lookup. The machines in `src/machines` stay the one
 * definition of the lifecycles; nothing here knows their transitions.
 */
import { type AnyStateMachine, type EventObject, createActor, initialTransition, transition } from 'xstate';
import { type CpuEvent, type CpuMode, cpuMachine, cpuModeOf } from '../machines/cpu-machine.js';
import { type MmContext, type MmEvent, mmMachine } from '../machines/mm-machine.js';
import { type TaskArch, type TaskEvent, type TaskState, type TaskTag, taskMachine, taskStateOf } from '../machines/task-machine.js';
import { engineStats } from './stats.js';
import type { Cpu, Mm, Task } from './world.js';

/** A machine's persisted snapshot, as the world holds it. */
export interface Life<C = unknown> {
  readonly status: string;
  readonly value: unknown;
  readonly context: C;
  readonly historyValue?: unknown;
}

/** What is known of one interned state: the live snapshot, and the transitions seen so far. */
interface Known {
  snap: ReturnType<typeof initialTransition>[0];
  flat: string;
  /** Per event: the next state, or null when the machine does not take the event here. */
  next: Map<string, Life | null>;
}

const knownKey = Symbol('known');

/** Interned states kept for sharing; past this the table starts again (sharing, not correctness, is lost). */
const internedMax = 20_000;

function deepFreeze<T>(o: T): T {
  if (o !== null && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

function eventKey(e: EventObject): string {
  for (const k in e) if (k !== 'type') return JSON.stringify(e);
  return e.type;
}

class Lifecycle<C> {
  private readonly known = new WeakMap<object, Known>();
  private interned = new Map<string, Life<C>>();

  constructor(
    private readonly machine: AnyStateMachine,
    private readonly flatOf: (value: unknown) => string,
  ) {}

  private intern(snap: Known['snap']): Life<C> {
    const persisted = this.machine.getPersistedSnapshot(snap) as unknown as Life<C> & { children?: unknown };
    const { children: _children, ...plain } = persisted;
    const key = JSON.stringify(plain);
    const had = this.interned.get(key);
    if (had) return had;
    if (this.interned.size >= internedMax) this.interned = new Map();
    const entry: Known = { snap, flat: this.flatOf(plain.value), next: new Map() };
    // The memo travels with the interned value, out of sight of copies and of the hash.
    Object.defineProperty(plain, knownKey, { value: entry, enumerable: false });
    const life = deepFreeze(plain as Life<C>);
    this.interned.set(key, life);
    this.known.set(life, entry);
    return life;
  }

  private readonly initials = new Map<string, Life<C>>();

  /** The machine's initial state for `input` (computed once per input). */
  initial(input?: unknown): Life<C> {
    const key = JSON.stringify(input ?? null);
    let life = this.initials.get(key);
    if (!life) {
      life = this.intern(initialTransition(this.machine, input)[0]);
      this.initials.set(key, life);
    }
    return life;
  }

  /** A `Life` that came from elsewhere (a copy made by structuredClone, say) is resolved once. */
  private entry(life: Life<C>): Known {
    const own = (life as { [knownKey]?: Known })[knownKey];
    if (own) return own;
    const k = this.known.get(life);
    if (k) return k;
    const same = this.interned.get(JSON.stringify(life));
    if (same) {
      const entry = this.known.get(same)!;
      this.known.set(life, entry);
      return entry;
    }
    const snap = createActor(this.machine, { snapshot: { ...life, children: {} } as never, input: life.context }).getSnapshot() as Known['snap'];
    const entry = this.known.get(this.intern(snap))!;
    this.known.set(life, entry);
    return entry;
  }

  /** The state after `event`, or null when the machine does not take it in this state. */
  next(life: Life<C>, event: EventObject): Life<C> | null {
    const entry = this.entry(life);
    const key = eventKey(event);
    let to = entry.next.get(key) as Life<C> | null | undefined;
    if (to === undefined) {
      engineStats.transitionsComputed++;
      to = entry.snap.can(event) ? this.intern(transition(this.machine, entry.snap, event)[0]) : null;
      entry.next.set(key, to);
    }
    return to;
  }

  can(life: Life<C>, event: EventObject): boolean {
    return this.entry(life).snap.can(event);
  }

  hasTag(life: Life<C>, tag: string): boolean {
    return this.entry(life).snap.hasTag(tag);
  }

  flat(life: Life<C>): string {
    return this.entry(life).flat;
  }
}

export type TaskLife = Life<{ arch: TaskArch }>;
export type MmLife = Life<MmContext>;
export type CpuLife = Life<Record<string, never>>;

const tasks = new Lifecycle<{ arch: TaskArch }>(taskMachine, (v) => taskStateOf(v));
const mms = new Lifecycle<MmContext>(mmMachine, (v) => String(v));
const cpus = new Lifecycle<Record<string, never>>(cpuMachine, (v) => cpuModeOf(v));

export const initialTaskLife = (arch: TaskArch): TaskLife => tasks.initial({ arch });
export const initialMmLife = (): MmLife => mms.initial();
export const initialCpuLife = (): CpuLife => cpus.initial();

export function taskState(task: Task): TaskState {
  return tasks.flat(task.life) as TaskState;
}

export function taskArch(task: Task): TaskArch {
  return task.life.context.arch;
}

export function taskHas(task: Task, tag: TaskTag): boolean {
  return tasks.hasTag(task.life, tag);
}

/** Would the task's machine take this event now? (Rejections say why when it would not.) */
export function taskCan(task: Task, event: TaskEvent): boolean {
  return tasks.can(task.life, event);
}

export function cpuMode(cpu: Cpu): CpuMode {
  return cpus.flat(cpu.life) as CpuMode;
}

export function mmContext(mm: Mm): MmContext {
  return mm.life.context;
}

export function mmLive(mm: Mm): boolean {
  return mms.flat(mm.life) === 'live';
}

function refused(what: string, type: string): never {
  throw new Error(`engine bug: ${what} refused ${type}`);
}

/** Send an event the machine must take; a refusal is a bug in the engine. */
export function sendTask(task: Task, event: TaskEvent): void {
  engineStats.machineEvents++;
  const to = tasks.next(task.life, event);
  if (to === null) refused(`task ${task.pid}`, event.type);
  task.life = to;
}

export function sendCpu(cpu: Cpu, event: CpuEvent): void {
  engineStats.machineEvents++;
  const to = cpus.next(cpu.life, event);
  if (to === null) refused(`cpu ${cpu.id}`, event.type);
  cpu.life = to;
}

export function sendMm(mm: Mm, event: MmEvent): void {
  engineStats.machineEvents++;
  const to = mms.next(mm.life, event);
  if (to === null) refused(`mm ${mm.id}`, event.type);
  mm.life = to;
}

/** A task that is on its CPU at EL0 right now. */
export function runsAtEl0(cpu: Cpu, task: Task | undefined): boolean {
  return task !== undefined && cpu.current === task.pid && taskState(task) === 'running' && cpuMode(cpu) === 'el0';
}
