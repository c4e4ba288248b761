/**
 * The live playground on screen: Ink's keys go to the Playground (playground.ts, the logic),
 * its `pump` runs from the event loop whenever it has something to do, and the screen repaints
 * at most about 30 times a second when something changed. Every key and signal is answered
 * within a slice, since the Playground never holds the loop longer.
 */
import { useApp, useInput } from 'ink';
import { useEffect, useReducer, useRef } from 'react';
import { type Playground, paceName, paces } from './playground.js';
import { Screen } from './Screen.js';
import { useTerminalSize } from './use-terminal-size.js';
import { viewOf } from './view.js';

const frameMs = 33;

export interface AppProps {
  playground: Playground;
  color: boolean;
  /** The file the session records to (`--record`), for the header's REC. */
  recording?: string | null;
  /** For tests: a fixed size instead of the terminal's. */
  size?: { width: number; height: number };
}

export function App({ playground: pg, color, recording = null, size }: AppProps) {
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
      const wait = pg.pump();
      if (pg.quitting) {
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
      if (drawn.current !== pg.version) repaint();
    }, frameMs);
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      if (immediate) clearImmediate(immediate);
      clearInterval(frames);
    };
  }, [pg, exit]);

  useInput((input, key) => {
    pg.input(input, key);
    if (pg.quitting) exit();
    else wake.current();
  });

  drawn.current = pg.version;
  const ui = pg.ui;
  return (
    <Screen
      view={viewOf(pg.world, 200)}
      ui={{ mode: ui.mode, line: ui.line.text, cursor: ui.line.cursor, message: ui.message, caption: pg.caption, running: ui.running, pace: paceName(paces[ui.pace]!), kind: 'playground', recording, help: ui.help, logScroll: ui.log.scroll, logFindings: ui.log.findings }}
      width={dims.width}
      height={dims.height}
      color={color}
    />
  );
}
