/**
 * Playing command text into a world, for tests, benchmarks and tools: every line parsed by the
 * one parser and applied in order. Pure: no files, no output.
 */
import type { Command } from './command.js';
import { stateHash, stateParts } from './hash.js';
import { formatCommand } from './format.js';
import { ticksPerCommand } from './limits.js';
import { parseCommand } from './parse.js';
import { type ScriptLine, formatHeader } from './script.js';
import type { Timeline } from './timeline.js';
import { type StepResult, applyCommand } from './step.js';
import { PieceSizer, PiecesWork, finish } from './work.js';
import { type Config, type World, createWorld, defaultConfig } from './world.js';

export interface Played {
  line: string;
  result: StepResult;
}

/** Apply each line; a line that does not parse is an error thrown at the caller (a test bug). */
export function playLines(world: World, text: string): Played[] {
  const played: Played[] = [];
  for (const line of text.split('\n')) {
    const r = parseCommand(line);
    if (!r.ok) throw new Error(`line '${line}': ${r.error.message}`);
    if (r.command) played.push({ line: line.trim(), result: applyCommand(world, r.command) });
  }
  return played;
}

/** A fresh world with `config` over the defaults, with `text` played into it. */
export function play(text: string, config: Partial<Config> = {}): { world: World; played: Played[] } {
  const world = createWorld({ ...defaultConfig, ...config });
  return { world, played: playLines(world, text) };
}

/** A `checkpoint` line with the whole hash and the hash of each part. */
export function checkpointLine(world: World): string {
  return formatCommand({ kind: 'checkpoint', hash: stateHash(world), parts: stateParts(world) });
}

/**
 * A recording of `commands` played into a fresh world: the header, every accepted command,
 * and a `checkpoint` after every `every` commands and at the end.
 */
export function recordCommands(config: Config, commands: Command[], every: number): string {
  return finish(recordingWork(config, commands, every));
}

/** `recordCommands` as work done in pieces (a `save` of a long session takes a while). */
export function recordingWork(config: Config, commands: Command[], every: number): PiecesWork<string> {
  const sizer = new PieceSizer(ticksPerCommand(config));
  const steps = commands.reduce((sum, c) => sum + (c.kind === 'tick' ? c.n : 1), 0);
  function* pieces(): Generator<number, string> {
    const world = createWorld(config);
    const lines = [formatHeader(config)];
    let since = 0;
    let done = 0;
    for (const c of commands) {
      let ok = true;
      if (c.kind === 'tick') {
        for (let left = c.n; left > 0 && ok; ) {
          const k = Math.min(left, sizer.size);
          ok = applyCommand(world, { kind: 'tick', n: k }).ok;
          left -= k;
          done += k;
          if (left > 0) yield done;
        }
      } else {
        ok = applyCommand(world, c).ok;
        done++;
      }
      if (ok) {
        lines.push(formatCommand(c));
        if (++since === every) {
          lines.push(checkpointLine(world));
          since = 0;
        }
      }
      yield done;
    }
    if (since > 0) lines.push(checkpointLine(world));
    return lines.join('\n') + '\n';
  }
  return new PiecesWork(pieces(), steps, sizer);
}

/** One line of a script as played: the line, and what the step did. */
export interface ScriptStep {
  line: ScriptLine;
  result: StepResult;
}

/**
 * The one way a script is played (headless runs, `--policy all`): each line applied through
 * the session's timeline in order, until one is rejected. `skip` leaves lines out (a forced
 * design steps over the script's own `policy` lines).
 */
export function* playScript(timeline: Timeline, lines: readonly ScriptLine[], skip?: (c: Command) => boolean): Generator<ScriptStep> {
  for (const line of lines) {
    if (skip?.(line.command)) continue;
    const result = timeline.apply(line.command);
    yield { line, result };
    if (!result.ok) return;
  }
}
