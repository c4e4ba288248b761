/**
 * The controls every screen shares — run and pause, one step, a step back, the pace, play to
 * the next finding, the log's scroll and filters, and the pages (help, an answer, the findings
 * list) — as one pure reducer, tested without Ink. A key gives new controls and, where what is
 * played must change, an effect that the screen's driver carries out on what it plays: the
 * playground's timeline (a step is a tick) or a recording's player (a step is a line of the
 * file). So the keys do the same thing in the playground, a replay and a demo.
 */
import { explainFinding, explanationLines } from '../engine/explain.js';
import { ringEntries } from '../engine/ring.js';
import type { World } from '../engine/world.js';
import { type KeyAction, type LogView, type PageMove, allLog, moveLog } from './keys.js';

/** Steps per second the run mode aims at; the last is "as fast as it goes". */
export const paces = [1, 2, 5, 10, 20, 50, 100, Infinity] as const;

export function paceName(pace: number): string {
  return pace === Infinity ? 'max' : `${pace}/s`;
}

/** What a page shows: the help (the keys and commands, or `help CMD`'s lines), an answer
 * (check, explain, why; `step` is where `g` goes, if anywhere), or the findings to pick from
 * (`selected` is a finding's number, 1 for the session's first). Up and down scroll a page
 * longer than the screen (`top`: its first line shown) or move the selection. */
export type Page =
  | { kind: 'help'; topic: string[] | null; top?: number }
  | { kind: 'answer'; lines: string[]; step: number | null; top?: number }
  | { kind: 'findings'; selected: number };

export interface Controls {
  running: boolean;
  /** An index into `paces`. */
  pace: number;
  log: LogView;
  page: Page | null;
}

export const startControls = (running: boolean, pace: number): Controls => ({ running, pace, log: allLog, page: null });

/** What the driver must do to what it plays, after the controls changed. */
export type Effect =
  | { kind: 'none' }
  | { kind: 'quit' }
  /** Running started or its pace changed: count the pace's time from now. */
  | { kind: 'clock' }
  | { kind: 'step' }
  | { kind: 'back' }
  /** Play on until a new finding appears. */
  | { kind: 'seek' }
  /** Go back to where step `step` was done. */
  | { kind: 'go'; step: number }
  /** Something to say on the message line. */
  | { kind: 'note'; text: string }
  /** A key the controls do not take (the command line's): the driver's own. */
  | { kind: 'other'; action: KeyAction };

const none: Effect = { kind: 'none' };

/** The findings the world still keeps, with their session numbers (the first kept is `first`). */
export function keptFindings(world: World): { first: number; total: number } {
  const total = world.findings.total;
  return { first: total - world.findings.items.length + 1, total };
}

/** What is played: the playground's timeline (going back and then doing anything starts a
 * new branch) or a file (going back and stepping plays the file on). */
export type Played = 'playground' | 'file';

/** Where `g` takes a page: back to the step a finding happened at, if that is behind us. */
export function goLine(world: World, step: number | null, played: Played): string[] {
  if (step === null || step >= world.step) return [];
  const then = played === 'file' ? '. plays on from there, , goes back further' : 'what came after is dropped at your next step; save FILE first to keep it';
  return [`g: go back to step ${step}, where it happened (${then})`];
}

/** The answer page explaining finding `n`: its chain, and where `g` goes. */
export function explainPage(world: World, n: number, played: Played): Page {
  const r = explainFinding(world, n);
  if (!r.ok) return { kind: 'answer', lines: [r.message], step: null };
  const step = r.explanation.chain[0]!.step;
  return { kind: 'answer', lines: [...explanationLines(r.explanation), ...goLine(world, step, played)], step };
}

function findingStep(world: World, n: number): number | null {
  const { first } = keptFindings(world);
  return ringEntries(world.findings)[n - first]?.step ?? null;
}

/** How far the screen lets the log and a page scroll (Screen.tsx `screenLimits`); without a
 * screen (tests of the reducer), as far as the view keeps. */
export interface Limits {
  logUp: number;
  pageTop: number;
  /** Rows a page shows at once: PgUp and PgDn move by this. */
  pageRows: number;
}

const noScreen: Limits = { logUp: Infinity, pageTop: Infinity, pageRows: 10 };

const lineMoves: Partial<Record<PageMove, (rows: number) => number>> = { up: () => -1, down: () => 1, 'page-up': (r) => -r, 'page-down': (r) => r };

function pageKey(c: Controls, move: PageMove, world: World, limits: () => Limits, played: Played): [Controls, Effect] {
  const page = c.page!;
  const close: [Controls, Effect] = [{ ...c, page: null }, none];
  const by = lineMoves[move];
  if (page.kind !== 'findings' && by) {
    const l = limits();
    // A page that fits has nothing to scroll: any key closes it, as its last row says.
    if (l.pageTop === 0) return close;
    const top = Math.max(0, Math.min(l.pageTop, (page.top ?? 0) + by(l.pageRows)));
    return [{ ...c, page: { ...page, top } }, none];
  }
  if (page.kind === 'help') return close;
  if (page.kind === 'answer') {
    return move === 'go' && page.step !== null && page.step < world.step ? [{ ...c, page: null, running: false }, { kind: 'go', step: page.step }] : close;
  }
  const { first, total } = keptFindings(world);
  switch (move) {
    case 'up':
    case 'down':
    case 'page-up':
    case 'page-down': {
      const selected = Math.max(first, Math.min(total, page.selected + by!(limits().pageRows >> 1)));
      return [{ ...c, page: { kind: 'findings', selected } }, none];
    }
    case 'open':
      return [{ ...c, page: explainPage(world, page.selected, played) }, none];
    case 'go': {
      const step = findingStep(world, page.selected);
      return step !== null && step < world.step ? [{ ...c, page: null, running: false }, { kind: 'go', step }] : [{ ...c, page: null }, { kind: 'note', text: `finding ${page.selected} happened at the step shown now` }];
    }
    case 'close':
      return close;
  }
}

/** The controls after a key, and what the driver must do. `atEnd`: nothing more to play. */
export function playback(c: Controls, a: KeyAction, world: World, atEnd: boolean, played: Played, limits: () => Limits = () => noScreen): [Controls, Effect] {
  switch (a.type) {
    case 'quit':
      return [c, { kind: 'quit' }];
    case 'help':
      return [{ ...c, page: { kind: 'help', topic: null } }, none];
    case 'findings': {
      const { total } = keptFindings(world);
      if (total === 0) return [c, { kind: 'note', text: 'no finding yet (e lists them once there are some)' }];
      return [{ ...c, page: { kind: 'findings', selected: total } }, none];
    }
    case 'page':
      return c.page ? pageKey(c, a.move, world, limits, played) : [c, none];
    case 'toggle-run':
      if (c.running) return [{ ...c, running: false }, none];
      return atEnd ? [c, { kind: 'note', text: 'at the end: , steps back' }] : [{ ...c, running: true }, { kind: 'clock' }];
    case 'step':
      return [{ ...c, running: false }, { kind: 'step' }];
    case 'back':
      return [{ ...c, running: false }, { kind: 'back' }];
    case 'next-finding':
      return [{ ...c, running: false }, { kind: 'seek' }];
    case 'faster':
    case 'slower': {
      const pace = Math.max(0, Math.min(paces.length - 1, c.pace + (a.type === 'faster' ? 1 : -1)));
      return [{ ...c, pace }, { kind: 'clock' }];
    }
    case 'log':
      return [{ ...c, log: moveLog(c.log, a.move, { cpus: world.cpus.length, pids: [...world.tasks.keys()] }, limits().logUp) }, none];
    default:
      return [c, { kind: 'other', action: a }];
  }
}

/** A page for the screen: its lines (null: the keys and commands), and which line is selected
 * (the findings list's). */
export interface PageView {
  lines: string[] | null;
  selected: number | null;
  /** The first line shown of a page without a selection (the screen keeps the rest in view). */
  top?: number;
  /** What the keys do on it, for its last row (else: any key closes it, or g goes back). */
  keys?: string;
}

export function pageLines(page: Page, world: World): PageView {
  if (page.kind === 'help') return { lines: page.topic, selected: null, top: page.top ?? 0 };
  if (page.kind === 'answer') return { lines: page.lines, selected: null, top: page.top ?? 0 };
  const { first, total } = keptFindings(world);
  const head = `Findings ${first === 1 ? `(${total})` : `${first}..${total} (the ${first - 1} before are no longer kept)`}`;
  const lines = ringEntries(world.findings).map((f, i) => `#${first + i}  step ${f.step}${f.cpu === null ? '' : ` cpu${f.cpu}`}  ${f.code}: ${f.text}`);
  return { lines: [head, ...lines], selected: page.selected - first + 1, keys: 'up/down picks, enter explains, g goes back to its step; any other key closes' };
}
