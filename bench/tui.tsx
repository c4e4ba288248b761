/**
 * `npm run bench`, TUI part: the time to render one frame (8 CPUs, 64 tasks, 160x50), and the
 * time from starting the built pmuplay in a terminal to its first frame. Figures, not tests.
 */
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { render } from 'ink';
import { playLines } from '../src/engine/session.js';
import { applyCommand } from '../src/engine/step.js';
import { createWorld, defaultConfig } from '../src/engine/world.js';
import { Screen } from '../src/tui/Screen.js';
import { viewOf } from '../src/tui/view.js';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

// 1. One frame of the live app: a re-render of a mounted Ink tree with a new view, through
// layout to the frame written out (Ink's debug mode renders each update at once).
class FakeTerminal extends EventEmitter {
  columns = 160;
  rows = 50;
  isTTY = true;
  frames = 0;
  write(_s: string): boolean {
    this.frames++;
    return true;
  }
}
const world = createWorld({ ...defaultConfig, cpus: 8, seed: 2026 });
let setup = '';
for (let i = 0; i < 64; i++) setup += `spawn t${i}\nopen ${100 + i} cycles user\nmmap ${100 + i} 3\n`;
playLines(world, setup);
const ui = { mode: 'normal' as const, line: '', cursor: 0, message: null, caption: 'bench', running: true, pace: 'max' };
const term = new FakeTerminal();
const frameOf = () => <Screen view={viewOf(world, 200)} ui={ui} width={160} height={50} color={true} />;
const app = render(frameOf(), { stdout: term as unknown as NodeJS.WriteStream, debug: true, patchConsole: false, exitOnCtrlC: false });
const times: number[] = [];
for (let i = 0; i < 300; i++) {
  applyCommand(world, { kind: 'tick', n: 1 });
  const start = performance.now();
  app.rerender(frameOf());
  times.push(performance.now() - start);
}
app.unmount();
const warm = times.slice(20);
console.log(`frame (8 CPUs, 64 tasks, 160x50, live re-render): median ${median(warm).toFixed(2)} ms, worst ${Math.max(...warm).toFixed(2)} ms over ${warm.length} frames, ${term.frames} frames written (aim: median <= 8 ms)`);

// 2. Start to first frame: the built CLI in a pseudo-terminal (util-linux script), timed until
// the header appears on its output.
async function firstFrame(command: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn('script', ['-qfec', `stty cols 120 rows 40; exec ${command}`, '/dev/null'], { env: { ...process.env, NO_COLOR: '1' } });
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no frame in 10 s: ${out.slice(0, 200)}`));
    }, 10_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('pmuplay  design')) {
        const ms = performance.now() - start;
        clearTimeout(timer);
        child.kill('SIGTERM');
        resolve(ms);
      }
    });
  });
}
const starts: number[] = [];
const bare: number[] = [];
for (let i = 0; i < 7; i++) {
  starts.push(await firstFrame('node dist/cli.js'));
  // The same harness (script, sh, stty) starting a bare node that prints the header at once.
  bare.push(await firstFrame(`node -e "process.stdout.write('pmuplay  design'); setTimeout(() => {}, 5000)"`));
}
const m = median(starts);
const b = median(bare);
console.log(`start to first frame (bundled dist/cli.js): median ${m.toFixed(0)} ms, worst ${Math.max(...starts).toFixed(0)} ms over ${starts.length} starts; the harness with a bare node: ${b.toFixed(0)} ms, so pmuplay's own ${(m - b).toFixed(0)} ms (aim: <= 400 ms)`);
process.exit(0);
