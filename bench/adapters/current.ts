/**
 * The bench's view of the working tree's engine (the candidate). Edit this file when the engine's
 * API changes; keep every other adapter as it is. `copyWorld` is what a session snapshot costs.
 */
import type { Command } from '../../src/engine/command.js';
import { stateHash } from '../../src/engine/hash.js';
import { parseCommand } from '../../src/engine/parse.js';
import { parseScript, resolveConfig } from '../../src/engine/script.js';
import { playLines, recordCommands } from '../../src/engine/session.js';
import { copyWorld } from '../../src/engine/snapshot.js';
import { engineStats } from '../../src/engine/stats.js';
import { applyCommand } from '../../src/engine/step.js';
import { Timeline } from '../../src/engine/timeline.js';
import { generateWorkload } from '../../src/engine/workload.js';
import { type Config, type World, createWorld, defaultConfig } from '../../src/engine/world.js';
import { checkpointEvery } from '../../src/recorder.js';
import { starterLines } from '../../src/tui/starter.js';
import type { BenchCommand, BenchConfig, BenchTimeline, EngineAdapter } from './types.js';

function configOf(c: BenchConfig): Config {
  return { ...defaultConfig, cpus: c.cpus, seed: c.seed, cyclesPerTick: c.cyclesPerTick ?? defaultConfig.cyclesPerTick };
}

/**
 * A command in this build's shape. Workloads are made by the baseline: before issue 11, `msr`
 * wrote only PMSELR and had no `reg` (`{ pid, value: number }`).
 */
function current(c: BenchCommand): Command {
  const old = c as { kind: string; pid?: number; reg?: unknown; value?: number | bigint };
  if (old.kind === 'msr' && old.reg === undefined) return { kind: 'msr', pid: old.pid!, reg: { kind: 'pmselr' }, value: BigInt(old.value!) };
  return c as Command;
}

function session(timeline: Timeline): Timeline & BenchTimeline {
  const apply = timeline.apply.bind(timeline);
  return Object.assign(timeline, {
    apply: (c: BenchCommand) => apply(current(c)),
    last: () => timeline.lastCommand(),
  }) as Timeline & BenchTimeline;
}

export const adapter: EngineAdapter<World, Timeline & BenchTimeline> = {
  createWorld: (c) => createWorld(configOf(c)),
  applyCommands(world, commands) {
    let rejected = 0;
    for (const c of commands) if (!applyCommand(world, current(c)).ok) rejected++;
    return rejected;
  },
  playLines: (world, text) => void playLines(world, text),
  stateHash,
  copyWorld,
  newTimeline: (c) => session(new Timeline(configOf(c))),
  starterTimeline() {
    const timeline = new Timeline(defaultConfig);
    for (const line of starterLines) {
      const r = parseCommand(line);
      if (!r.ok || !r.command) throw new Error(`starter line '${line}' does not parse`);
      timeline.apply(r.command);
    }
    return session(timeline);
  },
  generateWorkload: (o) => generateWorkload({ ...o, config: configOf(o.config) }),
  recordCommands: (c, commands) => recordCommands(configOf(c), commands.map(current), checkpointEvery),
  verifyRecording(text) {
    const parsed = parseScript(text);
    if (!parsed.ok) throw new Error(`the recording does not parse: ${parsed.errors[0]?.message}`);
    // As `pmuplay run` plays a file without `back`: no snapshots.
    const timeline = new Timeline(resolveConfig(parsed.script.header, {}), 0);
    let commandLines = 0;
    let checkpoints = 0;
    let failed = 0;
    for (const line of parsed.script.lines) {
      const r = timeline.apply(line.command);
      if (line.command.kind === 'checkpoint') checkpoints++;
      else commandLines++;
      if (r.ok && r.check && !r.check.passed) failed++;
    }
    return { commandLines, checkpoints, failed };
  },
  engineCounters: () => ({ ...engineStats }),
};
