/**
 * A worker thread that times `run N` commands on one build, so the bench can stop a run that
 * would take hours (with 32-bit counters a `run 2^63` that steps from wrap to wrap overflows each
 * counter 2^31 times) by terminating the thread. It builds the world it is given, then runs each
 * `run N` it is sent on that world and posts its CPU time. Bundled by bench/builds.ts; the bench's
 * main thread waits idle meanwhile, so the process's CPU time is this thread's.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { BenchConfig, EngineAdapter } from './adapters/types.js';

export interface RunJob {
  bundleUrl: string;
  config: BenchConfig;
  setup: string;
}

export interface RunDone {
  cycles: bigint;
  micros: number;
  rejected: boolean;
  pmuInterrupts: number | null;
}

const job = workerData as RunJob;
const { adapter } = (await import(job.bundleUrl)) as { adapter: EngineAdapter };
const world = adapter.createWorld(job.config);
adapter.playLines(world, job.setup);
const collect = (globalThis as { gc?: () => void }).gc;
parentPort!.on('message', (cycles: bigint) => {
  collect?.();
  const irqs = adapter.engineCounters?.().pmuInterrupts;
  const before = process.cpuUsage();
  const rejected = adapter.applyCommands(world, [{ kind: 'run', cycles } as { kind: string }]) > 0;
  const d = process.cpuUsage(before);
  const after = adapter.engineCounters?.().pmuInterrupts;
  const done: RunDone = { cycles, micros: d.user + d.system, rejected, pmuInterrupts: irqs === undefined || after === undefined ? null : after - irqs };
  parentPort!.postMessage(done);
});
