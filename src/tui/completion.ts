/**
 * Tab completion on the command line, from the one command table (engine/commands-spec.ts):
 * command words, then whatever the forms of the command the line has so far take next — pids
 * of live tasks, fds of the pid named, CPUs, registers, event names, keywords, finding codes
 * after `expect finding`.
 */
import { type Arg, type ValueKind, commandWords, specsOf } from '../engine/commands-spec.js';
import { designNames } from '../engine/designs/index.js';
import { taskState } from '../engine/lifecycle.js';
import type { World } from '../engine/world.js';

/** Where a line stands in one form of a command: the arguments still to come, and the pid named so far (for its fds). */
interface Place {
  rest: Arg[];
  pid: string | null;
}

/** The next single word a place can take (a fixed word or a value), and where each leaves it. */
function heads(rest: Arg[]): { next: Extract<Arg, { t: 'word' | 'value' }>; rest: Arg[] }[] {
  const [a, ...tail] = rest;
  if (!a) return [];
  switch (a.t) {
    case 'word':
    case 'value':
      return [{ next: a, rest: tail }];
    case 'alt':
      return a.options.flatMap((o) => heads([...o, ...tail]));
    case 'optional':
      return [...heads([...a.args, ...tail]), ...heads(tail)];
    case 'flags':
      return [
        ...a.options.flatMap((o, i) => heads([...o, { t: 'flags', options: a.options.filter((_, j) => j !== i) }, ...tail])),
        ...heads(tail),
      ];
    case 'repeat':
      return [...heads([...a.args, a, ...tail]), ...heads(tail)];
  }
}

const number = /^(0x[0-9a-fA-F]+|[0-9][0-9_]*)$/;

/** Whether a typed word can stand in a value slot (so `open cpu` is not read as `open PID`). */
function fits(value: ValueKind, word: string): boolean {
  switch (value) {
    case 'pid':
    case 'fd':
    case 'cpu-fd':
    case 'cpu':
    case 'number':
      return number.test(word);
    case 'reg':
      return /^(pmccntr|pmselr|pmevcntr[0-9]+)$/.test(word);
    case 'hash':
      return /^[0-9a-f]+$/.test(word);
    case 'part':
      return word.includes('=');
    case 'text':
      return word.startsWith('"');
    case 'design':
    case 'topic':
    case 'name':
      return true;
  }
}

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
      return [...commandWords];
    default:
      return [];
  }
}

function candidates(world: World, words: string[]): string[] {
  if (words.length === 0) return [...commandWords];
  let places: Place[] = specsOf(words[0]!).map((s) => ({ rest: s.args, pid: null }));
  for (const w of words.slice(1)) {
    places = places.flatMap((p) =>
      heads(p.rest)
        .filter(({ next }) => (next.t === 'word' ? next.word === w : fits(next.value, w)))
        .map(({ next, rest }) => ({ rest, pid: next.t === 'value' && next.value === 'pid' ? w : p.pid })),
    );
  }
  const out = places.flatMap((p) => heads(p.rest).flatMap(({ next }) => (next.t === 'word' ? [next.word] : valueChoices(world, next.value, p.pid))));
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
