/**
 * Tab completion on the command line: command words, then what each position of the command
 * takes — pids of live tasks, fds of that pid, CPUs, event names, keywords.
 */
import { commandWords, faultNames, findingCodes } from '../engine/command.js';
import { designNames } from '../engine/designs/index.js';
import { taskState } from '../engine/lifecycle.js';
import type { World } from '../engine/world.js';

export const uiWords = ['help', 'quit'] as const;

type Slot = 'pid' | 'fd' | 'cpu' | readonly string[];

/** What each argument position takes, by command word. */
const slots: Record<string, Slot[]> = {
  spawn: [[], ['aarch32', 'on']],
  thread: ['pid', ['on']],
  fork: ['pid', ['on'], 'cpu'],
  open: [['cpu'], ['cycles', 'instructions'], ...Array<Slot>(4).fill(['user', '64bit', 'inherit', 'cloexec'])],
  // `open cpu CPU EVENT [user] [64bit] [cloexec] [by PID]` (looked up when the second word is cpu).
  'open cpu': [['cpu'], 'cpu', ['cycles', 'instructions'], ...Array<Slot>(4).fill(['user', '64bit', 'cloexec', 'by'])],
  close: ['pid', 'fd'],
  mmap: ['pid', 'fd'],
  munmap: ['pid', 'fd'],
  read: ['pid', 'fd'],
  reset: ['pid', 'fd'],
  mrs: ['pid', ['pmccntr', 'pmselr', 'pmevcntr0', 'pmevcntr1', 'pmevcntr2', 'pmevcntr3', 'pmevcntr4', 'pmevcntr5']],
  msr: ['pid', ['pmselr', 'pmccntr', 'pmevcntr0', 'pmevcntr1', 'pmevcntr2', 'pmevcntr3', 'pmevcntr4', 'pmevcntr5']],
  migrate: ['pid', 'cpu'],
  exec32: ['pid'],
  exec64: ['pid'],
  exit: ['pid'],
  sleep: ['pid'],
  wake: ['pid'],
  switch: ['cpu', 'pid'],
  ipi: [['manual', 'auto']],
  deliver: ['cpu'],
  policy: [designNames],
  sysctl: [['perf_user_access'], ['0', '1']],
  rdpmc: [['0', '1', '2']],
  fault: [faultNames, ['on', 'off']],
  expect: [['finding', 'no-finding', 'read', 'reg'], findingCodes],
};

function candidates(world: World, words: string[], index: number): string[] {
  if (index === 0) return [...commandWords, ...uiWords];
  const perCpu = words[0] === 'open' && words[1] === 'cpu';
  // After `by` comes the pid that opens the per-CPU event.
  if (perCpu && words[index - 1] === 'by') return candidates(world, ['fork'], 1);
  const slot = slots[perCpu ? 'open cpu' : words[0]!]?.[index - 1];
  if (!slot) return [];
  if (slot === 'cpu') return world.cpus.map((c) => String(c.id));
  if (slot === 'pid') return [...world.tasks.values()].filter((t) => taskState(t) !== 'exited').map((t) => String(t.pid));
  if (slot === 'fd') {
    const task = world.tasks.get(Number(words[1]));
    return task ? task.fds.map((e) => String(e.fd)) : [];
  }
  if (words[0] === 'open' && index === 1) return ['cpu', ...[...world.tasks.keys()].map(String)];
  return [...slot];
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
  const index = words.length;
  const matches = candidates(world, words, index).filter((c) => c.startsWith(partial));
  if (matches.length === 0) return { text, options: [] };
  const prefix = commonPrefix(matches);
  const head = text.slice(0, text.length - partial.length);
  if (matches.length === 1) return { text: `${head}${matches[0]} `, options: [] };
  return { text: head + prefix, options: matches.slice(0, 12) };
}
