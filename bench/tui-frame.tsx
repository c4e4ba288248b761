/**
 * The frame bench's workload, bundled once per Ink build (bench/tui-builds.ts): pmuplay's screen
 * of a busy world, and a bare Ink tree that shows the same text, each mounted on a fake
 * 160x50 terminal in Ink's debug mode, where every commit lays out and writes its frame at once
 * (no throttle, no diffing against the last frame). A frame is asked for as the App asks for one:
 * a state update in a component above the screen (its `repaint`), which React renders from its
 * scheduler; `frame` and `same` resolve once that render is done.
 *
 * This is the one bench file that reaches into src/tui: when Screen's props or the view change,
 * edit `screenOf` here.
 */
import { FrameRecorder } from '../src/tui/frame-recorder.js';
import { Box, Text, render } from 'ink';
import { type ReactElement, useReducer } from 'react';
import { playLines } from '../src/engine/session.js';
import { applyCommand } from '../src/engine/step.js';
import { createWorld, defaultConfig } from '../src/engine/world.js';
import { Screen, type UiView } from '../src/tui/Screen.js';
import { type WorldView, viewOf } from '../src/tui/view.js';


/** One side of the frame bench. `next` (not timed) moves to new content; `frame` renders it;
 * `same` renders again with nothing changed (the very same props below the repainting host). */
export interface FrameSide {
  next(): void;
  frame(): Promise<void>;
  same(): Promise<void>;
  /** The last frame written, as Ink made it (lines joined by \n). */
  last(): string;
}

/**
 * `draw()` mounted under a host that re-renders when repainted, as the App's repaint does.
 * `repaint` resolves when the host has rendered again (React renders a state update from its
 * scheduler, an immediate): a bench waits for the effect, not for a time.
 */
function mount(width: number, height: number, draw: () => ReactElement) {
  const term = new FrameRecorder(width, height, 1);
  let renders = 0;
  let ask = () => {};
  function Host() {
    const [, repaint] = useReducer((n: number) => n + 1, 0);
    ask = repaint;
    renders++;
    return draw();
  }
  render(<Host />, { stdout: term.stream, debug: true, patchConsole: false, exitOnCtrlC: false });
  const repaint = async () => {
    const before = renders;
    ask();
    while (renders === before) await new Promise((resolve) => setImmediate(resolve));
  };
  return { term, repaint };
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
  const { term, repaint } = mount(width, height, () => screenOf(view, width, height));
  return {
    next: () => void applyCommand(world, { kind: 'tick', n: 1 }),
    frame: () => {
      view = viewOf(world, 200);
      return repaint();
    },
    same: repaint,
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
  const { term, repaint } = mount(width, height, () => <Bare lines={lines} width={width} height={height} />);
  return {
    next: () => {
      const all = frames();
      lines = all[i++ % all.length]!.split('\n').map((l) => l || ' ');
    },
    frame: repaint,
    same: repaint,
    last: () => term.last,
  };
}
