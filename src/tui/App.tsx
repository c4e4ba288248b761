/**
 * A session on screen — the live playground (playground.ts) or a replay or demo (replay.ts):
 * Ink's keys go to the driver, its `pump` runs from the event loop whenever it has something to
 * do, and the screen repaints at most about 30 times a second when something changed. Every key
 * and signal is answered within a slice, since no driver holds the loop longer.
 */
import { useApp, useInput } from 'ink';
import { useEffect, useMemo, useReducer, useRef } from 'react';
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
  /** Do what is due, for at most about `msMax` ms; ms until there is more (0: at once,
   * Infinity: nothing until a key). */
  pump(msMax?: number): number;
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
  // Ask React for a frame now, if something changed since the last (false if nothing did).
  const frame = useRef<() => boolean>(() => false);

  useEffect(() => {
    let timer: NodeJS.Timeout | null = null;
    let immediate: NodeJS.Immediate | null = null;
    let stopped = false;
    let lastFrame = 0;
    // React renders from an immediate queued after ours: a turn waiting as an immediate would
    // run a whole slice first. As a timer it runs after React has drawn.
    const afterFrame = () => {
      if (immediate) clearImmediate(immediate);
      if (timer) clearTimeout(timer);
      immediate = null;
      timer = setTimeout(turn, 0);
    };
    frame.current = () => {
      if (drawn.current === d.version) return false;
      lastFrame = performance.now();
      repaint();
      if (immediate) afterFrame();
      return true;
    };
    const turn = () => {
      timer = null;
      immediate = null;
      if (stopped) return;
      // A frame is due and something changed: it is drawn before the next slice of work, so
      // the screen keeps its rate however busy the pump is.
      if (performance.now() - lastFrame >= frameMs && frame.current()) return afterFrame();
      // The pump's slice ends at the next frame (at least 2 ms of work, or nothing moves).
      const wait = d.pump(Math.max(2, lastFrame + frameMs - performance.now()));
      if (d.quitting) {
        exit();
        return;
      }
      if (wait === 0) immediate = setImmediate(turn);
      else if (wait !== Infinity) timer = setTimeout(turn, wait);
    };
    wake.current = () => {
      if (timer) clearTimeout(timer);
      timer = null;
      if (!immediate) immediate = setImmediate(turn);
    };
    // A playground may already have something to do (a run under way).
    wake.current();
    // A frame at most every frameMs, when something changed (and nothing else asked for one).
    const frames = setInterval(() => frame.current(), frameMs);
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
    else {
      wake.current();
      // A key is echoed at once, not at the next frame.
      frame.current();
    }
  });

  drawn.current = d.version;
  d.resize(dims.width, dims.height);
  // The view and the ui are made once a version: a frame asked for when nothing changed (a
  // resize aside) costs React nothing below this (Screen is memoized on its props).
  const view = useMemo(() => viewOf(d.world), [d, d.version]);
  const ui = useMemo(() => ({ ...d.screen(), recording }), [d, d.version, recording]);
  return <Screen view={view} ui={ui} width={dims.width} height={dims.height} color={color} />;
}
