/**
 * A scenario for `pmuplay explore`: a `.pmu` file read as a setup (ordinary commands, run in
 * order into a fresh world), then one `explore` line with the search's bounds, then one
 * `program PID:` line per task saying what that task does. This file checks the shape and
 * runs the setup, so that every mistake — a second `explore`, a command after it, a program
 * for a task the setup does not create, a setup command the world rejects — is an error with
 * its line and column before any search starts. The search itself is explore.ts.
 *
 * What the search starts from: the setup's world with IPIs held (`ipi=any`, the default, adds
 * `ipi manual` after the setup: taking each IPI is then a choice) or taken at once
 * (`ipi=auto` adds `ipi auto`). Those lines are part of every trace, so a trace replays as
 * written.
 */
import type { Command, ExploreBounds, ProgramCommand } from './command.js';
import type { Script, ScriptLine } from './script.js';
import { applyCommand } from './step.js';
import { type Config, type World, createWorld } from './world.js';
import { taskState } from './lifecycle.js';

/** The bounds an `explore` line leaves out. */
export const exploreDefaults: Required<ExploreBounds> = { ipi: 'any', switches: 0, migrations: 0, ticks: 0, depth: 32, states: 1_000_000, walks: 0, seed: 1 };

export interface Program {
  pid: number;
  /** The `program` line, for messages. */
  line: number;
  commands: ProgramCommand[];
}

export interface Scenario {
  config: Config;
  bounds: Required<ExploreBounds>;
  /** The commands every trace starts with: the setup as written, then the IPI mode line. */
  start: Command[];
  programs: Program[];
}

export interface ScenarioError {
  line: number;
  column: number;
  message: string;
}

/** The start of the search: the scenario and the world its setup leaves. */
export interface Prepared {
  scenario: Scenario;
  world: World;
}

const shape = 'a scenario is a setup of commands, then one explore line, then program lines (help explore, help program)';

/** Read a parsed file as a scenario, run its setup, and check its programs against the world it leaves. */
export function prepareScenario(script: Script, config: Config): { ok: true; prepared: Prepared } | { ok: false; errors: ScenarioError[] } {
  const errors: ScenarioError[] = [];
  const setup: ScriptLine[] = [];
  let explore: ScriptLine | null = null;
  const programLines: (ScriptLine & { command: Command & { kind: 'program' } })[] = [];
  for (const line of script.lines) {
    const c = line.command;
    if (c.kind === 'explore') {
      if (explore) errors.push({ line: line.line, column: 1, message: `explore: a second explore line (the first is line ${explore.line}); ${shape}` });
      else explore = line;
    } else if (c.kind === 'program') {
      if (!explore) errors.push({ line: line.line, column: 1, message: `program: before the explore line; ${shape}` });
      else if (programLines.some((p) => p.command.pid === c.pid)) errors.push({ line: line.line, column: 9, message: `program: a second program for task ${c.pid}; one line holds all it does` });
      else programLines.push({ ...line, command: c });
    } else if (explore) {
      errors.push({ line: line.line, column: 1, message: `${line.text.split(/\s+/)[0]}: after the explore line only program lines may come; ${shape}` });
    } else if (c.kind === 'back') {
      errors.push({ line: line.line, column: 1, message: 'back: a setup runs straight through; leave back out' });
    } else setup.push(line);
  }
  if (!explore && errors.length === 0) errors.push({ line: script.lines.at(-1)?.line ?? 1, column: 1, message: `no explore line: ${shape}` });
  if (errors.length > 0 || !explore) return { ok: false, errors };

  const bounds = { ...exploreDefaults, ...(explore.command.kind === 'explore' ? explore.command.bounds : {}) };
  const world = createWorld(config);
  for (const line of setup) {
    const r = applyCommand(world, line.command);
    if (!r.ok) return { ok: false, errors: [{ line: line.line, column: 1, message: `rejected: ${r.rejection.message}` }] };
  }
  const mode: Command = { kind: 'ipi', mode: bounds.ipi === 'any' ? 'manual' : 'auto' };
  applyCommand(world, mode);
  for (const p of programLines) {
    const task = world.tasks.get(p.command.pid);
    if (!task || taskState(task) === 'exited') {
      const what = task ? 'has exited by the end of the setup' : 'is not created by the setup';
      errors.push({ line: p.line, column: 9, message: `program ${p.command.pid}: task ${p.command.pid} ${what}, so its program could never run` });
    }
  }
  if (errors.length > 0) return { ok: false, errors };
  const programs = programLines.map((p) => ({ pid: p.command.pid, line: p.line, commands: p.command.commands }));
  return { ok: true, prepared: { scenario: { config, bounds, start: [...setup.map((l) => l.command), mode], programs }, world } };
}
