/**
 * `pmuplay run`: scripts played headless into fresh worlds, printed as readable lines (or one
 * JSON object per line). Takes file texts and two writers, touches no file or terminal itself.
 *
 * Streams: what a run produces (the log, narration, findings, expects, checkpoints, summaries,
 * the comparison table) goes to `write` (stdout); what makes the input bad (a line that does
 * not parse, a command the world rejects: exit 2) goes to `diag` (stderr). With `--json`
 * everything is an object on `write`, so a reader has one stream to follow.
 *
 * Text lines show what came from a file (names, captions, commands, tokens in errors) through
 * `visible`: no control character reaches the terminal but our own colours, added after.
 *
 * A run over several files ends with a total; `--record` hands the one file's branch to the
 * shell's `record` callback, which writes it, and `--trace` the commands it played to `trace`.
 */
import { type DesignOutcome, compareScript, formatComparison, formatTotals } from './compare.js';
import { type Command, type DesignName, findingCodes } from './engine/command.js';
import { designNames } from './engine/designs/index.js';
import { stateHash } from './engine/hash.js';
import { type Script, parseScript, resolveConfig } from './engine/script.js';
import { findingsSummary } from './engine/step.js';
import { playScript } from './engine/session.js';
import { Timeline, snapshotEveryDefault } from './engine/timeline.js';
import { eventText } from './engine/events.js';
import type { Config, LogEntry, World } from './engine/world.js';
import { jsonLine, visible } from './visible.js';

export interface RunOptions {
  overrides: Partial<Config>;
  /** `--policy all`: every file once per design, and a table. */
  compare?: boolean;
  json: boolean;
  strict: boolean;
  quiet: boolean;
  color: boolean;
  /**
   * `--record FILE`: given the run's world configuration and its branch as commands (what
   * `save` would write), writes the recording and says where, or why it could not.
   */
  record?: (config: Config, commands: Command[]) => { ok: boolean; message: string };
  /**
   * `--trace FILE`: given the run's configuration and the commands it played (its narration
   * and expects too, unless a `back` made it a branch), writes the trace and says where.
   */
  trace?: (config: Config, commands: Command[]) => { ok: boolean; message: string };
}

export interface SourceFile {
  name: string;
  text: string;
}

export const exitOk = 0;
export const exitExpectFailed = 1;
export const exitBadInput = 2;

type Write = (line: string) => void;

const red = (on: boolean, s: string) => (on ? `\x1b[31m${visible(s)}\x1b[39m` : visible(s));
const green = (on: boolean, s: string) => (on ? `\x1b[32m${visible(s)}\x1b[39m` : visible(s));
const dim = (on: boolean, s: string) => (on ? `\x1b[2m${visible(s)}\x1b[22m` : visible(s));

function logLine(e: LogEntry, color: boolean): string {
  const where = e.cpu === null ? '    ' : `cpu${e.cpu}`.padEnd(4);
  const text = `    ${where} ${e.kind.padEnd(8)} ${eventText(e)}`;
  return e.kind === 'finding' ? red(color, text) : visible(text);
}

interface FileResult {
  world: World;
  config: Config;
  commands: () => Command[];
  /** What was played, in order: every accepted line, or the branch when a line stepped back. */
  played: () => Command[];
  failed: number;
  expects: number;
  rejected: boolean;
}

function runScript(file: SourceFile, script: Script, opts: RunOptions, write: Write, diag: Write): FileResult {
  const config = resolveConfig(script.header, opts.overrides);
  // Snapshots only when the script steps back: verifying a long recording stays fast.
  const timeline = new Timeline(config, script.lines.some((l) => l.command.kind === 'back') ? snapshotEveryDefault : 0);
  const out = (o: object) => write(jsonLine(o));
  if (opts.json) out({ type: 'file', file: file.name, config });
  else write(visible(`== ${file.name}: design ${config.design}, ${config.cpus} CPUs, ${config.counters} counters${config.longCounters ? ' (64-bit)' : ''}, seed ${config.seed}`));
  let failed = 0;
  let expects = 0;
  let accepted = 0;
  const played = () => (script.lines.slice(0, accepted).some((l) => l.command.kind === 'back') ? timeline.history() : script.lines.slice(0, accepted).map((l) => l.command));
  for (const { line, result: r } of playScript(timeline, script.lines)) {
    const world = timeline.world;
    const where = `${file.name}:${line.line}`;
    if (!r.ok) {
      if (opts.json) out({ type: 'error', file: file.name, line: line.line, command: line.text, code: r.rejection.code, message: r.rejection.message });
      else diag(visible(`${where}: rejected: ${r.rejection.message}`));
      return { world: timeline.world, config, commands: () => timeline.history(), played, failed, expects, rejected: true };
    }
    accepted++;
    const { events: entries, dropped } = r;
    // Narration is a result in every mode, --quiet too (demo --headless is quiet).
    if (opts.json && line.command.kind === 'say') out({ type: 'say', file: file.name, line: line.line, step: world.step, text: line.command.text });
    if (opts.json) {
      for (const e of entries) {
        if (e.kind !== 'finding' && !opts.quiet) {
          const { step, cpu, kind, what, ...data } = e;
          out({ type: 'log', file: file.name, line: line.line, step, cpu, kind, what, text: eventText(e), data });
        }
      }
      for (const f of r.findings) out({ type: 'finding', file: file.name, line: line.line, ...f });
      // `explain` and `why` carry their chain as data.
      // Quiet: an expect is its own object below; an explanation still carries its chain.
      if (!opts.quiet || r.explanation) out({ type: 'result', file: file.name, line: line.line, step: world.step, command: line.text, output: r.lines, ...(r.explanation ? { explanation: r.explanation } : {}) });
    } else if (line.command.kind === 'say') {
      write(dim(opts.color, where) + visible(`  » ${line.command.text}`));
    } else {
      const shown = opts.quiet ? entries.filter((e) => e.kind === 'finding') : entries;
      if (!opts.quiet || shown.length > 0 || r.check) write(dim(opts.color, where) + visible(`  ${line.text}`));
      if (dropped > 0 && !opts.quiet) write(`    (${dropped} earlier log lines of this step not kept)`);
      for (const e of shown) write(logLine(e, opts.color));
      if (!opts.quiet && r.lines.length > 0) write(`  => ${r.lines.map(visible).join('\n     ')}`);
    }
    if (r.check) {
      expects++;
      if (!r.check.passed) failed++;
      if (opts.json) out({ type: 'expect', file: file.name, line: line.line, passed: r.check.passed, text: r.check.text });
      else write(r.check.passed ? green(opts.color, `  ok: ${r.check.text}`) : red(opts.color, `  FAILED ${where}: ${r.check.text}`));
    }
  }
  return { world: timeline.world, config, commands: () => timeline.history(), played, failed, expects, rejected: false };
}

function findingCounts(world: World): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const code of findingCodes) {
    const n = world.findingCounts.get(code);
    if (n) counts[code] = n;
  }
  return counts;
}

const sumOf = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

function addCounts(into: Record<string, number>, counts: Record<string, number>): void {
  for (const [code, n] of Object.entries(counts)) into[code] = (into[code] ?? 0) + n;
}

/** Run each file in a fresh world; returns the exit code. `diag` gets the text-mode errors. */
export function runFiles(files: SourceFile[], opts: RunOptions, write: Write, diag: Write = write): number {
  let code = exitOk;
  const worst = (c: number) => {
    code = Math.max(code, c);
  };
  const parsed: { file: SourceFile; script: Script }[] = [];
  for (const file of files) {
    const r = parseScript(file.text);
    if (!r.ok) {
      for (const e of r.errors) {
        if (opts.json) write(jsonLine({ type: 'error', file: file.name, line: e.line, column: e.column, message: e.message }));
        else diag(visible(`${file.name}:${e.line}:${e.column}: ${e.message}`));
      }
      const more = r.errorCount - r.errors.length;
      if (more > 0) {
        const message = `… and ${more} more error${more === 1 ? '' : 's'}`;
        if (opts.json) write(jsonLine({ type: 'more-errors', file: file.name, count: more, message }));
        else diag(visible(`${file.name}: ${message}`));
      }
      worst(exitBadInput);
    } else parsed.push({ file, script: r.script });
  }
  if (code === exitBadInput) return code;
  if (opts.compare) return compareFiles(parsed, opts, write);
  const total = { files: parsed.length, steps: 0, expects: 0, failed: 0, stopped: 0, findings: {} as Record<string, number> };
  for (const { file, script } of parsed) {
    const r = runScript(file, script, opts, write, diag);
    const counts = findingCounts(r.world);
    const findings = sumOf(counts);
    total.steps += r.world.step;
    total.expects += r.expects;
    total.failed += r.failed;
    total.stopped += r.rejected ? 1 : 0;
    addCounts(total.findings, counts);
    if (r.rejected) worst(exitBadInput);
    if (r.failed > 0) worst(exitExpectFailed);
    if (opts.strict && findings > 0) worst(exitExpectFailed);
    if (opts.json) {
      write(jsonLine({ type: 'summary', file: file.name, steps: r.world.step, expects: r.expects, failed: r.failed, rejected: r.rejected, findings: counts, hash: stateHash(r.world) }));
    } else {
      write(visible(`-- ${file.name}: ${r.world.step} steps, ${r.expects - r.failed}/${r.expects} expects held, state ${stateHash(r.world)}`));
      for (const l of findingsSummary(r.world)) write(visible(l.startsWith('  ') ? l : `-- ${l}`));
    }
    const writes = [
      { type: 'recorded', save: opts.record && (() => opts.record!(r.config, r.commands())) },
      { type: 'traced', save: opts.trace && (() => opts.trace!(r.config, r.played())) },
    ];
    for (const { type, save } of writes) {
      if (!save) continue;
      const saved = save();
      if (opts.json) write(jsonLine(saved.ok ? { type, file: file.name, message: saved.message } : { type: 'error', file: file.name, message: saved.message }));
      else if (saved.ok) write(visible(`-- ${saved.message}`));
      else diag(`pmuplay: ${visible(saved.message)}`);
      if (!saved.ok) worst(exitBadInput);
    }
  }
  if (parsed.length > 1) {
    const findings = sumOf(total.findings);
    if (opts.json) write(jsonLine({ type: 'total', ...total }));
    else {
      const stopped = total.stopped > 0 ? `, ${total.stopped} stopped by a rejected command` : '';
      write(`== total: ${total.files} files, ${total.steps} steps, ${findings} finding${findings === 1 ? '' : 's'}, ${total.failed} of ${total.expects} expects failed${stopped}`);
    }
  }
  return code;
}

/**
 * `--policy all`: a table per file. Exit 1 when an expect fails under any design (or, with
 * `--strict`, any design has a finding); 2 when a design's world rejected a command.
 */
function compareFiles(parsed: { file: SourceFile; script: Script }[], opts: RunOptions, write: Write): number {
  let code = exitOk;
  const outcomes: Record<DesignName, DesignOutcome>[] = [];
  for (const { file, script } of parsed) {
    const config = resolveConfig(script.header, opts.overrides);
    const all = compareScript(script, opts.overrides);
    outcomes.push(all);
    if (opts.json) write(jsonLine({ type: 'compare', file: file.name, seed: config.seed, designs: all }));
    else for (const line of formatComparison(file.name, config.seed, all)) write(visible(line));
    for (const outcome of Object.values(all)) {
      if (outcome.rejected) code = Math.max(code, exitBadInput);
      if (outcome.failed) code = Math.max(code, exitExpectFailed);
      if (opts.strict && Object.keys(outcome.findings).length > 0) code = Math.max(code, exitExpectFailed);
    }
  }
  if (parsed.length > 1) {
    const totals = formatTotals(outcomes);
    if (opts.json) write(jsonLine({ type: 'total', files: parsed.length, designs: Object.fromEntries(designNames.map((d) => [d, totals.designs[d]])) }));
    else for (const line of totals.lines) write(line);
  }
  return code;
}
