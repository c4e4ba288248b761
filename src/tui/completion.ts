/**
 * Tab completion on the command line, from the one command table (engine/commands-spec.ts):
 * command words, then whatever the forms of the command the line has so far take next — pids
 * of live tasks, fds of the pid named, CPUs, registers, event names, keywords, finding codes
 * after `expect finding`.
 */
import { type ValueKind, commandWords, nextArgs, placesAfter } from '../engine/commands-spec.js';
import { designNames } from '../engine/designs/index.js';
import { taskState } from '../engine/lifecycle.js';
import type { World } from '../engine/world.js';

function valueChoices(world: World, value: ValueKind, pid: string | null): string[] {
  switch (value) {
    case 'cpu':
      return world.cpus.map((c) => String(c.id));
    case 'pid':
      return [...world.tasks.values()].filter((t) => taskState(t) !== 'exited').map((t) => String(t.pid));
    case 'fd': {
      const task = world.tasks.get(Number(pid));
      return task ? task.fds.map((e) => String(e.fd)) : [];
    }
    case 'cpu-fd':
      return [...world.cpuFds.keys()].map(String);
    case 'reg':
      return ['pmccntr', 'pmselr', ...Array.from({ length: world.config.counters }, (_, i) => `pmevcntr${i}`)];
    case 'design':
      return designNames;
    case 'topic':
      return [...commandWords, 'marks'];
    default:
      return [];
  }
}

function candidates(world: World, words: string[]): string[] {
  if (words.length === 0) return [...commandWords];
  const out = placesAfter(words).flatMap((p) => nextArgs(p.rest).flatMap(({ next }) => (next.t === 'word' ? [next.word] : valueChoices(world, next.value, p.pid))));
  return [...new Set(out)];
}

function commonPrefix(items: string[]): string {
  if (items.length === 0) return '';
  let p = items[0]!;
  for (const s of items) while (!s.startsWith(p)) p = p.slice(0, -1);
  return p;
}

export interface Completion {
  text: string;
  /** Shown when the word is ambiguous. */
  options: string[];
}

/** Complete the word at the end of `text`. */
export function complete(world: World, text: string): Completion {
  const words = text.split(/\s+/).filter((w) => w !== '');
  const endsInSpace = /\s$/.test(text) || text === '';
  const partial = endsInSpace ? '' : (words.pop() ?? '');
  const matches = candidates(world, words).filter((c) => c.startsWith(partial));
  if (matches.length === 0) return { text, options: [] };
  const prefix = commonPrefix(matches);
  const head = text.slice(0, text.length - partial.length);
  if (matches.length === 1) return { text: `${head}${matches[0]} `, options: [] };
  return { text: head + prefix, options: matches.slice(0, 12) };
}
