/**
 * A long playground session at max pace, as the TUI runs it (the Playground's pump in a loop,
 * a real recorder writing its file) but without drawing, with the resident set sampled as it
 * goes. With the V8 flags the CLI runs with (src/cli.ts):
 * `node --heap-growing-percent=20 --max-semi-space-size=2 --import tsx tools/soak.ts [SECONDS] [FILE]`.
 * The README's figure is the real TUI's, sampled from /proc in tmux; this isolates the engine.
 */
import { parseCommand } from '../src/engine/parse.js';
import { Timeline } from '../src/engine/timeline.js';
import { defaultConfig } from '../src/engine/world.js';
import { Recorder } from '../src/recorder.js';
import { Playground } from '../src/tui/playground.js';
import { starterLines } from '../src/tui/starter.js';

const seconds = Number(process.argv[2] ?? 600);
const path = process.argv[3] ?? `${process.env['TMPDIR'] ?? '/tmp'}/pmuplay-soak.pmu`;
const timeline = new Timeline(defaultConfig);
const recorder = Recorder.open(path, defaultConfig, { overwrite: true });
if (typeof recorder === 'string') throw new Error(recorder);
for (const line of starterLines) {
  const r = parseCommand(line);
  if (r.ok && r.command && timeline.apply(r.command).ok) recorder.command(line, timeline.world);
}
const pg = new Playground(timeline, () => performance.now(), recorder);
// The starter world and a mapped event: a leak on every switch, findings and log lines all along.
pg.input(':mmap 100 3\r', {});
pg.input('', { escape: true });
for (let i = 0; i < 7; i++) pg.input('+', {});
pg.input(' ', {});
const mb = (n: number) => (n / 2 ** 20).toFixed(0);
const start = performance.now();
let nextSample = start;
let peak = 0;
const turn = () => {
  pg.pump();
  const now = performance.now();
  if (now >= nextSample) {
    const m = process.memoryUsage();
    peak = Math.max(peak, m.rss);
    console.log(`${((now - start) / 1000).toFixed(0).padStart(4)} s  tick ${timeline.world.tick}  steps ${timeline.position}  rss ${mb(m.rss)} MiB  heap ${mb(m.heapUsed)} MiB`);
    nextSample += 10_000;
  }
  if (now - start < seconds * 1000) setImmediate(turn);
  else {
    pg.close();
    recorder.close(timeline.world);
    console.log(`peak rss ${mb(peak)} MiB over ${seconds} s; ${timeline.world.tick} ticks; recording ${path}`);
  }
};
turn();
