/**
 * The frames of fixed worlds, byte for byte as Ink writes them (colours on), kept as files:
 * any change to how a frame is drawn — a faster Screen, memoized panes, Ink's output stage
 * patched — must leave every byte the same, or change these files on purpose.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { FrameRecorder } from './frame-recorder.js';
import type { UiView } from './Screen.js';

// Colours on, whatever the terminal running the tests: set before chalk is loaded (this file's
// modules are its own), so the frames hold the escape codes a terminal gets.
process.env['FORCE_COLOR'] = '1';
afterAll(() => void delete process.env['FORCE_COLOR']);
const { render } = await import('ink');
const { Screen } = await import('./Screen.js');
const { viewOf } = await import('./view.js');
const { play } = await import('../engine/session.js');
const { pageLines } = await import('./playback.js');
const { allLog } = await import('./keys.js');
const { starterLines } = await import('./starter.js');

const base: UiView = { mode: 'normal', line: '', cursor: 0, message: null, caption: null, running: false, pace: '2/s' };
const starter = starterLines.join('\n');
let big = '';
for (let i = 0; i < 64; i++) big += `spawn t${i}\nopen ${100 + i} cycles user\nmmap ${100 + i} 3\n`;

const cases: { name: string; script: string; config?: object; width: number; height: number; ui?: Partial<UiView>; color?: boolean; page?: 'findings' }[] = [
  { name: 'starter-leak-80x24', script: `${starter}\nmmap 100 3\ntick 3`, width: 80, height: 24 },
  { name: 'starter-leak-80x24-no-color', script: `${starter}\nmmap 100 3\ntick 3`, width: 80, height: 24, color: false },
  {
    name: 'caption-scrolled-filtered-120x36',
    script: `${starter}\nmmap 100 3\ntick 40\nmsr 100 pmselr 5`,
    width: 120,
    height: 36,
    ui: { caption: 'A caption long enough to wrap: '.repeat(6) + 'wide 漢字 and an escape \x1b[2J here.', log: { ...allLog, scroll: 5, cpu: 0 }, running: true, pace: 'max', recording: 'x.pmu', message: { text: 'mmap: bad fd', error: true } },
  },
  { name: 'eight-cpus-64-tasks-160x50', script: big, config: { cpus: 8, seed: 2026 }, width: 160, height: 50, ui: { mode: 'input', line: 'mmap 100 3', cursor: 4 } },
  { name: 'findings-page-100x30', script: 'spawn app on 0\nthread 100 on 1\nspawn other on 2\nspawn legacy aarch32 on 3\nopen 100 cycles user\nswitch 0 100\nmmap 100 3\ntick 3', width: 100, height: 30, page: 'findings' },
  { name: 'help-page-80x24', script: starter, width: 80, height: 24, ui: { mode: 'page', page: { lines: null, selected: null } } },
];

describe('frames of fixed worlds', () => {
  it.each(cases)('$name is drawn byte for byte as before', async ({ name, script, config, width, height, ui, color, page }) => {
    const { world } = play(script, config ?? {});
    const pageUi: Partial<UiView> = page ? { mode: 'page', page: pageLines({ kind: 'findings', selected: 2 }, world) } : {};
    const term = new FrameRecorder(width, height);
    const app = render(<Screen view={viewOf(world, 200)} ui={{ ...base, ...ui, ...pageUi }} width={width} height={height} color={color ?? true} />, {
      stdout: term.stream,
      debug: true,
      patchConsole: false,
      exitOnCtrlC: false,
    });
    app.unmount();
    const frame = term.frames[0]!;
    expect(frame).toContain(color === false ? 'pmuplay' : '\x1b[');
    await expect(frame).toMatchFileSnapshot(`__frames__/${name}.ansi`);
  });
});
