/**
 * The command language as data: what a program or the kernel does, one line each. The TUI,
 * scripts, recordings and demos all reduce to these values (see parse.ts).
 */

import type { KnobName } from './knobs.js';

export type EventType = 'cycles' | 'instructions';
export type Reg = { kind: 'pmccntr' } | { kind: 'pmevcntr'; n: number } | { kind: 'pmselr' };
export type ExpectReg = 'pmuserenr' | 'pmselr';
/** What `expect read` checks: the value, the fallback, or the trap's signal (SIGSEGV under x86). */
export type ReadOutcome = { kind: 'sigill' } | { kind: 'fallback' } | { kind: 'value'; value: bigint } | { kind: 'sigsegv' };

/** A design's name: the registry (designs/index.ts) is the one list. */
export type { DesignName } from './designs/index.js';

/**
 * What-ifs. `uen-alone`: hardened writes PMUSERENR_EL0 = UEN without ER|CR, as it once did, so
 * the PMUACR-selected counters are open to EL0 writes (PMUv3.9: CR/ER block them under UEN).
 * `userenr-en`: every grant written through `writePmuserenr` (v4, v5, upstream) also sets EN,
 * as out-of-tree modules that open the PMU to user space do: EL0 may then write any counter.
 */
export const faultNames = ['mmap-lock-skip', 'cpumask-maintained', 'zero-extend', 'preempt-in-read', 'uen-alone', 'userenr-en'] as const;
export type FaultName = (typeof faultNames)[number];

export const findingCodes = [
  'access/other-mm',
  'access/stale',
  'access/aarch32',
  'access/denied',
  'leak/pmselr',
  'leak/counter',
  'oops/null-deref',
  'lockdep/mmap-lock',
  'read/wrong-count',
  'write/counter',
] as const;
export type FindingCode = (typeof findingCodes)[number];

/**
 * The bounds and choices of `explore` (explore.ts), as the line gives them; a key left out
 * takes its default there (`exploreDefaults`). `ipi`: `any` holds IPIs pending and makes
 * taking each one a choice at every point; `auto` takes them at once (no IPI choices).
 */
export interface ExploreBounds {
  ipi?: 'any' | 'auto';
  switches?: number;
  migrations?: number;
  ticks?: number;
  depth?: number;
  states?: number;
  /** Random walks instead of breadth-first search (0: breadth-first), each up to `depth`. */
  walks?: number;
  /** The walks' PRNG seed. */
  seed?: number;
}
export const exploreKeys = ['ipi', 'switches', 'migrations', 'ticks', 'depth', 'states', 'walks', 'seed'] as const;

/** The command kinds a `program PID:` line may hold: what task PID itself does. */
export const programKinds = ['open', 'open-cpu', 'close', 'mmap', 'munmap', 'read', 'reset', 'mrs', 'msr', 'migrate', 'exec32', 'exec64', 'exit', 'sleep', 'thread', 'fork'] as const;
export type ProgramCommand = Extract<Command, { kind: (typeof programKinds)[number] }>;

export type Command =
  | { kind: 'spawn'; name: string; aarch32: boolean; cpu: number | null }
  | { kind: 'thread'; pid: number; cpu: number | null }
  | { kind: 'fork'; pid: number; cpu: number | null }
  | { kind: 'open'; pid: number; event: EventType; user: boolean; is64: boolean; inherit: boolean; cloexec: boolean }
  /** `by`: the task that opens it (its fd table holds it); null: a system-wide tool outside the model. */
  | { kind: 'open-cpu'; cpu: number; event: EventType; user: boolean; is64: boolean; cloexec: boolean; by: number | null }
  | { kind: 'close'; pid: number; fd: number }
  | { kind: 'close-cpu'; fd: number }
  | { kind: 'mmap'; pid: number; fd: number }
  | { kind: 'munmap'; pid: number; fd: number }
  | { kind: 'read'; pid: number; fd: number }
  | { kind: 'reset'; pid: number; fd: number }
  | { kind: 'mrs'; pid: number; reg: Reg }
  | { kind: 'msr'; pid: number; reg: Reg; value: bigint }
  | { kind: 'migrate'; pid: number; cpu: number }
  | { kind: 'exec32'; pid: number }
  | { kind: 'exec64'; pid: number }
  | { kind: 'exit'; pid: number }
  | { kind: 'sleep'; pid: number }
  | { kind: 'wake'; pid: number }
  | { kind: 'switch'; cpu: number; pid: number }
  | { kind: 'tick'; n: number }
  | { kind: 'run'; cycles: bigint }
  | { kind: 'ipi'; mode: 'manual' | 'auto' }
  | { kind: 'deliver'; cpu: number }
  | { kind: 'policy'; name: string }
  | { kind: 'knob'; knob: KnobName; value: number }
  | { kind: 'fault'; name: FaultName; on: boolean }
  | { kind: 'check' }
  | { kind: 'explain'; n: number | null }
  | { kind: 'why'; cpu: number }
  | { kind: 'say'; text: string }
  | { kind: 'pause' }
  | { kind: 'expect-finding'; code: FindingCode }
  | { kind: 'expect-no-finding'; code: FindingCode | null }
  | { kind: 'expect-read'; pid: number; fd: number; outcome: ReadOutcome }
  | { kind: 'expect-reg'; cpu: number; reg: ExpectReg; value: number }
  | { kind: 'checkpoint'; hash: string; parts: [string, string][] }
  | { kind: 'back'; n: number }
  /** `help [CMD]`: a command word of commands-spec.ts, or null for the list. */
  | { kind: 'help'; topic: string | null }
  /** A scenario's bounds (`pmuplay explore`): the setup ends here. Not a step. */
  | { kind: 'explore'; bounds: ExploreBounds }
  /** A scenario's program for task PID: its commands, in order, for the search to interleave. Not a step. */
  | { kind: 'program'; pid: number; commands: ProgramCommand[] };

export type CommandKind = Command['kind'];

/** The command words a user types come from the one command table: `commandWords` in
 * commands-spec.ts (not here, so that table can use the names above without a cycle). */
