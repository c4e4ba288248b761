/**
 * Helpers the engine's tests share: the designs, the sysctl that lets upstream and hardened
 * grant access, a line's outcome as text, whether a task can read the cycle counter, the
 * finding codes so far, a line's words as the command table's grammar takes them. Not part of
 * the engine.
 */
import type { DesignName } from './command.js';
import { tokenize } from './lex.js';
import { playLines } from './session.js';
import type { World } from './world.js';

export const allDesigns: DesignName[] = ['v4', 'v5', 'upstream', 'x86', 'hardened'];

/** `perf_user_access = 1` at boot (designs without the sysctl ignore it). */
export const on = { perfUserAccess: 1 as const };

/** Play `lines`; the last one's output, or `rejected: CODE`. */
export function last(world: World, lines: string): string {
  const r = playLines(world, lines).at(-1)!.result;
  return r.ok ? r.lines.join(' ') : `rejected: ${r.rejection.code}`;
}

/** Can the task read PMCCNTR at EL0 now (no SIGILL, no x86 SIGSEGV)? The read is a step. */
export function reads(world: World, pid: number): boolean {
  return !/^SIG(ILL|SEGV)$/.test(last(world, `mrs ${pid} pmccntr`));
}

/** The finding codes so far, sorted. */
export function codes(world: World): string[] {
  return [...world.findingCounts.keys()].sort();
}

/** A line's words as the command table's grammar (commands-spec.ts) takes them: a quoted string with its opening quote. */
export function wordsOf(line: string): string[] {
  const tokens = tokenize(line);
  if (!Array.isArray(tokens)) throw new Error(`${line} does not tokenize`);
  return tokens.map((t) => (t.quoted ? `"${t.text}` : t.text));
}
