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
import { type Expansion, Expander, choicesOf, fingerprint, type PathStep, type Refusal, step } from './explore-expand.js';
import type { Prepared, Scenario } from './explore-scenario.js';
import { exploreFrontierMax } from './limits.js';
import { seedPrng, nextInt, type PrngState } from './prng.js';
import { ringLast } from './ring.js';
import type { Finding } from './world.js';

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

export class Search {
  readonly scenario: Scenario;
  readonly stats: SearchStats = { generated: 0, distinct: 0, depth: 0, depthReached: 0, frontier: 0, walks: 0, end: null };
  /** The first counterexample found for each code, in the order found. */
  readonly found = new Map<FindingCode, Counterexample>();
  private readonly seen = new Set<string>();
  /** Per state id: its parent's id (-1: the start), the choice that led to it and its kind (explore-expand.ts). */
  private readonly parent: number[] = [];
  private readonly choice: Command[] = [];
  private readonly kind: number[] = [];
  /** Per state id of the current and next layer: which Expander holds it (0: `local`). */
  private readonly holders: number[] = [];
  /** The current layer's state ids in the order they are expanded, the next layer's, and how far the current one got. */
  private layer: number[] = [0];
  private next: number[] = [];
  private at = 0;
  /** Whether some state at the depth bound had choices left. */
  private cut = false;
  /** How far each program got in any state, and why it stopped there when it never got further. */
  private readonly furthest: number[];
  private readonly stalls = new Map<string, Stall>();
  /** The Expander in this thread; it holds the start. */
  readonly local: Expander;
  /** The random walks' PRNG (seeded by `seed=`). */
  private readonly prng: PrngState;

  constructor(prepared: Prepared) {
    this.scenario = prepared.scenario;
    this.local = new Expander(this.scenario, prepared.world);
    // A finding the setup already made is reached in no steps: its trace is the setup.
    const { world } = prepared;
    for (const f of ringLast(world.findings, world.findings.total)) if (!this.found.has(f.code)) this.found.set(f.code, { code: f.code, choices: [], finding: f });
    this.parent.push(-1);
    this.choice.push({ kind: 'check' }); // the start has no choice; never read (path stops at id 0)
    this.kind.push(0);
    this.holders.push(0);
    this.seen.add(fingerprint(this.local.fromStart()));
    this.stats.distinct = 1;
    this.prng = seedPrng(this.scenario.bounds.seed);
    this.furthest = this.scenario.programs.map(() => 0);
  }

  /** The choices from the start to state `id`. */
  private path(id: number): Command[] {
    return this.steps(id).map((s) => s.c);
  }

  /** The choices from the start to state `id`, with their kinds: what another Expander replays to hold it. */
  steps(id: number): PathStep[] {
    const out: PathStep[] = [];
    for (let i = id; i > 0; i = this.parent[i]!) out.push({ c: this.choice[i]!, program: this.kind[i]! });
    return out.reverse();
  }

  /** Program commands refused in a state: a program's first refusal at the furthest it got is why it stalled (so far). */
  private noteRefusals(refusals: readonly Refusal[]): void {
    for (const r of refusals) {
      const at = `${r.program}:${r.pos}`;
      if (r.pos === this.furthest[r.program] && !this.stalls.has(at)) {
        const p = this.scenario.programs[r.program]!;
        this.stalls.set(at, { pid: p.pid, position: r.pos, command: p.commands[r.pos]!, why: r.why });
      }
    }
  }

  /** A program moved to `pos` in some state. */
  private reached(program: number, pos: number): void {
    if (program >= 0 && pos > this.furthest[program]!) this.furthest[program] = pos;
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
      const n = this.local.fromStart();
      const path: Command[] = [];
      for (let d = 0; d < bounds.depth; d++) {
        const { open, refusals } = choicesOf(n, this.scenario);
        this.noteRefusals(refusals);
        if (open.length === 0) break;
        const { c, program } = open[nextInt(this.prng, 0, open.length - 1)]!;
        const r = step(n, c, program);
        path.push(c);
        this.stats.generated++;
        if (program >= 0) this.reached(program, n.pos[program]!);
        for (const f of r.ok ? r.findings : []) {
          const had = this.found.get(f.code);
          if (!had || had.choices.length > path.length) this.found.set(f.code, { code: f.code, choices: path.slice(), finding: f });
        }
        const h = fingerprint(n);
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

  /**
   * Make sure a state of the current layer is next (moving on to the next layer when this one
   * is done); false when the search has ended.
   */
  advance(): boolean {
    if (this.stats.end) return false;
    if (this.at < this.layer.length) return true;
    if (this.next.length === 0) {
      this.finish(this.cut ? 'depth' : 'exhausted');
      return false;
    }
    this.layer = this.next;
    this.next = [];
    this.at = 0;
    this.stats.depth++;
    return true;
  }

  /** The current layer's states not yet taken, in order, and which Expander holds each. */
  rest(): { ids: number[]; holders: number[] } {
    const ids = this.layer.slice(this.at);
    return { ids, holders: ids.map((id) => this.holders[id]!) };
  }

  /** State `id` moved to Expander `holder` (another one adopted it). */
  moved(id: number, holder: number): void {
    this.holders[id] = holder;
  }

  /** Whether the current layer's children are at the depth bound (their Expander says whether each could go on). */
  atBound(): boolean {
    return this.stats.depth + 1 >= this.scenario.bounds.depth;
  }

  /**
   * Take the expansion of the current layer's next state, made by Expander `holder`: count
   * its children, note findings and stalls, keep the new states. Returns, per child, the id
   * it is held under in the next layer (-1: not a new state, or not expanded further), for
   * `Expander.settle`. The search may end here (the state bound): see `stats.end`.
   */
  take(id: number, exp: Expansion, holder: number): number[] {
    if (this.layer[this.at] !== id) throw new Error(`engine bug: state ${id} taken out of order (expected ${this.layer[this.at]})`);
    this.at++;
    const { bounds } = this.scenario;
    this.noteRefusals(exp.refusals);
    const ids: number[] = exp.children.map(() => -1);
    for (let k = 0; k < exp.children.length; k++) {
      const child = exp.children[k]!;
      this.stats.generated++;
      this.reached(child.program, child.pos);
      for (const f of child.findings) if (!this.found.has(f.code)) this.found.set(f.code, { code: f.code, choices: [...this.path(id), child.choice], finding: f });
      if (this.seen.has(child.key)) continue;
      this.seen.add(child.key);
      const childId = this.parent.length;
      this.parent.push(id);
      this.choice.push(child.choice);
      this.kind.push(child.program);
      this.holders.push(holder);
      this.stats.distinct++;
      this.stats.depthReached = Math.max(this.stats.depthReached, this.stats.depth + 1);
      if (this.stats.depth + 1 < bounds.depth) {
        this.next.push(childId);
        ids[k] = childId;
      } else if (!this.cut && child.bound) {
        // A state at the depth bound that could go on: the bound, not the scenario, ended it.
        this.noteRefusals(child.bound.refusals);
        if (child.bound.open) this.cut = true;
      }
      if (this.stats.distinct >= bounds.states) {
        this.finish('states');
        return ids;
      }
    }
    if (this.next.length > exploreFrontierMax) this.finish('frontier');
    return ids;
  }

  /** Expand up to `budget` states in this thread (or make up to `budget` walks); true when the search has ended (see `stats.end`). */
  run(budget: number): boolean {
    if (this.stats.end) return true;
    if (this.scenario.bounds.walks > 0) return this.walk(budget);
    for (let done = 0; done < budget; done++) {
      if (!this.advance()) return true;
      const id = this.layer[this.at]!;
      if (this.holders[id] !== 0) throw new Error(`engine bug: state ${id} is held by Expander ${this.holders[id]}, not this thread's`);
      const ids = this.take(id, this.local.expand(id, this.atBound()), 0);
      this.local.settle(id, ids);
      if (this.stats.end) return true;
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
