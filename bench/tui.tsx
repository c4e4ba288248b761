/**
 * `npm run bench`, TUI part: the figures of issue 13, each beside its aim, from rounds that take
 * turns in one run (a baseline and the candidate alternating). Figures, never a pass or fail.
 *
 * - frame: CPU time of one frame of pmuplay's screen (8 CPUs, 64 tasks, 160x50), a new view each
 *   frame and the same view again, beside a bare Ink tree showing the same text, each on the
 *   repo's Ink and on stock Ink (bench/tui-frame.tsx, bench/tui-builds.ts).
 * - fps: frames written per second at max pace in a pty, beside a bare Ink ticker, and how long a
 *   typed key takes to show (bench/pty.ts).
 * - start: spawn to first frame of `node dist/cli.js`, beside a bundled Ink hello-world.
 *
 * BENCH_ONLY=frame,fps,start picks sections (names of the engine bench's sections pick none here).
 * Run alone: `npm run build && node --import tsx bench/tui.tsx`.
 */
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { repoRoot } from './builds.js';
import { aimText, median, num, spread } from './paired.js';
import { Pty } from './pty.js';
import type { FrameSide } from './tui-frame.js';
import { type FpsRound, fpsRound, header, size } from './tui-fps.js';
import { bundle, runDir, stockInk } from './tui-builds.js';

const only = new Set((process.env['BENCH_ONLY'] ?? '').split(',').map((s) => s.trim()).filter(Boolean));
const wants = (section: string) => only.size === 0 || only.has(section);
const ms = (n: number) => `${num(n)} ms`;
const ratio = (n: number) => `${n.toFixed(2)}x`;

// A full GC before each round, as bench/paired.ts does, without asking for node --expose-gc.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** A section's title, and the machine's load as it starts: the wall-time figures follow it. */
function section(title: string): void {
  console.log(`\n${title}\n  load average ${loadavg().map((l) => l.toFixed(2)).join(', ')} on ${availableParallelism()} cores`);
}

/** `rounds` rounds; in each, every contestant runs once, in an order that turns by one a round. */
async function turns<C, R>(contestants: readonly C[], rounds: number, run: (c: C) => R | Promise<R>): Promise<Map<C, R[]>> {
  const out = new Map<C, R[]>(contestants.map((c) => [c, []]));
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < contestants.length; k++) {
      const c = contestants[(r + k) % contestants.length]!;
      out.get(c)!.push(await run(c));
    }
  }
  return out;
}

console.log('pmuplay TUI bench (issue 13): rounds take turns in one run; a figure is the median (min–max) of its rounds.');
const dir = runDir();

// --- 1. Frame cost ------------------------------------------------------------------------------

if (wants('frame')) {
  const framesPerRound = 40;
  const rounds = 9;
  section(`frame: pmuplay's screen of 8 CPUs x 64 tasks at ${size.columns}x${size.rows} on a fake terminal in Ink's debug mode (each commit lays out and
  writes its whole frame at once), repainted as the App repaints: a state update in a component above the screen.
  CPU time (process.cpuUsage, user + system) per frame; ${rounds} rounds of ${framesPerRound} frames per contestant after a full GC;
  a round's figure is its median frame, its worst is its slowest frame.
  new view: one tick, then the view built (viewOf) and rendered, as the App does each frame at max pace.
  unchanged: repainted with nothing changed: the screen gets the very same props (a frame where nothing changed).
  bare Ink: a <Box> column of one <Text> a row holding the text pmuplay wrote in that row, SGR codes and all:
  the same text through Ink, without the app's components, layout or view building.
  repo Ink = node_modules/ink (patches/ink+6.8.0.patch applied); stock Ink = that patch taken back out.`);
  // Colour on, as in a terminal: the bundles' chalk reads this as it loads.
  process.env['FORCE_COLOR'] = '1';
  const entry = join(repoRoot, 'bench', 'tui-frame.tsx');
  type FrameModule = typeof import('./tui-frame.js');
  const load = async (file: string) => (await import(pathToFileURL(file).href)) as FrameModule;
  const [repoInk, stock] = await Promise.all([
    bundle(entry, join(dir, 'frame-repo-ink.mjs')).then(load),
    bundle(entry, join(dir, 'frame-stock-ink.mjs'), { ink: stockInk() }).then(load),
  ]);
  // The bare sides show the frames the repo-Ink pmuplay wrote last.
  let recent: string[] = [];
  const sides: { name: string; side: FrameSide; records?: boolean }[] = [
    { name: 'pmuplay, repo Ink', side: repoInk.appSide(size.columns, size.rows), records: true },
    { name: 'bare Ink, repo Ink', side: repoInk.bareSide(size.columns, size.rows, () => recent) },
    { name: 'pmuplay, stock Ink', side: stock.appSide(size.columns, size.rows) },
    { name: 'bare Ink, stock Ink', side: stock.bareSide(size.columns, size.rows, () => recent) },
  ];
  type Side = (typeof sides)[number];
  /** CPU and wall ms of each of `n` frames. */
  const measure = async (s: Side, n: number, unchanged: boolean) => {
    const cpu: number[] = [];
    const wall: number[] = [];
    const written: string[] = [];
    gc();
    for (let i = 0; i < n; i++) {
      if (!unchanged) s.side.next();
      const c0 = process.cpuUsage();
      const w0 = performance.now();
      await (unchanged ? s.side.same() : s.side.frame());
      wall.push(performance.now() - w0);
      const c = process.cpuUsage(c0);
      cpu.push((c.user + c.system) / 1000);
      if (s.records && !unchanged) written.push(s.side.last());
    }
    if (s.records && !unchanged) recent = written;
    return { cpu, wall };
  };
  // Warm-up: every side renders a round's worth untimed (the JIT, and the bare sides' frames).
  for (const s of sides) await measure(s, framesPerRound, false);
  const fresh = await turns(sides, rounds, (s) => measure(s, framesPerRound, false));
  const same = await turns(sides, rounds, (s) => measure(s, framesPerRound, true));
  const medianOf = (runs: { cpu: number[] }[]) => runs.map((r) => median(r.cpu));
  const worstOf = (runs: { cpu: number[] }[]) => runs.map((r) => Math.max(...r.cpu));
  const pad = Math.max(...sides.map((s) => s.name.length));
  for (const s of sides) {
    const f = fresh.get(s)!;
    const u = same.get(s)!;
    const wall = (pick: (xs: number[]) => number) => spread(f.map((r) => pick(r.wall)), ms);
    console.log(`  ${s.name.padEnd(pad)}  new view: median ${spread(medianOf(f), ms)}, worst ${spread(worstOf(f), ms)} (wall: median ${wall(median)}, worst ${wall((xs) => Math.max(...xs))});  unchanged: median ${spread(medianOf(u), ms)}`);
  }
  const [app, bare, stockApp, stockBare] = sides.map((s) => ({ fresh: medianOf(fresh.get(s)!), same: medianOf(same.get(s)!), worst: worstOf(fresh.get(s)!) }));
  /** Per-round ratios of two contestants' round medians (round r of each). */
  const per = (a: number[], b: number[]) => a.map((x, i) => x / b[i]!);
  console.log(`  pmuplay (repo Ink), new view: median ${ms(median(app!.fresh))}, ${aimText(median(app!.fresh), { op: '<=', target: 5, fmt: ms })}`);
  // CPU time counts V8's GC helper threads too: a frame with a scavenge costs more CPU than wall.
  console.log(`  pmuplay (repo Ink), new view: worst ${ms(median(app!.worst))} of CPU (median of the rounds' worst; the GC's helper threads count), ${aimText(median(app!.worst), { op: '<=', target: 15, fmt: ms })}`);
  console.log(`  pmuplay (repo Ink), unchanged: median ${ms(median(app!.same))}, aim ~0 (${(median(app!.same) / median(app!.fresh) * 100).toFixed(0)}% of a new view's)`);
  console.log(`  pmuplay / bare Ink (repo Ink), new view: ${spread(per(app!.fresh, bare!.fresh), ratio)}; unchanged: ${spread(per(app!.same, bare!.same), ratio)}`);
  console.log(`  repo Ink / stock Ink, new view: pmuplay ${spread(per(app!.fresh, stockApp!.fresh), ratio)}, bare ${spread(per(bare!.fresh, stockBare!.fresh), ratio)}; unchanged: pmuplay ${spread(per(app!.same, stockApp!.same), ratio)}`);
  const a = sides[0]!.side.last();
  const b = sides[2]!.side.last();
  console.log(`  last frame of pmuplay on repo Ink vs stock Ink: ${a === b ? `byte-identical (${a.length} characters)` : 'DIFFERENT'}`);
}

// --- 2. Frames per second in a terminal ----------------------------------------------------------

if (wants('fps')) {
  const rounds = 3;
  const windowMs = 3000;
  section(`fps: frames written per second in a ${size.columns}x${size.rows} pty (util-linux script, TERM=xterm-256color) over ${windowMs / 1000} s, ${rounds} rounds.
  A frame is one occurrence of the header text "${header}" in the output (every frame rewrites the header, whose tick
  changes; it agrees with the count of Ink's synchronized-update openings). pmuplay: ${'`node dist/cli.js --cpus 8`'}, 64 tasks typed in
  (spawn, open, mmap), then space and + to max pace. Ticker: a bundled bare Ink program that re-renders a screen
  of new text every 33 ms, as pmuplay's App asks for frames (bench/ink-bare.tsx): Ink's own pace, no app work. CPU: the program's, a share of one core.
  Echo: from a letter written to the pty until the command line shows it, 10 letters a round, typed at max pace.`);
  const stockCli = join(dir, 'cli-stock-ink.js');
  const bare = join(dir, 'ink-bare.js');
  await Promise.all([
    bundle(join(repoRoot, 'src', 'cli.ts'), stockCli, { ink: stockInk(), shipped: true }),
    bundle(join(repoRoot, 'bench', 'ink-bare.tsx'), bare, { shipped: true }),
  ]);
  const contestants = [
    { name: 'Ink ticker', program: `node ${bare} ticker`, pmuplay: false },
    { name: 'pmuplay, stock Ink', program: `node ${stockCli} --cpus 8`, pmuplay: true },
    { name: 'pmuplay (dist/cli.js)', program: 'node dist/cli.js --cpus 8', pmuplay: true },
  ];
  const results = await turns(contestants, rounds, (c) => fpsRound(c.program, c.pmuplay, windowMs));
  const pad = Math.max(...contestants.map((c) => c.name.length));
  for (const c of contestants) {
    const all = results.get(c)!;
    const ok = all.filter((r): r is FpsRound => typeof r !== 'string');
    for (const r of all) if (typeof r === 'string') console.log(`  ${c.name}: a round failed: ${r}`);
    if (ok.length === 0) continue;
    const shares = ok.map((r) => r.cpuShare).filter((s): s is number => s !== null);
    console.log(`  ${c.name.padEnd(pad)}  ${spread(ok.map((r) => r.fps), num)} fps; between frames median ${spread(ok.map((r) => r.gapMedian), ms)}, worst ${spread(ok.map((r) => r.gapWorst), ms)}; ${spread(ok.map((r) => r.charsPerFrame), num)} characters a frame${shares.length ? `; CPU ${spread(shares.map((s) => s * 100), num)}%` : ''}`);
  }
  const ours = results.get(contestants[2]!)!.filter((r): r is FpsRound => typeof r !== 'string');
  if (ours.length > 0) {
    const fps = median(ours.map((r) => r.fps));
    console.log(`  pmuplay at max pace: ${num(fps)} fps, ${aimText(fps, { op: '>=', target: 29, fmt: num })} (Ink's default maxFps is 30)`);
    const echo = ours.flatMap((r) => r.echo);
    if (echo.length > 0) {
      console.log(`  keystroke echo at max pace: median ${ms(median(echo))}, worst ${ms(Math.max(...echo))} over ${echo.length} keys, ${aimText(median(echo), { op: '<=', target: 33, fmt: ms })} (one frame)`);
    }
  }
}

// --- 3. First frame ----------------------------------------------------------------------------

if (wants('start')) {
  const rounds = 7;
  section(`start: spawn to first frame in a ${size.columns}x${size.rows} pty, ${rounds} rounds (wall time: the CPU a start costs is spread over processes).
  pmuplay: \`node dist/cli.js\` until "${header}" shows. Ink hello-world: bench/ink-bare.tsx bundled as dist/cli.js is (tools/build-options.mjs),
  one <Text>, until its text shows. bare node: the same harness (script, sh, stty) starting \`node -e\` that writes the text at once.`);
  const bare = join(dir, 'ink-bare.js');
  await bundle(join(repoRoot, 'bench', 'ink-bare.tsx'), bare, { shipped: true });
  const contestants = [
    { name: 'bare node', program: `node -e "process.stdout.write('hello from node'); setTimeout(() => {}, 60000)"`, marker: 'hello from node' },
    { name: 'Ink hello-world', program: `node ${bare}`, marker: 'hello from Ink' },
    { name: 'pmuplay', program: 'node dist/cli.js', marker: header },
  ];
  const results = await turns(contestants, rounds, async (c) => {
    const pty = new Pty(c.program, size);
    try {
      const at = await pty.waitFor(c.marker, 0, 20_000);
      return at === null ? NaN : at - pty.started;
    } finally {
      pty.close();
    }
  });
  const pad = Math.max(...contestants.map((c) => c.name.length));
  for (const c of contestants) console.log(`  ${c.name.padEnd(pad)}  ${spread(results.get(c)!, ms)}`);
  const [node, hello, ours] = contestants.map((c) => results.get(c)!);
  const perRound = ours!.map((t, i) => t / hello![i]!);
  console.log(`  pmuplay / Ink hello-world, per round: ${spread(perRound, ratio)}, ${aimText(median(perRound), { op: '<=', target: 1.2, fmt: ratio, ratio: true })}`);
  console.log(`  pmuplay: ${ms(median(ours!))}, ${aimText(median(ours!), { op: '<=', target: 300, fmt: ms })}; the harness with a bare node ${ms(median(node!))}`);
}
process.exit(0);
