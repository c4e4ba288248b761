/**
 * The frame bench's workload, bundled once per Ink build (bench/tui-builds.ts): pmuplay's screen
 * of a busy world, and a bare Ink tree that shows the same text, each mounted on a fake
 * 160x50 terminal in Ink's debug mode, where every re-render lays out and writes its frame at
 * once (no throttle, no diffing against the last frame).
 *
 * This is the one bench file that reaches into src/tui: when Screen's props or the view change,
 * edit `screenOf` here.
 */
import { EventEmitter } from 'node:events';
import { Box, Text, render } from 'ink';
import type { ReactElement } from 'react';
import { playLines } from '../src/engine/session.js';
import { applyCommand } from '../src/engine/step.js';
import { createWorld, defaultConfig } from '../src/engine/world.js';
import { Screen, type UiView } from '../src/tui/Screen.js';
import { type WorldView, viewOf } from '../src/tui/view.js';

/** A terminal that keeps the last frame written. */
class FakeTerminal extends EventEmitter {
  isTTY = true;
  last = '';
  constructor(
    readonly columns: number,
    readonly rows: number,
  ) {
    super();
  }
  write(s: string): boolean {
    this.last = s;
    return true;
  }
}

/** One side of the frame bench. `next` (not timed) moves to new content; `frame` renders it;
 * `same` re-renders what is on screen with the very same props. */
export interface FrameSide {
  next(): void;
  frame(): void;
  same(): void;
  /** The last frame written, as Ink made it (lines joined by \n). */
  last(): string;
}

function mount(width: number, height: number, first: ReactElement) {
  const term = new FakeTerminal(width, height);
  const app = render(first, { stdout: term as unknown as NodeJS.WriteStream, debug: true, patchConsole: false, exitOnCtrlC: false });
  return { term, app };
}

const ui: UiView = { mode: 'normal', line: '', cursor: 0, message: null, caption: 'bench', running: true, pace: 'max' };

function screenOf(view: WorldView, width: number, height: number) {
  return <Screen view={view} ui={ui} width={width} height={height} color={true} />;
}

/** pmuplay's screen: 8 CPUs, 64 tasks with a user-readable, mapped cycles event each; `next`
 * runs one tick, `frame` builds the view and renders it, as the App does each frame. */
export function appSide(width: number, height: number): FrameSide {
  const world = createWorld({ ...defaultConfig, cpus: 8, seed: 2026 });
  let setup = '';
  for (let i = 0; i < 64; i++) setup += `spawn t${i}\nopen ${100 + i} cycles user\nmmap ${100 + i} 3\n`;
  playLines(world, setup);
  let view = viewOf(world, 200);
  const { term, app } = mount(width, height, screenOf(view, width, height));
  return {
    next: () => void applyCommand(world, { kind: 'tick', n: 1 }),
    frame: () => {
      view = viewOf(world, 200);
      app.rerender(screenOf(view, width, height));
    },
    same: () => app.rerender(screenOf(view, width, height)),
    last: () => term.last,
  };
}

/** Lines of text in a column the size of the screen: no app, no layout beyond one column. */
function Bare({ lines, width, height }: { lines: readonly string[]; width: number; height: number }) {
  return (
    <Box flexDirection="column" width={width} height={height}>
      {lines.map((line, i) => (
        <Text key={i}>{line}</Text>
      ))}
    </Box>
  );
}

/**
 * The bare-Ink baseline: one <Text> a row holding that row of a frame pmuplay wrote, escape
 * codes and all (an empty row as one space: an empty Text takes no row), so Ink tokenizes and
 * lays out the same text without the app. `frames()` gives the frames to show, in turn.
 */
export function bareSide(width: number, height: number, frames: () => readonly string[]): FrameSide {
  let i = 0;
  let lines: string[] = [' '];
  const { term, app } = mount(width, height, <Bare lines={lines} width={width} height={height} />);
  return {
    next: () => {
      const all = frames();
      lines = all[i++ % all.length]!.split('\n').map((l) => l || ' ');
    },
    frame: () => app.rerender(<Bare lines={lines} width={width} height={height} />),
    same: () => app.rerender(<Bare lines={lines} width={width} height={height} />),
    last: () => term.last,
  };
}
