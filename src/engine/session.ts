/**
 * Playing command text into a world, for tests, benchmarks and tools: every line parsed by the
 * one parser and applied in order. Pure: no files, no output.
 */
import { parseCommand } from './parse.js';
import { type StepResult, applyCommand } from './step.js';
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
