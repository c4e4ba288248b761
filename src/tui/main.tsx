/**
 * Starting and leaving the TUI: the alternate screen while it runs, and the terminal put back
 * (main screen, cursor shown) however it ends — quit, Ctrl-C, a signal, or a crash.
 */
import { render } from 'ink';
import type { ReactElement } from 'react';
import { parseCommand } from '../engine/parse.js';
import type { Script } from '../engine/script.js';
import { Timeline } from '../engine/timeline.js';
import type { Config } from '../engine/world.js';
import { type Recorder, saveRecording } from '../recorder.js';
import { App } from './App.js';
import { Player } from './player.js';
import { Playground, type SaveFile } from './playground.js';
import { Replay } from './replay.js';
import { starterHint, starterLines } from './starter.js';

const enterAlt = '\x1b[?1049h\x1b[H';
const leaveAlt = '\x1b[?25h\x1b[?1049l';

/** `onExit` runs however the session ends; what it returns is printed on the main screen
 * once the terminal is back (on stderr: it is a note, not output). */
async function onTerminal(app: () => ReactElement, onExit: () => string | void): Promise<number> {
  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    const note = onExit();
    process.stdout.write(leaveAlt);
    if (note) process.stderr.write(note + '\n');
  };
  process.on('exit', restore);
  let instance: ReturnType<typeof render> | null = null;
  // The keys Ctrl-C and q quit through the app; these are the signals (kill -INT too). The
  // event loop is never held longer than a slice, so they are answered at once. Ink draws its
  // last frame as it unmounts: on the alternate screen, before it is left, so the main screen
  // gets nothing.
  const signals = { SIGINT: 2, SIGTERM: 15, SIGHUP: 1 } as const;
  for (const [signal, number] of Object.entries(signals)) {
    process.on(signal, () => {
      instance?.unmount();
      restore();
      process.exit(128 + number);
    });
  }
  process.on('uncaughtException', (e) => {
    restore();
    process.stderr.write(`pmuplay crashed: ${e.stack ?? e.message}\n`);
    process.exit(70);
  });
  process.stdout.write(enterAlt);
  // maxFps 60: Ink 6.8's throttle at its default 30 lets through only every other frame of a
  // 33 ms repaint (docs/ink-upstream/maxfps-throttle.md); the App paces frames itself.
  instance = render(app(), { exitOnCtrlC: true, patchConsole: true, maxFps: 60 });
  await instance.waitUntilExit();
  restore();
  return 0;
}

const color = () => !process.env['NO_COLOR'];

/** The playground on the starter world; every step goes to `recorder` too. */
export async function startTui(config: Config, recorder: Recorder | null): Promise<number> {
  const timeline = new Timeline(config);
  for (const line of starterLines) {
    const r = parseCommand(line);
    if (r.ok && r.command && timeline.apply(r.command).ok) recorder?.command(line, timeline.world);
  }
  // Saving over the file the session records to would cut the recording off: the recorder
  // would go on writing to the file renamed away.
  const save: SaveFile = (path, text, overwrite) =>
    recorder?.writes(path) ? { kind: 'failed', message: `cannot save to ${path}: it is this session's recording (--record), written as the session goes` } : saveRecording(path, text, { overwrite });
  const playground = new Playground(timeline, () => performance.now(), recorder ?? undefined, save, starterHint);
  return onTerminal(
    () => <App driver={playground} color={color()} recording={recorder?.path ?? null} />,
    () => {
      playground.close();
      if (!recorder) return;
      recorder.close(timeline.world);
      return `pmuplay: recorded ${timeline.position} steps to ${recorder.path} (play it: pmuplay replay ${recorder.path})`;
    },
  );
}

/** `pmuplay replay FILE`: play a recording, with stepping back and checkpoint checks. */
export async function startReplay(name: string, overrides: Partial<Config>, script: Script, demo = false): Promise<number> {
  const replay = new Replay(new Player(overrides, script), name, demo, () => performance.now());
  return onTerminal(() => <App driver={replay} color={color()} />, () => {});
}
