/**
 * `pmuplay explore`: breadth-first search over what a scenario leaves open (explore-scenario.ts)
 * — which program runs its next command, which CPU takes its oldest pending IPI (the handler
 * of `on_each_cpu` / `on_each_cpu_mask` running whenever that CPU takes the interrupt), and,
 * bounded, which task a CPU switches to (`__schedule` picking another runnable task: a
 * preemption), which task migrates, and when a scheduler tick falls. Every choice is an
 * ordinary command applied by `applyCommand`, so a path is a script and a counterexample is a
 * recording anyone can replay.
 *
 * A state is the world (its state hash with the clock — step and tick — left out) plus each
 * program's position and the switches, migrations and ticks used; a state met again is not
 * expanded again. Layers go in order and choices within a state in a fixed order, so the first
 * path that reaches a finding code is a shortest one, and the same scenario and bounds always
 * give the same traces. A program command the world rejects now (its task blocked on an IPI or
 * on mmap_lock) is simply not a choice in that state.
 *
 * The search reads no clock: the caller runs it in slices (`run(budget)`) and reads `stats`.
 */
import type { Command, FindingCode } from './command.js';
import type { Prepared, Scenario } from './explore-scenario.js';
import { stateHash } from './hash.js';
import { exploreFrontierMax } from './limits.js';
import { seedPrng, nextInt, type PrngState } from './prng.js';
import { newRing, ringLast } from './ring.js';
import { copyWorld } from './snapshot.js';
import { applyCommand } from './step.js';
import { validate } from './validate.js';
import type { Finding, World } from './world.js';

/** One state of the frontier: its world, each program's position, and the bounded choices used. */
interface Node {
  id: number;
  world: World;
  pos: number[];
  switches: number;
  migrations: number;
  ticks: number;
}

export interface Counterexample {
  code: FindingCode;
  /** The choices after the scenario's start, in order. */
  choices: Command[];
  /** The first finding of the code on that path, as the monitor reported it. */
  finding: Finding;
}

/** Why a search ended. */
export type SearchEnd =
  /** Every reachable state within the bounds was expanded. */
  | 'exhausted'
  /** Every state up to the depth bound was expanded; deeper ones were not. */
  | 'depth'
  | 'states'
  /** One layer would hold more worlds than memory allows (`exploreFrontierMax`). */
  | 'frontier'
  /** The caller stopped it (Ctrl-C). */
  | 'stopped'
  /** Random walks (`walks=N`): all N were made. */
  | 'walked';

export interface SearchStats {
  /** Choices applied (each a new world, whether met before or not). */
  generated: number;
  /** States kept: distinct fingerprints. */
  distinct: number;
  /** The depth of the layer being expanded (all shallower layers are done). */
  depth: number;
  /** The deepest state reached. */
  depthReached: number;
  /** States waiting in the current and next layer. */
  frontier: number;
  /** Random walks made (`walks=N`). */
  walks: number;
  end: SearchEnd | null;
}

/** Each program's first rejection at a position it never got past: why it stalled. */
export interface Stall {
  pid: number;
  position: number;
  command: Command;
  why: string;
}

function key(world: World, n: Node | { pos: number[]; switches: number; migrations: number; ticks: number }): string {
  // The clock is no part of the state: two orders of the same commands meet again. That
  // includes the step each grant records (only explain reads it).
  const step = world.step;
  const tick = world.tick;
  const grantSteps = world.cpus.map((c) => c.grant?.step ?? 0);
  world.step = 0;
  world.tick = 0;
  for (const c of world.cpus) if (c.grant) c.grant.step = 0;
  const h = stateHash(world);
  world.step = step;
  world.tick = tick;
  world.cpus.forEach((c, i) => {
    if (c.grant) c.grant.step = grantSteps[i]!;
  });
  return `${h}${n.pos.join(',')}/${n.switches}/${n.migrations}/${n.ticks}`;
}

/** Log lines a search world keeps: a step's findings come from the findings ring, and nothing reads the log back. */
const searchLogLines = 64;

export class Search {
  readonly scenario: Scenario;
  readonly stats: SearchStats = { generated: 0, distinct: 0, depth: 0, depthReached: 0, frontier: 0, walks: 0, end: null };
  /** The first counterexample found for each code, in the order found. */
  readonly found = new Map<FindingCode, Counterexample>();
  private readonly seen = new Set<string>();
  /** Per state id: its parent's id and the choice that led to it (-1: the start). */
  private readonly parent: number[] = [];
  private readonly choice: Command[] = [];
  private layer: Node[];
  private next: Node[] = [];
  private at = 0;
  /** Whether some state at the depth bound had choices left. */
  private cut = false;
  /** How far each program got in any state, and why it stopped there when it never got further. */
  private readonly furthest: number[];
  private readonly stalls = new Map<string, Stall>();
  /** The start, kept for random walks, and their PRNG (seeded by `seed=`). */
  private readonly root: Node;
  private readonly prng: PrngState;

  constructor(prepared: Prepared) {
    this.scenario = prepared.scenario;
    const world = copyWorld(prepared.world);
    world.log = newRing(searchLogLines);
    // A finding the setup already made is reached in no steps: its trace is the setup.
    for (const f of ringLast(world.findings, world.findings.total)) if (!this.found.has(f.code)) this.found.set(f.code, { code: f.code, choices: [], finding: f });
    const root: Node = { id: 0, world, pos: this.scenario.programs.map(() => 0), switches: 0, migrations: 0, ticks: 0 };
    this.parent.push(-1);
    this.choice.push({ kind: 'check' }); // the start has no choice; never read (path stops at id 0)
    this.seen.add(key(world, root));
    this.stats.distinct = 1;
    this.layer = [root];
    this.root = root;
    this.prng = seedPrng(this.scenario.bounds.seed);
    this.furthest = this.scenario.programs.map(() => 0);
  }

  /** The choices from the start to state `id`. */
  private path(id: number): Command[] {
    const out: Command[] = [];
    for (let i = id; i > 0; i = this.parent[i]!) out.push(this.choice[i]!);
    return out.reverse();
  }

  /** The choices open in a state, in the order the search takes them. */
  private choices(n: Node): { c: Command; program: number }[] {
    const { world } = n;
    const { programs, bounds } = this.scenario;
    const out: { c: Command; program: number }[] = [];
    programs.forEach((p, i) => {
      const c = p.commands[n.pos[i]!];
      if (!c) return;
      const refused = validate(world, c);
      if (!refused) out.push({ c, program: i });
      else if (n.pos[i] === this.furthest[i] && !this.stalls.has(`${i}:${n.pos[i]}`)) {
        this.stalls.set(`${i}:${n.pos[i]}`, { pid: p.pid, position: n.pos[i]!, command: c, why: refused.message });
      }
    });
    if (bounds.ipi === 'any') for (const cpu of world.cpus) if (cpu.pendingIpis.length > 0) out.push({ c: { kind: 'deliver', cpu: cpu.id }, program: -1 });
    const ok = (c: Command) => validate(world, c) === null;
    if (n.switches < bounds.switches) {
      for (const cpu of world.cpus) {
        for (const task of world.tasks.values()) {
          if (task.cpu !== cpu.id || cpu.current === task.pid) continue;
          const c: Command = { kind: 'switch', cpu: cpu.id, pid: task.pid };
          if (ok(c)) out.push({ c, program: -2 });
        }
      }
    }
    if (n.migrations < bounds.migrations) {
      for (const task of world.tasks.values()) {
        for (const cpu of world.cpus) {
          if (cpu.id === task.cpu) continue;
          const c: Command = { kind: 'migrate', pid: task.pid, cpu: cpu.id };
          if (ok(c)) out.push({ c, program: -3 });
        }
      }
    }
    if (n.ticks < bounds.ticks) {
      const c: Command = { kind: 'tick', n: 1 };
      if (ok(c)) out.push({ c, program: -4 });
    }
    return out;
  }

  /**
   * Random walks (`walks=N`, TLC's simulation mode): from the start, a choice drawn at random
   * (the walk's own seeded PRNG) until the depth bound or no choice is left. A finding keeps
   * the shortest trace any walk met. Up to `budget` walks a call.
   */
  private walk(budget: number): boolean {
    const { bounds } = this.scenario;
    for (let done = 0; done < budget; done++) {
      if (this.stats.walks >= bounds.walks) return this.finish('walked');
      this.stats.walks++;
      const n: Node = { ...this.root, world: copyWorld(this.root.world), pos: this.root.pos.slice() };
      const path: Command[] = [];
      for (let d = 0; d < bounds.depth; d++) {
        const opts = this.choices(n);
        if (opts.length === 0) break;
        const { c, program } = opts[nextInt(this.prng, 0, opts.length - 1)]!;
        const r = applyCommand(n.world, c);
        path.push(c);
        this.stats.generated++;
        if (program >= 0 && ++n.pos[program]! > this.furthest[program]!) this.furthest[program] = n.pos[program]!;
        if (c.kind === 'switch') n.switches++;
        if (c.kind === 'migrate') n.migrations++;
        if (c.kind === 'tick') n.ticks++;
        for (const f of r.ok ? r.findings : []) {
          const had = this.found.get(f.code);
          if (!had || had.choices.length > path.length) this.found.set(f.code, { code: f.code, choices: path.slice(), finding: f });
        }
        const h = key(n.world, n);
        if (!this.seen.has(h)) {
          this.seen.add(h);
          this.stats.distinct++;
          if (this.stats.distinct >= bounds.states) return this.finish('states');
        }
        this.stats.depthReached = Math.max(this.stats.depthReached, d + 1);
      }
    }
    return false;
  }

  /** Expand up to `budget` states (or make up to `budget` walks); true when the search has ended (see `stats.end`). */
  run(budget: number): boolean {
    if (this.stats.end) return true;
    const { bounds } = this.scenario;
    if (bounds.walks > 0) return this.walk(budget);
    for (let done = 0; done < budget; done++) {
      if (this.at === this.layer.length) {
        if (this.next.length === 0) return this.finish(this.cut ? 'depth' : 'exhausted');
        this.layer = this.next;
        this.next = [];
        this.at = 0;
        this.stats.depth++;
      }
      const n = this.layer[this.at]!;
      this.layer[this.at++] = undefined as unknown as Node; // let the world go
      const opts = this.choices(n);
      for (let k = 0; k < opts.length; k++) {
        const { c, program } = opts[k]!;
        // The last choice may take the parent's world: nothing reads it after.
        const world = k === opts.length - 1 ? n.world : copyWorld(n.world);
        const r = applyCommand(world, c);
        if (!r.ok) throw new Error(`engine bug: a validated choice was rejected: ${r.rejection.message}`);
        this.stats.generated++;
        const child: Node = {
          id: -1, world, pos: n.pos, switches: n.switches + (c.kind === 'switch' ? 1 : 0),
          migrations: n.migrations + (c.kind === 'migrate' ? 1 : 0), ticks: n.ticks + (c.kind === 'tick' ? 1 : 0),
        };
        if (program >= 0) {
          child.pos = n.pos.slice();
          child.pos[program]!++;
          if (child.pos[program]! > this.furthest[program]!) this.furthest[program] = child.pos[program]!;
        }
        for (const f of r.findings) if (!this.found.has(f.code)) this.found.set(f.code, { code: f.code, choices: [...this.path(n.id), c], finding: f });
        const h = key(world, child);
        if (this.seen.has(h)) continue;
        this.seen.add(h);
        child.id = this.parent.length;
        this.parent.push(n.id);
        this.choice.push(c);
        this.stats.distinct++;
        this.stats.depthReached = Math.max(this.stats.depthReached, this.stats.depth + 1);
        if (this.stats.depth + 1 < bounds.depth) this.next.push(child);
        // A state at the depth bound that could go on: the bound, not the scenario, ended it.
        else if (!this.cut && this.choices(child).length > 0) this.cut = true;
        if (this.stats.distinct >= bounds.states) return this.finish('states');
      }
      if (this.next.length > exploreFrontierMax) return this.finish('frontier');
    }
    this.stats.frontier = this.layer.length - this.at + this.next.length;
    return false;
  }

  /** Stop now (Ctrl-C): the stats say how far it got. */
  stop(): void {
    if (!this.stats.end) this.finish('stopped');
  }

  private finish(end: SearchEnd): true {
    this.stats.end = end;
    this.stats.frontier = this.layer.length - this.at + this.next.length;
    this.layer = [];
    this.next = [];
    return true;
  }

  /** Programs that never ran to their end in any state explored, and the command they stopped at. */
  unfinished(): Stall[] {
    const out: Stall[] = [];
    this.scenario.programs.forEach((p, i) => {
      if (this.furthest[i]! >= p.commands.length) return;
      const stall = this.stalls.get(`${i}:${this.furthest[i]}`);
      out.push(stall ?? { pid: p.pid, position: this.furthest[i]!, command: p.commands[this.furthest[i]!]!, why: 'the depth or state bound came first' });
    });
    return out;
  }
}
