/**
 * The half of `pmuplay explore`'s search that holds worlds (explore.ts is the half that
 * decides): an Expander keeps the states it was given, expands one when asked — every choice
 * the scenario leaves open in it (which program runs its next command, which CPU takes its
 * oldest pending IPI, and, bounded, `__schedule` switching a CPU to another task, a migration,
 * a scheduler tick), each applied to its own copy of the world by `applyCommand` — and reports
 * what each choice led to as plain data: the child's fingerprint, the choice, the findings of
 * the step. It keeps the children until the deciding half says which are new states.
 *
 * One Expander runs in the search's own thread; more run in worker threads
 * (explore-parallel.ts), each holding its share of a layer. A state can move to another
 * Expander as its path: the choices from the start, replayed (`adopt`), since the engine is
 * deterministic and the same commands give the same world.
 */
import type { Command } from './command.js';
import type { Scenario } from './explore-scenario.js';
import { stateHash } from './hash.js';
import { newRing } from './ring.js';
import { copyWorld } from './snapshot.js';
import { applyCommand } from './step.js';
import { validate } from './validate.js';
import { createWorld, type Finding, type Ipi, type World } from './world.js';

/** One state held: its world, each program's position, and the bounded choices used. */
export interface Node {
  world: World;
  pos: number[];
  switches: number;
  migrations: number;
  ticks: number;
}

/** Which kind of choice: a program's index (0 and up), or one of these. */
export const choiceIpi = -1;
export const choiceSwitch = -2;
export const choiceMigrate = -3;
export const choiceTick = -4;

/** A program command the world rejected in a state: the program, its position, and why. */
export interface Refusal {
  program: number;
  pos: number;
  why: string;
}

/** What one choice led to. */
export interface ChildResult {
  /** The child's fingerprint (see `fingerprint`). */
  key: string;
  choice: Command;
  program: number;
  /** A program's choice: that program's position after it. */
  pos: number;
  /** The step's findings, as the monitor reported them. */
  findings: Finding[];
  /** Asked for children at the depth bound: whether it has choices left, and what it refused. */
  bound?: { open: boolean; refusals: Refusal[] };
}

/** What expanding one state gave: the program commands it refused (in order), then each child. */
export interface Expansion {
  refusals: Refusal[];
  children: ChildResult[];
}

/** Log lines a search world keeps: a step's findings come from its result, and nothing reads the log back. */
const searchLogLines = 64;

/** A grant as a fingerprint sees it: its seq renumbered, and no clock or cause (only explain and finding texts read them). */
type GrantIn = NonNullable<World['cpus'][number]['grant']>;

/**
 * A state's fingerprint: its world's state hash over what decides what happens next, then
 * each program's position and the bounded choices used. Left out or renumbered, so that two
 * orders of the same commands meet again:
 * - the clock (step and tick), and the step each grant records;
 * - why each grant was made (its cause: which switch or IPI wrote it) and how often each
 *   finding code was reported (the search keeps its own record of what it found);
 * - the numbering of grants and of cross-CPU calls: the engine numbers them in the order they
 *   happen and only ever compares them for equality (a grant is still the one a finding was
 *   reported under; an IPI belongs to its call), so the live ones are numbered anew in the
 *   order a fixed walk meets them, and the counters that hand out the next number are left out.
 * The fields are swapped out for the hash and put back; nothing shared is changed.
 */
export function fingerprint(n: Node): string {
  const { world } = n;
  const { step, tick, grantSeq, nextCall, calls, findingCounts, reported, cpus } = world;
  const grants: (GrantIn | null)[] = [];
  const ipis: Ipi[][] = [];
  // New numbers in the order met: grants CPU by CPU, then the reports in CPU order (a report
  // of a grant no longer in force gets a number of its own); calls in the order they were
  // made (the Map's).
  const seqRank = new Map<number, number>();
  for (const c of cpus) {
    grants.push(c.grant);
    ipis.push(c.pendingIpis);
    if (c.grant && !seqRank.has(c.grant.seq)) seqRank.set(c.grant.seq, seqRank.size + 1);
  }
  // The monitor looks reports up by CPU: the order they were made in is no state.
  const reports = reported.size > 1 ? [...reported].sort(([a], [b]) => a - b) : [...reported];
  for (const [, r] of reports) if (!seqRank.has(r.seq)) seqRank.set(r.seq, seqRank.size + 1);
  const callRank = new Map<number, number>();
  for (const id of calls.keys()) callRank.set(id, callRank.size + 1);
  try {
    world.step = 0;
    world.tick = 0;
    // Whether anything happened yet is state (validate.ts lets some commands run only before).
    world.grantSeq = grantSeq === 0 ? 0 : 1;
    world.nextCall = nextCall === 1 ? 1 : 2;
    if (calls.size > 0) world.calls = new Map([...calls].map(([id, c]) => [callRank.get(id)!, { ...c, id: callRank.get(id)! }]));
    world.findingCounts = noCounts;
    if (reported.size > 0) world.reported = new Map(reports.map(([cpu, r]) => [cpu, { seq: seqRank.get(r.seq)!, keys: r.keys }]));
    for (let i = 0; i < cpus.length; i++) {
      const c = cpus[i]!;
      const g = grants[i];
      if (g) c.grant = { ...g, seq: seqRank.get(g.seq)!, step: 0, by: noCause };
      if (c.pendingIpis.length > 0) c.pendingIpis = c.pendingIpis.map((ipi) => ({ ...ipi, call: callRank.get(ipi.call) ?? 0 }));
    }
    return `${stateHash(world)}${n.pos.join(',')}/${n.switches}/${n.migrations}/${n.ticks}`;
  } finally {
    Object.assign(world, { step, tick, grantSeq, nextCall, calls, findingCounts, reported });
    for (let i = 0; i < cpus.length; i++) {
      cpus[i]!.grant = grants[i]!;
      cpus[i]!.pendingIpis = ipis[i]!;
    }
  }
}

/** What a fingerprint puts in place of the finding counts and of a grant's cause: nothing. */
const noCounts: World['findingCounts'] = new Map();
const noCause: GrantIn['by'] = Object.freeze({ fn: '' });

/** The start of a search: the scenario's start commands applied to a fresh world. */
export function startNode(scenario: Scenario, world?: World): Node {
  const w = world ? copyWorld(world) : createWorld(scenario.config);
  if (!world) {
    for (const c of scenario.start) {
      const r = applyCommand(w, c);
      if (!r.ok) throw new Error(`engine bug: a scenario's start was rejected: ${r.rejection.message}`);
    }
  }
  w.log = newRing(searchLogLines);
  return { world: w, pos: scenario.programs.map(() => 0), switches: 0, migrations: 0, ticks: 0 };
}

/** Apply one choice to a node's world and move its counts on. */
export function step(n: Node, c: Command, program: number): ReturnType<typeof applyCommand> {
  const r = applyCommand(n.world, c);
  if (program >= 0) n.pos[program]!++;
  else if (program === choiceSwitch) n.switches++;
  else if (program === choiceMigrate) n.migrations++;
  else if (program === choiceTick) n.ticks++;
  return r;
}

/** The choices open in a state, in the order the search takes them, and the program commands refused there. */
export function choicesOf(n: Node, scenario: Scenario): { open: { c: Command; program: number }[]; refusals: Refusal[] } {
  const { world } = n;
  const { programs, bounds } = scenario;
  const open: { c: Command; program: number }[] = [];
  const refusals: Refusal[] = [];
  programs.forEach((p, i) => {
    const c = p.commands[n.pos[i]!];
    if (!c) return;
    const refused = validate(world, c);
    if (!refused) open.push({ c, program: i });
    else refusals.push({ program: i, pos: n.pos[i]!, why: refused.message });
  });
  if (bounds.ipi === 'any') for (const cpu of world.cpus) if (cpu.pendingIpis.length > 0) open.push({ c: { kind: 'deliver', cpu: cpu.id }, program: choiceIpi });
  const ok = (c: Command) => validate(world, c) === null;
  if (n.switches < bounds.switches) {
    for (const cpu of world.cpus) {
      for (const task of world.tasks.values()) {
        if (task.cpu !== cpu.id || cpu.current === task.pid) continue;
        const c: Command = { kind: 'switch', cpu: cpu.id, pid: task.pid };
        if (ok(c)) open.push({ c, program: choiceSwitch });
      }
    }
  }
  if (n.migrations < bounds.migrations) {
    for (const task of world.tasks.values()) {
      for (const cpu of world.cpus) {
        if (cpu.id === task.cpu) continue;
        const c: Command = { kind: 'migrate', pid: task.pid, cpu: cpu.id };
        if (ok(c)) open.push({ c, program: choiceMigrate });
      }
    }
  }
  if (n.ticks < bounds.ticks) {
    const c: Command = { kind: 'tick', n: 1 };
    if (ok(c)) open.push({ c, program: choiceTick });
  }
  return { open, refusals };
}

/** A path's choice: the command, and which kind of choice it was (`program`). */
export interface PathStep {
  c: Command;
  program: number;
}

export class Expander {
  /** States held, by id. */
  private readonly held = new Map<number, Node>();
  /** Children of expanded states, waiting to be told which are new (by the parent's id); null: let go already. */
  private readonly pending = new Map<number, (Node | null)[]>();
  /**
   * With `remember` on: the fingerprints of every child this Expander made. A child it made
   * before, in an earlier state of its own (it expands in the order states are taken), cannot
   * be new, so its world is let go at once instead of waiting to be settled: worth it when
   * settling comes late (in a worker thread, chunks after the expanding).
   */
  private made: Set<string> | null = null;
  private readonly root: Node;

  constructor(readonly scenario: Scenario, world?: World) {
    this.root = startNode(scenario, world);
    this.held.set(0, { ...this.root, world: copyWorld(this.root.world), pos: this.root.pos.slice() });
  }

  /** Remember the fingerprints of the children made from now on (see `made`). */
  remember(): void {
    this.made ??= new Set();
  }

  /** Hold state `id`, rebuilt from its path (when it moves here from another Expander). */
  adopt(id: number, path: readonly PathStep[]): void {
    const n: Node = { ...this.root, world: copyWorld(this.root.world), pos: this.root.pos.slice() };
    for (const s of path) {
      const r = step(n, s.c, s.program);
      if (!r.ok) throw new Error(`engine bug: a path's choice was rejected on replay: ${r.rejection.message}`);
    }
    this.held.set(id, n);
  }

  /** Let state `id` go (it moved to another Expander). */
  drop(id: number): void {
    this.held.delete(id);
  }

  /**
   * Expand state `id` (held here; it is let go): apply each open choice to a copy of its world.
   * `atBound`: its children are at the depth bound, so say of each whether it could go on.
   */
  expand(id: number, atBound: boolean): Expansion {
    const n = this.held.get(id);
    if (!n) throw new Error(`engine bug: state ${id} is not held here`);
    this.held.delete(id);
    const { open, refusals } = choicesOf(n, this.scenario);
    const children: ChildResult[] = [];
    const kept: (Node | null)[] = [];
    for (let k = 0; k < open.length; k++) {
      const { c, program } = open[k]!;
      // The last choice may take the parent's world: nothing reads it after.
      const world = k === open.length - 1 ? n.world : copyWorld(n.world);
      const child: Node = { world, pos: program >= 0 ? n.pos.slice() : n.pos, switches: n.switches, migrations: n.migrations, ticks: n.ticks };
      const r = step(child, c, program);
      if (!r.ok) throw new Error(`engine bug: a validated choice was rejected: ${r.rejection.message}`);
      const result: ChildResult = { key: fingerprint(child), choice: c, program, pos: program >= 0 ? child.pos[program]! : 0, findings: r.findings };
      if (atBound) {
        const next = choicesOf(child, this.scenario);
        result.bound = { open: next.open.length > 0, refusals: next.refusals };
      }
      children.push(result);
      if (this.made?.has(result.key)) kept.push(null);
      else {
        this.made?.add(result.key);
        kept.push(child);
      }
    }
    this.pending.set(id, kept);
    return { refusals, children };
  }

  /** Of state `parent`'s children, hold those given an id (in child order; -1: not a new state) and let the rest go. */
  settle(parent: number, ids: readonly number[]): void {
    const kids = this.pending.get(parent);
    if (!kids) throw new Error(`engine bug: state ${parent} has no children waiting`);
    this.pending.delete(parent);
    ids.forEach((id, k) => {
      if (id < 0) return;
      const kid = kids[k];
      if (!kid) throw new Error(`engine bug: child ${k} of state ${parent} was let go as made before, but it is new`);
      this.held.set(id, kid);
    });
  }

  /** Let go of every child still waiting to be settled (a search that ended mid-layer). */
  forgetPending(): void {
    this.pending.clear();
  }

  /** A fresh copy of the start, for a random walk. */
  fromStart(): Node {
    return { ...this.root, world: copyWorld(this.root.world), pos: this.root.pos.slice() };
  }
}
