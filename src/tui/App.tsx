/**
 * A session on screen — the live playground (playground.ts) or a replay or demo (replay.ts):
 * Ink's keys go to the driver, its `pump` runs from the event loop whenever it has something to
 * do, and the screen repaints at most about 30 times a second when something changed. Every key
 * and signal is answered within a slice, since no driver holds the loop longer.
 */
import { useApp, useInput } from 'ink';
import { useEffect, useReducer, useRef } from 'react';
import type { World } from '../engine/world.js';
import type { KeyInfo } from './keys.js';
import { Screen, type UiView } from './Screen.js';
import { useTerminalSize } from './use-terminal-size.js';
import { viewOf } from './view.js';

const frameMs = 33;

/** What the screen drives: keys in, time passing, and what to show. */
export interface Driver {
  /** Bumped on every change the screen shows. */
  readonly version: number;
  /** Set once the session is over: the app exits. */
  readonly quitting: boolean;
  readonly world: World;
  input(input: string, key: KeyInfo & { meta?: boolean }): void;
  /** The screen's size, for how far its keys may scroll the log and pages. */
  resize(width: number, height: number): void;
  /** Do what is due; ms until there is more (0: at once, Infinity: nothing until a key). */
  pump(): number;
  screen(): UiView;
}

export interface AppProps {
  driver: Driver;
  color: boolean;
  /** The file the session records to (`--record`), for the header's REC. */
  recording?: string | null;
  /** For tests: a fixed size instead of the terminal's. */
  size?: { width: number; height: number };
}

export function App({ driver: d, color, recording = null, size }: AppProps) {
  const { exit } = useApp();
  const [, repaint] = useReducer((n: number) => n + 1, 0);
  const drawn = useRef(-1);
  const dims = useTerminalSize(size);
  // The pump's next turn, if one is scheduled: a key schedules one at once.
  const wake = useRef<() => void>(() => {});

  useEffect(() => {
    let timer: NodeJS.Timeout | null = null;
    let immediate: NodeJS.Immediate | null = null;
    let stopped = false;
    const turn = () => {
      timer = null;
      immediate = null;
      if (stopped) return;
      const wait = d.pump();
      if (d.quitting) {
        exit();
        return;
      }
      if (wait === 0) immediate = setImmediate(turn);
      else if (wait !== Infinity) timer = setTimeout(turn, wait);
    };
    wake.current = () => {
      if (timer) clearTimeout(timer);
      if (!immediate) immediate = setImmediate(turn);
    };
    // A playground may already have something to do (a run under way).
    wake.current();
    // Repaint at most every frameMs, when something changed.
    const frames = setInterval(() => {
      if (drawn.current !== d.version) repaint();
    }, frameMs);
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      if (immediate) clearImmediate(immediate);
      clearInterval(frames);
    };
  }, [d, exit]);

  useInput((input, key) => {
    d.input(input, key);
    if (d.quitting) exit();
    else wake.current();
  });

  drawn.current = d.version;
  d.resize(dims.width, dims.height);
  return (
    <Screen
      view={viewOf(d.world)}
      ui={{ ...d.screen(), recording }}
      width={dims.width}
      height={dims.height}
      color={color}
    />
  );
}
