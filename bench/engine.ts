/**
 * `npm run bench` (the engine half): the figures of issue 9, each beside its aim, from paired
 * rounds of a baseline build and the working tree's build (the candidate) in one process. Not a
 * test: nothing here passes or fails; a missed aim prints the figure and the shortfall.
 *
 * Environment: BASELINE_REF (a git ref, default c75e571), BENCH_ONLY (a comma-separated list of
 * sections: engine, xstate, copy, tick, run, replay, session, ticks), BENCH_LONG_BASELINE=1 (run
 * the two long sections, the 1M-command session and the 10M ticks, on the baseline too; by
 * default they run on the candidate only, as each takes minutes on the baseline).
 */
import { Session } from 'node:inspector/promises';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { BenchCommand, BenchConfig, BenchTimeline } from './adapters/types.js';
import { type Build, cached, loadBuilds } from './builds.js';
import {
  type Side, aimText, cpuMicros, gc, int, median, mib, micros, num, pairedLines, pairedPerOp, pairedRounds, spread,
} from './paired.js';
import type { RunDone, RunJob } from './run-worker.js';

const benchStart = performance.now();
const only = new Set((process.env['BENCH_ONLY'] ?? '').split(',').map((s) => s.trim()).filter(Boolean));
const wants = (section: string) => only.size === 0 || only.has(section);
const longBaseline = process.env['BENCH_LONG_BASELINE'] === '1';

/** The bench world: 8 CPUs, and the workload keeps 64 tasks alive. */
const benchConfig: BenchConfig = { cpus: 8, seed: 2026 };
const workloadCommands = 200_000;
/** The 1M-command session needs 1M commands kept in its history; about 17% of the workload is rejected or only observes. */
const sessionCommands = 1_000_000;
const longWorkloadCommands = 1_300_000;
const enginePairs = 5;
/** Pairs for the short operations (a copy, a hash, a tick, back 1): cheap, and the machine is noisy. */
const shortPairs = 11;

function section<T>(title: string, body: () => T): T {
  console.log(`\n${title}`);
  const start = performance.now();
  const out = body();
  const done = () => console.log(`  [${((performance.now() - start) / 1000).toFixed(0)} s]`);
  if (out instanceof Promise) return out.finally(done) as T;
  done();
  return out;
}

const heapUsed = () => process.memoryUsage().heapUsed;
const plural = (n: number, one: string, many = `${one}s`) => `${int(n)} ${n === 1 ? one : many}`;

// --- Builds and workload ---------------------------------------------------------------------

const builds = await loadBuilds();
const sides: [Side, Side] = [
  { name: 'baseline', adapter: builds.baseline.adapter },
  { name: 'candidate', adapter: builds.candidate.adapter },
];
const [baseline, candidate] = sides;
const buildOf = new Map<Side, Build>([[baseline, builds.baseline], [candidate, builds.candidate]]);

console.log('pmuplay engine bench: paired rounds (baseline, candidate, baseline, …) in one process; each round CPU time');
console.log('(process.cpuUsage(), user + system) after a full GC; figures are median (min–max) of the rounds, and');
console.log('candidate/baseline is the median (min–max) of the per-pair ratios. Both builds are bundled by esbuild the same way.');
console.log(`baseline:  ${builds.baseline.description}`);
console.log(`candidate: ${builds.candidate.description}`);

/**
 * The long workload, from the cache (made by the baseline when missing). Held only while it is
 * used: 1.3M commands on the heap make every major GC slower, and so every figure of an
 * operation that allocates (a copy, a hash, back 1).
 */
const longWorkload = () => cached(`workload-src${builds.baselineSrcTree.slice(0, 12)}-seed${benchConfig.seed}-cpus${benchConfig.cpus}-tasks64-${longWorkloadCommands}.bin`, () => {
  console.log(`generating the workload with the baseline (once; it plays every command as it makes it) …`);
  return builds.baseline.adapter.generateWorkload({ seed: benchConfig.seed, commands: longWorkloadCommands, tasks: 64, config: benchConfig });
});
const { commands, workloadNote } = (() => {
  const w = longWorkload();
  // The generator is prefix-stable: its first 200k commands are the 200k-command workload.
  return {
    commands: w.value.slice(0, workloadCommands) as BenchCommand[],
    workloadNote: `${int(w.value.length)} commands ${w.hit ? 'read from' : 'written to'} ${w.path}`,
  };
})();
console.log(`workload: src/engine/workload.ts, seed ${benchConfig.seed}, ${benchConfig.cpus} CPUs, 64 tasks, made by the baseline; ${workloadNote}.`);
console.log(`The bench workload is its first ${int(commands.length)} commands (${new Set(commands.map((c) => c.kind)).size} kinds); the long session plays on until ${int(sessionCommands)} are kept.`);

// --- Engine ----------------------------------------------------------------------------------

/** Each side's world after the workload: the bench world the copy and hash figures use. */
const benchWorlds = new Map<Side, unknown>();
let engineRates: ReturnType<typeof pairedRounds> | null = null;

if (wants('engine')) {
  engineRates = section(`engine: commands/s over the ${int(commands.length)}-command workload, ${enginePairs} pairs`, () => {
    const rejected = new Map<Side, number>();
    const eventsPerCommand = new Map<Side, number>();
    const p = pairedRounds(sides, enginePairs, (side) => {
      benchWorlds.delete(side);
      const world = side.adapter.createWorld(benchConfig);
      const eventsBefore = side.adapter.engineCounters?.().machineEvents;
      const us = cpuMicros(() => rejected.set(side, side.adapter.applyCommands(world, commands)));
      const eventsAfter = side.adapter.engineCounters?.().machineEvents;
      if (eventsBefore !== undefined && eventsAfter !== undefined) eventsPerCommand.set(side, (eventsAfter - eventsBefore) / commands.length);
      benchWorlds.set(side, world);
      return commands.length / (us / 1e6);
    });
    for (const line of pairedLines(p, int, ' commands/s')) console.log(line);
    console.log(`  ${aimText(median(p.candidate), { op: '>=', target: 100_000, fmt: (n) => `${int(n)} commands/s` })}`);
    const hashes = sides.map((s) => s.adapter.stateHash(benchWorlds.get(s)));
    console.log(`  rejected commands: baseline ${int(rejected.get(baseline)!)}, candidate ${int(rejected.get(candidate)!)}; state hash after the workload: ${hashes[0] === hashes[1] ? `the same on both sides (${hashes[0]})` : `baseline ${hashes[0]}, candidate ${hashes[1]} (they differ)`}`);
    const events = sides.map((s) => eventsPerCommand.get(s));
    console.log(`  XState machine events per command (src/engine/stats.ts): ${events.map((e, i) => `${sides[i]!.name} ${e === undefined ? 'not counted' : e.toFixed(2)}`).join(', ')}`);
    return p;
  });
}

if (wants('xstate')) {
  await section(`xstate: share of the candidate's CPU time spent inside XState over the workload (V8 CPU profiler, one pass)`, async () => {
    const build = builds.candidateXstateExternal;
    const world = build.adapter.createWorld(benchConfig);
    const session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 250 });
    gc();
    await session.post('Profiler.start');
    build.adapter.applyCommands(world, commands);
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    // Self time per sample: the time until the next sample (as Chrome's profile model counts it).
    const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
    const samples = profile.samples ?? [];
    const deltas = profile.timeDeltas ?? [];
    const bundleUrl = pathToFileURL(build.bundle).href;
    const self = { xstate: 0, engine: 0, gc: 0, other: 0 };
    for (let i = 0; i < samples.length; i++) {
      const node = nodes.get(samples[i]!);
      const dt = deltas[i + 1] ?? 0;
      if (!node || node.callFrame.functionName === '(idle)') continue;
      const url = node.callFrame.url;
      if (url.includes('/node_modules/xstate/')) self.xstate += dt;
      else if (url === bundleUrl) self.engine += dt;
      else if (node.callFrame.functionName === '(garbage collector)') self.gc += dt;
      else self.other += dt;
    }
    const total = self.xstate + self.engine + self.gc + self.other;
    const pct = (x: number) => `${((100 * x) / total).toFixed(0)}%`;
    console.log(`  XState ${pct(self.xstate)} (self time of frames in node_modules/xstate); the engine's own code ${pct(self.engine)}, GC ${pct(self.gc)}, other ${pct(self.other)} (V8 runtime, node:)`);
    console.log(`  ${int(samples.length)} samples, one every ${micros(total / samples.length)} on average (the sampler asks for 250 µs), over ${micros(total)}; the profiled build is the candidate bundled with XState external`);
  });
}

// --- Copy and hash ---------------------------------------------------------------------------

function ensureBenchWorlds(): void {
  for (const side of sides) {
    if (benchWorlds.has(side)) continue;
    const world = side.adapter.createWorld(benchConfig);
    side.adapter.applyCommands(world, commands);
    benchWorlds.set(side, world);
  }
}

if (wants('copy')) {
  section(`copy and state hash of the bench world (the world after the workload), ${shortPairs} pairs`, () => {
    ensureBenchWorlds();
    let sink: unknown = null;
    const copy = pairedPerOp(sides, shortPairs, new Map(sides.map((s) => [s, () => (sink = s.adapter.copyWorld(benchWorlds.get(s)))])));
    console.log(`copy (${plural(copy.repeats, 'copy', 'copies')} a round):`);
    for (const line of pairedLines(copy, micros, ' per copy')) console.log(line);
    console.log(`  ${aimText(median(copy.candidate), { op: '<=', target: 50, fmt: micros })}`);
    const faithful = sides.map((s) => {
      const world = benchWorlds.get(s);
      return s.adapter.stateHash(s.adapter.copyWorld(world)) === s.adapter.stateHash(world);
    });
    const held = sides.map((s) => {
      const copies: unknown[] = [];
      gc();
      const before = heapUsed();
      for (let i = 0; i < 10; i++) copies.push(s.adapter.copyWorld(benchWorlds.get(s)));
      gc();
      return (heapUsed() - before) / copies.length;
    });
    console.log(`  a copy holds ${held.map((b, i) => `${sides[i]!.name} ${int(b / 1024)} KiB`).join(', ')} of heap (10 copies held, after GC); the copy's state hash equals the world's: ${faithful.map((f, i) => `${sides[i]!.name} ${f ? 'yes' : 'NO'}`).join(', ')}`);
    sink = null;

    const hash = pairedPerOp(sides, shortPairs, new Map(sides.map((s) => [s, () => (sink = s.adapter.stateHash(benchWorlds.get(s)))])));
    console.log(`state hash (${plural(hash.repeats, 'hash', 'hashes')} a round):`);
    for (const line of pairedLines(hash, micros, ' per hash')) console.log(line);
    console.log(`  ${aimText(median(hash.candidate), { op: '<=', target: 20, fmt: micros })}`);
    return sink;
  });
}

// --- Tick and run ----------------------------------------------------------------------------

/** 64 tasks, each counting cycles and instructions on 32-bit events, with the page mapped. */
const countingSetup = Array.from({ length: 64 }, (_, i) => `spawn t${i}\nopen ${100 + i} cycles user\nopen ${100 + i} instructions user\nmmap ${100 + i} 3\n`).join('');

if (wants('tick')) {
  section(`tick: one tick over 2^10 and over 2^40 cycles, 32-bit events counting in all 64 tasks on 8 CPUs, ${shortPairs} pairs each`, () => {
    const tick = [{ kind: 'tick', n: 1 }];
    const perSide = (cyclesPerTick: bigint) => new Map(sides.map((s) => {
      const world = s.adapter.createWorld({ ...benchConfig, cyclesPerTick });
      s.adapter.playLines(world, countingSetup);
      return [s, () => void s.adapter.applyCommands(world, tick)] as const;
    }));
    const small = pairedPerOp(sides, shortPairs, perSide(1n << 10n));
    const large = pairedPerOp(sides, shortPairs, perSide(1n << 40n));
    console.log(`tick over 2^10 cycles (${plural(small.repeats, 'tick')} a round):`);
    for (const line of pairedLines(small, micros, ' per tick')) console.log(line);
    console.log(`tick over 2^40 cycles (${plural(large.repeats, 'tick')} a round):`);
    for (const line of pairedLines(large, micros, ' per tick')) console.log(line);
    const irqs = sides.map((s) => {
      const counters = s.adapter.engineCounters;
      if (!counters) return 'not counted';
      const world = s.adapter.createWorld({ ...benchConfig, cyclesPerTick: 1n << 40n });
      s.adapter.playLines(world, countingSetup);
      const before = counters().pmuInterrupts;
      s.adapter.applyCommands(world, tick);
      return int(counters().pmuInterrupts - before);
    });
    console.log(`  PMU interrupts in one 2^40 tick: ${irqs.map((n, i) => `${sides[i]!.name} ${n}`).join(', ')}`);
    for (const s of sides) {
      const ratio = median(large[s.name]) / median(small[s.name]);
      const aim = s === candidate ? `; ${aimText(ratio, { op: '<=', target: 10, fmt: (r) => `${num(r)}x`, ratio: true })}` : '';
      console.log(`  2^40 tick / 2^10 tick, ${s.name}: ${num(ratio)}x${aim}`);
    }
  });
}

const runLimitMs = 5_000;
const run63 = 1n << 63n;
const run40 = 1n << 40n;

/**
 * A worker thread holding one build's run world (bench/run-worker.ts). `run(N)` times one
 * `run N` there; a run that takes longer than `runLimitMs` terminates the worker (null).
 */
class RunWorker {
  private readonly worker: Worker;
  private waiting: ((d: RunDone | null) => void) | null = null;
  private failure: Error | null = null;
  stopped = false;

  constructor(build: Build) {
    const job: RunJob = { bundleUrl: pathToFileURL(build.bundle).href, config: benchConfig, setup: countingSetup };
    this.worker = new Worker(builds.runWorker, { workerData: job, execArgv: [] });
    this.worker.on('message', (d: RunDone) => this.settle(d));
    this.worker.on('error', (e) => {
      this.failure = e;
      this.settle(null);
    });
  }

  private settle(d: RunDone | null): void {
    const w = this.waiting;
    this.waiting = null;
    w?.(d);
  }

  async run(cycles: bigint): Promise<RunDone | null> {
    if (this.stopped) return null;
    const timer = setTimeout(() => {
      this.stopped = true;
      void this.worker.terminate();
      this.settle(null);
    }, runLimitMs);
    const done = await new Promise<RunDone | null>((resolve) => {
      this.waiting = resolve;
      this.worker.postMessage(cycles);
    });
    clearTimeout(timer);
    if (this.failure) throw this.failure;
    return done;
  }

  close(): Promise<number> {
    return this.worker.terminate();
  }
}

if (wants('run')) {
  await section(`run 2^63: \`run ${run63}\` after the tick figure's world (32-bit events counting on every CPU), in a worker stopped after ${runLimitMs / 1000} s, up to ${shortPairs} pairs`, async () => {
    const workers = new Map(sides.map((s) => [s, new RunWorker(buildOf.get(s)!)]));
    const times = new Map<Side, number[]>(sides.map((s) => [s, []]));
    const warm40 = new Map<Side, RunDone | null>();
    const rejected = new Set<Side>();
    // Warm-up on the same code path (each counter wraps 2^8 times), twice; the second is the figure.
    for (let i = 0; i < 2; i++) for (const side of sides) warm40.set(side, await workers.get(side)!.run(run40));
    for (let pair = 0; pair < shortPairs && sides.some((s) => !workers.get(s)!.stopped); pair++) {
      for (const side of sides) {
        const d = await workers.get(side)!.run(run63);
        if (d) times.get(side)!.push(d.micros);
        if (d?.rejected) rejected.add(side);
      }
    }
    await Promise.all([...workers.values()].map((w) => w.close()));
    for (const side of sides) {
      const t = times.get(side)!;
      const stopped = workers.get(side)!.stopped;
      const r40 = warm40.get(side);
      // With 32-bit counters each counter wraps 2^23 times as often over 2^63 cycles as over 2^40.
      const estimate = r40 ? `; run 2^40 took ${micros(r40.micros)}${r40.pmuInterrupts === null ? '' : ` (${int(r40.pmuInterrupts)} PMU interrupts)`}, so stepping wrap by wrap run 2^63 would take ~${num((r40.micros * 2 ** 23) / 3.6e9)} h` : '';
      const figure = t.length > 0 ? `${spread(t, micros)} over ${plural(t.length, 'run')}` : `did not finish in ${runLimitMs / 1000} s (stopped)`;
      const aim = side === candidate ? `; ${t.length > 0 ? aimText(median(t), { op: '<=', target: 50_000, fmt: micros }) : `aim <= 50 ms: missed (over ${runLimitMs / 1000} s)`}` : '';
      const later = stopped && t.length > 0 ? `; a later run did not finish in ${runLimitMs / 1000} s` : '';
      console.log(`  ${side.name.padEnd(10)} ${figure}${aim}${later}${t.length === 0 ? estimate : ''}${rejected.has(side) ? '; the world REJECTED the run' : ''}`);
    }
    const both = sides.map((s) => times.get(s)!);
    if (both[0]!.length > 0 && both[1]!.length > 0) console.log(`  candidate/baseline ${(median(both[1]!) / median(both[0]!)).toFixed(2)} (of the medians)`);
  });
}

// --- Replay verification ---------------------------------------------------------------------

if (wants('replay')) {
  section(`replay verification: replaying a recording of the workload with its checkpoints, as \`pmuplay run\` does, 1 pair`, () => {
    const recordings = new Map(sides.map((s) => {
      const r = cached(`recording-${buildOf.get(s)!.key}-src${builds.baselineSrcTree.slice(0, 12)}-${workloadCommands}.bin`, () => s.adapter.recordCommands(benchConfig, commands));
      return [s, r.value] as const;
    }));
    const results = new Map<Side, ReturnType<Side['adapter']['verifyRecording']>>();
    const p = pairedRounds(sides, 1, (side) => cpuMicros(() => results.set(side, side.adapter.verifyRecording(recordings.get(side)!))));
    for (const side of sides) {
      const r = results.get(side)!;
      const us = median(p[side.name]);
      const plain = engineRates ? (commands.length / median(engineRates[side.name])) * 1e6 : null;
      const share = plain === null ? '' : `; ${((100 * plain) / us).toFixed(0)}% of the plain engine's speed on the workload`;
      const aim = plain !== null && side === candidate ? `; ${aimText((100 * plain) / us, { op: '>=', target: 80, fmt: (n) => `${n.toFixed(0)}%`, ratio: true })}` : '';
      console.log(`  ${side.name.padEnd(10)} ${micros(us)} for ${int(r.commandLines)} command lines and ${int(r.checkpoints)} checkpoints (${r.failed} failed)${share}${aim}`);
    }
    console.log(`  candidate/baseline ${p.ratios[0]!.toFixed(2)}${engineRates ? '' : ' (run the engine section too for the share of the plain engine)'}`);
  });
}

// --- The long sections: a 1M-command session, 10M ticks --------------------------------------

const longSides = longBaseline ? sides : [candidate];
const flatSlackBytes = 1024 * 1024;

/** Heap samples after GC, printed with the growth; flat means the second half grew by at most 1 MiB. */
function heapLines(label: string, samples: number[], per: number, unit: string): string[] {
  const growth = samples.at(-1)! - samples[0]!;
  const half = samples.at(-1)! - samples[Math.floor((samples.length - 1) / 2)]!;
  const verdict = half <= flatSlackBytes ? 'flat: met' : `flat: missed, it grew ${mib(half)} over the second half`;
  return [
    `  ${label} heap after GC: ${samples.map((b) => (b / 1024 / 1024).toFixed(1)).join(' / ')} MiB`,
    `  ${label} growth ${mib(growth)} (${int(growth / per)} bytes per ${unit}); aim ${verdict}`,
  ];
}

if (wants('session')) {
  section(`session: a Timeline holding ${int(sessionCommands)} commands of the long workload (its seed, extended), then \`back 1\`; ${longBaseline ? 'both sides' : 'the candidate only (BENCH_LONG_BASELINE=1 for both)'}`, () => {
    const sessions = new Map<Side, BenchTimeline>();
    let source: BenchCommand[] | null = longWorkload().value;
    for (const side of longSides) {
      gc();
      const samples = [heapUsed()];
      const timeline = side.adapter.newTimeline(benchConfig);
      let sampledAt = 0;
      for (let i = 0; i < source.length && timeline.position < sessionCommands; i++) {
        // Fresh command objects, as the parser makes them in a real session.
        timeline.apply(structuredClone(source[i]!));
        // Observing commands (check, say, expect) are accepted but not kept: sample once per mark.
        if (timeline.position % 100_000 === 0 && timeline.position !== sampledAt) {
          sampledAt = timeline.position;
          gc();
          samples.push(heapUsed());
        }
      }
      sessions.set(side, timeline);
      console.log(`  ${side.name}: ${int(timeline.position)} commands kept`);
      for (const line of heapLines(side.name, samples, timeline.position, 'command kept')) console.log(line);
    }
    source = null; // the sessions hold their own copies; back 1 is timed without the workload on the heap
    const back = (side: Side) => {
      const timeline = sessions.get(side)!;
      const redo = timeline.last()!;
      gc();
      const us = cpuMicros(() => timeline.apply({ kind: 'back', n: 1 } as BenchCommand));
      timeline.apply(redo);
      return us;
    };
    if (longBaseline) {
      const p = pairedRounds(sides, shortPairs, (side) => back(side));
      for (const line of pairedLines(p, micros, ' for back 1')) console.log(line);
      console.log(`  ${aimText(median(p.candidate), { op: '<=', target: 20_000, fmt: micros })}`);
    } else {
      const t = Array.from({ length: shortPairs }, () => back(candidate));
      console.log(`  candidate  ${spread(t, micros)} for back 1 (${shortPairs} rounds, each back 1 then the command again); ${aimText(median(t), { op: '<=', target: 20_000, fmt: micros })}`);
    }
  });
}

if (wants('ticks')) {
  const ticks = 10_000_000;
  const every = 1_000_000;
  section(`ticks: ${int(ticks)} \`tick\` commands through the playground's session (the starter world), as its run mode sends them; ${longBaseline ? 'both sides' : 'the candidate only'}`, () => {
    for (const side of longSides) {
      const timeline = side.adapter.starterTimeline();
      gc();
      const samples = [heapUsed()];
      const chunks: number[] = [];
      let rejected = 0;
      for (let done = 0; done < ticks; done += every) {
        chunks.push(cpuMicros(() => {
          for (let i = 0; i < every; i++) if (!timeline.apply({ kind: 'tick', n: 1 } as BenchCommand)) rejected++;
        }));
        gc();
        samples.push(heapUsed());
      }
      console.log(`  ${side.name}: ${spread(chunks.map((us) => every / (us / 1e6)), int)} ticks/s over ${chunks.length} chunks of ${int(every)}; ${rejected} rejected; ${int(timeline.position)} commands kept`);
      for (const line of heapLines(side.name, samples, ticks, 'tick')) console.log(line);
    }
  });
}

console.log(`\nengine bench: ${((performance.now() - benchStart) / 1000).toFixed(0)} s in all`);
