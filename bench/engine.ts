/**
 * `npm run bench`: engine speed and memory, printed as figures and ratios from one run.
 * Not a test: nothing here passes or fails.
 */
import { createActor } from 'xstate';
import { engineStats } from '../src/engine/stats.js';
import { playLines } from '../src/engine/session.js';
import { serialize } from 'node:v8';
import { parseScript } from '../src/engine/script.js';
import { recordCommands } from '../src/engine/session.js';
import { checkpointEvery } from '../src/recorder.js';
import { copyWorld as snapshotWorld } from '../src/engine/snapshot.js';
import { applyCommand } from '../src/engine/step.js';
import { Timeline, snapshotEveryDefault, snapshotsKeptDefault } from '../src/engine/timeline.js';
import { generateWorkload } from '../src/engine/workload.js';
import { type Config, createWorld, defaultConfig } from '../src/engine/world.js';
import { taskMachine } from '../src/machines/task-machine.js';

const rounds = 5;
const config: Config = { ...defaultConfig, cpus: 8, seed: 2026 };

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);

// 1. Commands per second on a fixed seeded workload.
const t0 = performance.now();
const commands = generateWorkload({ seed: 2026, commands: 200_000, tasks: 64, config });
const genMs = performance.now() - t0;
const kinds = new Set(commands.map((c) => c.kind));
console.log(`workload: ${commands.length} commands of ${kinds.size} kinds, 8 CPUs, 64 tasks (generated in ${(genMs / 1000).toFixed(1)} s)`);

const rates: number[] = [];
const perEvent: number[] = [];
let rejected = 0;
let heapSamples: number[] = [];
let peakRss = 0;
for (let r = 0; r < rounds; r++) {
  gc();
  const world = createWorld(config);
  const sentBefore = engineStats.machineEvents;
  const samples: number[] = [];
  rejected = 0;
  const start = performance.now();
  for (let i = 0; i < commands.length; i++) {
    if (!applyCommand(world, commands[i]!).ok) rejected++;
    if (r === 0 && i % 50_000 === 49_999) {
      gc();
      samples.push(process.memoryUsage().heapUsed);
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }
  }
  const ms = performance.now() - start;
  if (r === 0) heapSamples = samples;
  rates.push(commands.length / (ms / 1000));
  perEvent.push((ms * 1e6) / (engineStats.machineEvents - sentBefore));
  if (r === 0) console.log(`machine events sent: ${engineStats.machineEvents - sentBefore} (${((engineStats.machineEvents - sentBefore) / commands.length).toFixed(2)} per command); rejected commands: ${rejected}`);
}

// 2. A bare actor.send loop in the same process, on the task machine.
const actor = createActor(taskMachine, { input: { arch: 'aarch64' } }).start();
const bare: number[] = [];
for (let r = 0; r < rounds; r++) {
  const n = 500_000;
  const start = performance.now();
  for (let i = 0; i < n; i++) actor.send({ type: i % 2 === 0 ? 'task.run' : 'task.preempt' });
  bare.push(((performance.now() - start) * 1e6) / n);
}

const rate = median(rates);
const eventNs = median(perEvent);
const bareNs = median(bare);
console.log(`engine: ${Math.round(rate).toLocaleString('en')} commands/s (median of ${rounds}; aim >= 100,000)`);
console.log(`engine time per machine event: ${Math.round(eventNs)} ns; bare actor.send: ${Math.round(bareNs)} ns; ratio ${(eventNs / bareNs).toFixed(2)} (aim <= 2)`);

// 3. One tick over 2^10 and over 2^40 cycles, every task counting cycles and instructions.
// With 32-bit events 2^40 cycles means ~512 wraps per counter, each an interrupt: the cost
// follows the overflows. With 64-bit events on 64-bit counters nothing wraps, and 2^40 cycles
// should cost what 2^10 does.
function tickTime(cyclesPerTick: bigint, longCounters: boolean, reps: number): { us: number; overflows: number } {
  const world = createWorld({ ...config, cyclesPerTick, longCounters });
  const width = longCounters ? ' 64bit' : '';
  let setup = '';
  for (let i = 0; i < 64; i++) setup += `spawn t${i}\nopen ${100 + i} cycles user${width}\nopen ${100 + i} instructions user${width}\nmmap ${100 + i} 3\n`;
  playLines(world, setup);
  const times: number[] = [];
  let overflows = 0;
  for (let i = 0; i < reps; i++) {
    const before = engineStats.pmuInterrupts;
    const start = performance.now();
    applyCommand(world, { kind: 'tick', n: 1 });
    times.push(performance.now() - start);
    overflows += engineStats.pmuInterrupts - before;
  }
  return { us: median(times) * 1000, overflows: overflows / reps };
}
for (const long of [false, true]) {
  const small = tickTime(1n << 10n, long, 200);
  const large = tickTime(1n << 40n, long, long ? 200 : 10);
  const per = large.overflows > 0 ? `, ${Math.round(large.overflows)} PMU interrupts per tick, ${(large.us / large.overflows).toFixed(1)} us per interrupt` : '';
  console.log(`tick (8 CPUs, ${long ? '64-bit events, long' : '32-bit events and'} counters): 2^10 cycles ${small.us.toFixed(1)} us; 2^40 cycles ${large.us.toFixed(1)} us; ratio ${(large.us / small.us).toFixed(2)}${per}`);
}

// 4. Recordings: verifying a 200k-command recording (parse, apply, every checkpoint), the
// time of `back 1` at its end, and what the snapshots hold.
{
  const text = recordCommands(config, commands, checkpointEvery);
  const parsed = parseScript(text);
  if (!parsed.ok) throw new Error('the recording does not parse');
  const lines = parsed.script.lines;
  const verify: number[] = [];
  let failed = 0;
  for (let r = 0; r < 3; r++) {
    gc();
    const start = performance.now();
    const again = parseScript(text);
    if (!again.ok) throw new Error('parse');
    const t = new Timeline(config, 0);
    for (const line of again.script.lines) {
      const res = t.apply(line.command);
      if (res.ok && res.check && !res.check.passed) failed++;
    }
    verify.push(commands.length / ((performance.now() - start) / 1000));
  }
  const replayRate = median(verify);
  console.log(`replay verification: ${Math.round(replayRate).toLocaleString('en')} commands/s over ${lines.length} lines (${lines.filter((l) => l.command.kind === 'checkpoint').length} checkpoints, ${failed} failed); ${(100 * replayRate / rate).toFixed(0)}% of the plain engine (aim >= 80%)`);

  const t = new Timeline(config);
  for (const line of lines) t.apply(line.command);
  const backs: number[] = [];
  for (let r = 0; r < 7; r++) {
    const redo = t.history().at(-1)!;
    const start = performance.now();
    t.apply({ kind: 'back', n: 1 });
    backs.push(performance.now() - start);
    t.apply(redo);
  }
  const one = snapshotWorld(t.world);
  const bytes = serialize({ ...one, log: null, findings: null }).length;
  console.log(`back 1 at the end: median ${median(backs).toFixed(1)} ms (aim < 50 ms); snapshots every ${snapshotEveryDefault} commands, ${t.snapshotCount} held (at most ${snapshotsKeptDefault + 1}), ~${(bytes / 1024).toFixed(0)} KiB each serialized, ~${((bytes * t.snapshotCount) / 1024 / 1024).toFixed(1)} MiB in all (log and findings entries are shared, not copied)`);
}

// 5. Memory.
console.log(`heap after GC at 50k/100k/150k/200k commands: ${heapSamples.map(mib).join(' / ')} MiB; peak RSS ${mib(peakRss)} MiB`);
