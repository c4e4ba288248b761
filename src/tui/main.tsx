/**
 * Starting and leaving the TUI: the alternate screen while it runs, and the terminal put back
 * (main screen, cursor shown) however it ends — quit, Ctrl-C, a signal, or a crash.
 */
import { render } from 'ink';
import { playLines } from '../engine/session.js';
import { type Config, createWorld } from '../engine/world.js';
import { App } from './App.js';
import { starterCaption, starterLines } from './starter.js';

const enterAlt = '\x1b[?1049h\x1b[H';
const leaveAlt = '\x1b[?25h\x1b[?1049l';

export async function startTui(config: Config): Promise<number> {
  const world = createWorld(config);
  playLines(world, starterLines.join('\n'));
  const color = !process.env['NO_COLOR'];
  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    process.stdout.write(leaveAlt);
  };
  process.on('exit', restore);
  for (const signal of ['SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      restore();
      process.exit(128 + (signal === 'SIGTERM' ? 15 : 1));
    });
  }
  process.on('uncaughtException', (e) => {
    restore();
    process.stderr.write(`pmuplay crashed: ${e.stack ?? e.message}\n`);
    process.exit(70);
  });
  process.stdout.write(enterAlt);
  const app = render(<App world={world} color={color} caption={starterCaption} />, { exitOnCtrlC: true, patchConsole: true });
  await app.waitUntilExit();
  restore();
  return 0;
}
