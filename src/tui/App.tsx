/**
 * The live playground: owns the world and the UI state, turns keys into commands through the
 * key table, runs time with its own timer (sending `tick` commands at a pace), and repaints at
 * most about 30 times a second. Keystrokes update the command line at once.
 */
import { useApp, useInput } from 'ink';
import { useEffect, useReducer, useRef, useState } from 'react';
import { parseCommand } from '../engine/parse.js';
import type { Command } from '../engine/command.js';
import { findingsSummary } from '../engine/step.js';
import type { Timeline } from '../engine/timeline.js';
import type { World } from '../engine/world.js';
import { complete } from './completion.js';
import { type KeyInfo, type Mode, keyAction } from './keys.js';
import { type LineState, accept, browse, emptyLine, eraseBack, insert, killLine, moveCursor, setText } from './line-editor.js';
import { Screen } from './Screen.js';
import { useTerminalSize } from './use-terminal-size.js';
import { viewOf } from './view.js';

/** Ticks per second the run mode aims at; the last is "as fast as it goes". */
export const paces = [1, 2, 5, 10, 20, 50, 100, Infinity] as const;
const frameMs = 33;

export function paceName(pace: number): string {
  return pace === Infinity ? 'max' : `${pace}/s`;
}

/** Where accepted commands go (a Recorder, or nothing). */
export interface CommandSink {
  command(text: string, world: World): void;
  tick(): void;
  flushTicks(world: World): void;
}

export interface AppProps {
  timeline: Timeline;
  recorder?: CommandSink;
  /** `save FILE`: write the current branch; returns an error sentence or null. */
  save?: (path: string, commands: Command[]) => string | null;
  color: boolean;
  caption: string | null;
  /** For tests: a fixed size instead of the terminal's. */
  size?: { width: number; height: number };
}

interface Ui {
  mode: Mode;
  line: LineState;
  message: { text: string; error: boolean } | null;
  caption: string | null;
  running: boolean;
  pace: number;
}

export interface LineResult {
  ok: boolean;
  message: string;
  caption?: string;
  /** The line changed (or looked at) the world: it belongs in the recording. */
  accepted?: boolean;
}

/** Run one command line typed by the user; returns the message to show. */
export function runLine(timeline: Timeline, text: string, save?: AppProps['save']): LineResult {
  const trimmed = text.trim();
  if (trimmed === 'help') return { ok: true, message: 'help' };
  if (trimmed === 'quit') return { ok: true, message: 'quit' };
  if (trimmed === 'save' || trimmed.startsWith('save ')) {
    const path = trimmed.slice(4).trim();
    if (!path) return { ok: false, message: 'save: expected a file name, e.g. save session.pmu' };
    if (!save) return { ok: false, message: 'save: not available here' };
    const error = save(path, timeline.history());
    return error ? { ok: false, message: error } : { ok: true, message: `saved ${timeline.position} commands to ${path}` };
  }
  const parsed = parseCommand(text);
  if (!parsed.ok) return { ok: false, message: parsed.error.message };
  if (!parsed.command) return { ok: true, message: '' };
  const r = timeline.apply(parsed.command);
  if (!r.ok) return { ok: false, message: r.rejection.message };
  const world = timeline.world;
  if (parsed.command.kind === 'say') return { ok: true, accepted: true, message: '', caption: parsed.command.text };
  if (parsed.command.kind === 'check') return { ok: true, accepted: true, message: findingsSummary(world).join('  ').replace(/\s+/g, ' ') };
  if (r.check) return { ok: r.check.passed, accepted: true, message: `${r.check.passed ? 'ok' : 'FAILED'}: ${r.check.text}` };
  return { ok: true, accepted: true, message: r.lines.join('  ') };
}

export function App({ timeline, recorder, save, color, caption, size }: AppProps) {
  const { exit } = useApp();
  // The UI state lives in a ref so that a key's side effects (running a command) happen once,
  // in the input handler, never inside a state updater; setUi only asks for a repaint.
  const uiRef = useRef<Ui>({ mode: 'normal', line: emptyLine, message: null, caption, running: false, pace: 2 });
  const [ui, setUiState] = useState<Ui>(uiRef.current);
  const setUi = (next: Ui) => {
    uiRef.current = next;
    setUiState(next);
  };
  const [, repaint] = useReducer((n: number) => n + 1, 0);
  const dirty = useRef(false);
  const dims = useTerminalSize(size);

  // Repaint at most every frameMs when the world changed.
  useEffect(() => {
    const timer = setInterval(() => {
      if (!dirty.current) return;
      dirty.current = false;
      repaint();
    }, frameMs);
    return () => clearInterval(timer);
  }, []);

  // Run mode: send ticks at the pace; "max" runs in slices of ~10 ms so keys stay live.
  useEffect(() => {
    if (!ui.running) return;
    const pace = paces[ui.pace]!;
    const tick = () => {
      const r = timeline.apply({ kind: 'tick', n: 1 });
      dirty.current = true;
      if (r.ok) recorder?.tick();
      else setUi({ ...uiRef.current, running: false, message: { text: r.rejection.message, error: true } });
    };
    // Gathered run-mode ticks reach the recording at least this often.
    const flush = setInterval(() => recorder?.flushTicks(timeline.world), 250);
    if (pace !== Infinity) {
      const timer = setInterval(tick, 1000 / pace);
      return () => {
        clearInterval(timer);
        clearInterval(flush);
        recorder?.flushTicks(timeline.world);
      };
    }
    let stop = false;
    const burst = () => {
      if (stop) return;
      const until = performance.now() + 10;
      while (performance.now() < until) tick();
      setImmediate(burst);
    };
    setImmediate(burst);
    return () => {
      stop = true;
      clearInterval(flush);
      recorder?.flushTicks(timeline.world);
    };
  }, [ui.running, ui.pace, timeline, recorder]);

  const submit = (u: Ui): Ui => {
    const text = u.line.text;
    const r = runLine(timeline, text, save);
    if (r.accepted) recorder?.command(text, timeline.world);
    dirty.current = true;
    if (r.message === 'quit') {
      exit();
      return u;
    }
    if (r.message === 'help') return { ...u, mode: 'help', line: accept(u.line), message: null };
    if (!r.ok && !r.message.startsWith('FAILED')) return { ...u, message: { text: r.message, error: true } };
    return { ...u, line: accept(u.line), message: r.message ? { text: r.message, error: !r.ok } : null, caption: r.caption ?? u.caption };
  };

  const onKey = (u: Ui, input: string, key: KeyInfo): Ui => {
      const a = keyAction(u.mode, input, key);
      switch (a.type) {
        case 'quit':
          exit();
          return u;
        case 'help':
          return { ...u, mode: 'help' };
        case 'close-help':
          return { ...u, mode: 'normal' };
        case 'focus':
          return { ...u, mode: 'input' };
        case 'leave':
          return { ...u, mode: 'normal' };
        case 'toggle-run':
          return { ...u, running: !u.running, message: null };
        case 'step': {
          timeline.apply({ kind: 'tick', n: 1 });
          recorder?.command('tick', timeline.world);
          dirty.current = true;
          return { ...u, running: false };
        }
        case 'back': {
          const r = timeline.apply({ kind: 'back', n: 1 });
          if (r.ok) recorder?.command('back', timeline.world);
          dirty.current = true;
          return { ...u, running: false, message: { text: r.ok ? r.lines.join(' ') : r.rejection.message, error: !r.ok } };
        }
        case 'next-finding':
          return { ...u, message: { text: 'n jumps to the next finding in a replay (pmuplay replay FILE)', error: false } };
        case 'faster':
          return { ...u, pace: Math.min(paces.length - 1, u.pace + 1) };
        case 'slower':
          return { ...u, pace: Math.max(0, u.pace - 1) };
        case 'submit':
          return submit(u);
        case 'history':
          return { ...u, line: browse(u.line, a.direction) };
        case 'complete': {
          const c = complete(timeline.world, u.line.text);
          return { ...u, line: setText(u.line, c.text), message: c.options.length ? { text: c.options.join('  '), error: false } : u.message };
        }
        case 'cursor':
          return { ...u, line: moveCursor(u.line, a.to) };
        case 'erase':
          return { ...u, line: eraseBack(u.line) };
        case 'kill-line':
          return { ...u, line: killLine(u.line) };
        case 'insert':
          return { ...u, line: insert(u.line, a.text) };
        case 'none':
          return u;
      }
  };

  /** Fast typing or a paste arrives as one chunk: a leading `:` focuses, tabs complete, line breaks are Enter. */
  const onChunk = (u: Ui, input: string): Ui => {
    let next = u;
    let rest = input;
    if (next.mode === 'normal' && (rest[0] === ':' || rest[0] === '/')) {
      next = onKey(next, rest[0], {});
      rest = rest.slice(1);
    }
    if (next.mode !== 'input') return onKey(next, rest, {});
    for (const piece of rest.replace(/\r\n/g, '\r').split(/([\r\n\t])/)) {
      if (piece === '' || next.mode !== 'input') continue;
      if (piece === '\t') next = onKey(next, '', { tab: true });
      else if (piece === '\r' || piece === '\n') next = onKey(next, '', { return: true });
      else next = onKey(next, piece, {});
    }
    return next;
  };

  useInput((input, key) => {
    const u = uiRef.current;
    // Esc followed at once by a key reaches us as Meta+key: leave the line, then take the key.
    if (u.mode === 'input' && key.meta && !key.escape && input.length === 1) {
      const next = onKey(onKey(u, '', { escape: true }), input, {});
      if (next !== uiRef.current) setUi(next);
      return;
    }
    const chunk = input.length > 1 && !key.ctrl && !key.meta && (/[\r\n\t]/.test(input) || (u.mode === 'normal' && /^[:/]/.test(input)));
    const next = chunk ? onChunk(u, input) : onKey(u, input, key as KeyInfo);
    if (next !== uiRef.current) setUi(next);
  });

  const view = viewOf(timeline.world, 200);
  return (
    <Screen
      view={view}
      ui={{ mode: ui.mode, line: ui.line.text, cursor: ui.line.cursor, message: ui.message, caption: ui.caption, running: ui.running, pace: paceName(paces[ui.pace]!) }}
      width={dims.width}
      height={dims.height}
      color={color}
    />
  );
}
