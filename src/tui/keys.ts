/**
 * Keys to actions, as a pure table tested without Ink. In the normal mode single keys drive
 * the session; `:` or `/` moves to the command line, where keys edit the line.
 */

/** Normal: single keys drive the session; input: the command line; page: a page is open (help,
 * an answer, the findings list) and keys move in it or close it. */
export type Mode = 'normal' | 'input' | 'page';

/** The parts of Ink's `Key` the table reads. */
export interface KeyInfo {
  upArrow?: boolean;
  downArrow?: boolean;
  leftArrow?: boolean;
  rightArrow?: boolean;
  return?: boolean;
  escape?: boolean;
  ctrl?: boolean;
  tab?: boolean;
  backspace?: boolean;
  delete?: boolean;
  pageUp?: boolean;
  pageDown?: boolean;
  home?: boolean;
  end?: boolean;
}

export type KeyAction =
  | { type: 'quit' }
  | { type: 'help' }
  | { type: 'findings' }
  | { type: 'page'; move: PageMove }
  | { type: 'focus' }
  | { type: 'toggle-run' }
  | { type: 'step' }
  | { type: 'back' }
  | { type: 'next-finding' }
  | { type: 'faster' }
  | { type: 'slower' }
  | { type: 'submit' }
  | { type: 'leave' }
  | { type: 'history'; direction: -1 | 1 }
  | { type: 'complete' }
  | { type: 'cursor'; to: 'left' | 'right' | 'home' | 'end' }
  | { type: 'erase'; direction: 'back' | 'forward' }
  | { type: 'kill-line' }
  | { type: 'insert'; text: string }
  | { type: 'log'; move: LogMove }
  | { type: 'none' };

export type LogMove = 'up' | 'down' | 'oldest' | 'newest' | 'filter' | 'cpu' | 'task';

/** In an open page: select the one above or below (or scroll a line; a screen for PgUp and
 * PgDn), open the selected, go to its step, close. */
export type PageMove = 'up' | 'down' | 'page-up' | 'page-down' | 'open' | 'go' | 'close';

/** How the log is shown: scrolled this many lines up from the newest; findings only or not;
 * one CPU's lines or all; one task's lines or all. */
export interface LogView {
  scroll: number;
  findings: boolean;
  cpu: number | null;
  pid: number | null;
}

export const allLog: LogView = { scroll: 0, findings: false, cpu: null, pid: null };

/** Lines a PgUp/PgDn moves, and how far up the log can go (the lines the view keeps). */
const logPage = 5;
export const logScrollMax = 200;

/** The next of `choices` after `now`, then none (null), then the first again. */
function cycle(now: number | null, choices: readonly number[]): number | null {
  const i = now === null ? -1 : choices.indexOf(now);
  return i + 1 < choices.length ? choices[i + 1]! : null;
}

/** The log view after a key: one reducer for the playground, replays and demos. `c` and `t`
 * step through the world's CPUs and tasks (`cpus`, `pids`), then back to all; `maxUp` is how
 * far up the screen can show (the lines the filters keep, less the rows it has), so a PgDn
 * after Home moves at once. */
export function moveLog(v: LogView, move: LogMove, world: { cpus: number; pids: readonly number[] } = { cpus: 0, pids: [] }, maxUp = logScrollMax): LogView {
  const top = Math.min(logScrollMax, maxUp);
  switch (move) {
    case 'up':
      return { ...v, scroll: Math.min(top, v.scroll + logPage) };
    case 'down':
      return { ...v, scroll: Math.max(0, Math.min(top, v.scroll) - logPage) };
    case 'oldest':
      return { ...v, scroll: top };
    case 'newest':
      return { ...v, scroll: 0 };
    case 'filter':
      return { ...v, scroll: 0, findings: !v.findings };
    case 'cpu':
      return { ...v, scroll: 0, cpu: cycle(v.cpu, Array.from({ length: world.cpus }, (_, i) => i)) };
    case 'task':
      return { ...v, scroll: 0, pid: cycle(v.pid, world.pids) };
  }
}

/** Where a key does something: the playground (which takes commands), a replay or demo
 * (which only plays a file), or both. */
export type KeyScope = 'all' | 'playground' | 'playback';

/** The normal-mode keys, for the help overlay and the hint line. */
export const normalKeys: [string, string, KeyScope][] = [
  [':  /', 'a command: enter runs it, esc leaves, up/down history, tab completes', 'playground'],
  ['space', 'run / pause (+ faster, - slower: the pace shows in the header)', 'playground'],
  ['space', 'play / pause (+ faster, - slower: the pace shows in the header)', 'playback'],
  ['.  ,', 'one step (a tick) / step back', 'playground'],
  ['.  ,', 'one line of the file / step back', 'playback'],
  ['n', 'play to the next finding (Esc stops looking)', 'all'],
  ['e', 'the findings: up/down picks, enter explains, g goes to its step', 'all'],
  ['PgUp PgDn', 'scroll the log (Home, End: oldest, newest)', 'all'],
  ['f  c  t', 'the log: findings only / one CPU / one task (again: next, then all)', 'all'],
  ['?  q', 'this help / quit', 'all'],
];

/** The keys that do something in a playground or in a replay/demo. */
export function keysFor(kind: 'playground' | 'replay' | 'demo'): [string, string][] {
  const scope = kind === 'playground' ? 'playground' : 'playback';
  return normalKeys.filter(([, , s]) => s === 'all' || s === scope).map(([k, what]) => [k, what]);
}

export function keyAction(mode: Mode, input: string, key: KeyInfo): KeyAction {
  if (key.ctrl && input === 'c') return { type: 'quit' };
  if (mode === 'page') {
    if (key.upArrow) return { type: 'page', move: 'up' };
    if (key.downArrow) return { type: 'page', move: 'down' };
    if (key.pageUp) return { type: 'page', move: 'page-up' };
    if (key.pageDown) return { type: 'page', move: 'page-down' };
    if (key.return) return { type: 'page', move: 'open' };
    return { type: 'page', move: input === 'g' ? 'go' : 'close' };
  }
  if (mode === 'normal') {
    switch (input) {
      case ':':
      case '/':
        return { type: 'focus' };
      case '?':
        return { type: 'help' };
      case ' ':
        return { type: 'toggle-run' };
      case '.':
        return { type: 'step' };
      case ',':
        return { type: 'back' };
      case '+':
      case '=':
        return { type: 'faster' };
      case '-':
        return { type: 'slower' };
      case 'q':
        return { type: 'quit' };
      case 'n':
        return { type: 'next-finding' };
      case 'e':
        return { type: 'findings' };
      case 'f':
        return { type: 'log', move: 'filter' };
      case 'c':
        return { type: 'log', move: 'cpu' };
      case 't':
        return { type: 'log', move: 'task' };
    }
    if (key.pageUp) return { type: 'log', move: 'up' };
    if (key.pageDown) return { type: 'log', move: 'down' };
    if (key.home) return { type: 'log', move: 'oldest' };
    if (key.end) return { type: 'log', move: 'newest' };
    return key.return ? { type: 'focus' } : { type: 'none' };
  }
  if (key.return) return { type: 'submit' };
  if (key.escape) return { type: 'leave' };
  if (key.upArrow) return { type: 'history', direction: -1 };
  if (key.downArrow) return { type: 'history', direction: 1 };
  if (key.tab) return { type: 'complete' };
  if (key.leftArrow) return { type: 'cursor', to: 'left' };
  if (key.rightArrow) return { type: 'cursor', to: 'right' };
  if (key.ctrl && input === 'a') return { type: 'cursor', to: 'home' };
  if (key.ctrl && input === 'e') return { type: 'cursor', to: 'end' };
  if (key.ctrl && input === 'u') return { type: 'kill-line' };
  // Terminals send DEL (0x7f) for the backspace key; Ink reports it as `delete`.
  if (key.backspace || key.delete) return { type: 'erase', direction: 'back' };
  if (key.ctrl) return { type: 'none' };
  const text = [...input].filter((ch) => ch >= ' ' && ch !== '\x7f').join('');
  return text ? { type: 'insert', text } : { type: 'none' };
}

/**
 * One input event as the keys it holds. Ink splits escape sequences (arrows, Meta+key) into
 * events of their own, but hands a run of plain bytes over as one string: keys typed faster
 * than it reads (`...`, `+++`, a key repeat over ssh), a paste, Ctrl-U then text. Each byte of
 * such a run is a key, spelled as Ink spells a key pressed alone.
 */
export function keysOf(input: string, key: KeyInfo): { input: string; key: KeyInfo }[] {
  const chars = [...input];
  if (chars.length <= 1 || input.startsWith('\x1b')) return [{ input, key }];
  return chars.map((ch) => {
    if (ch === '\r' || ch === '\n') return { input: '', key: { return: true } };
    if (ch === '\t') return { input: '', key: { tab: true } };
    if (ch === '\x7f' || ch === '\b') return { input: '', key: { delete: true } };
    const code = ch.charCodeAt(0);
    if (code >= 1 && code <= 26) return { input: String.fromCharCode(code + 96), key: { ctrl: true } };
    return { input: ch, key: {} };
  });
}
