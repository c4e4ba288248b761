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
 */
import { compareScript, formatComparison } from './compare.js';
import { findingCodes } from './engine/command.js';
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
  for (const { line, result: r } of playScript(timeline, script.lines)) {
    const world = timeline.world;
    const where = `${file.name}:${line.line}`;
    if (!r.ok) {
      if (opts.json) out({ type: 'error', file: file.name, line: line.line, command: line.text, code: r.rejection.code, message: r.rejection.message });
      else diag(visible(`${where}: rejected: ${r.rejection.message}`));
      return { world: timeline.world, failed, expects, rejected: true };
    }
    const { events: entries, dropped } = r;
    if (opts.json) {
      for (const e of entries) {
        if (e.kind !== 'finding' && !opts.quiet) {
          const { step, cpu, kind, what, ...data } = e;
          out({ type: 'log', file: file.name, line: line.line, step, cpu, kind, what, text: eventText(e), data });
        }
      }
      for (const f of r.findings) out({ type: 'finding', file: file.name, line: line.line, ...f });
      // `explain` and `why` carry their chain as data.
      if (!opts.quiet || r.check || r.explanation) out({ type: 'result', file: file.name, line: line.line, step: world.step, command: line.text, output: r.lines, ...(r.explanation ? { explanation: r.explanation } : {}) });
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
  return { world: timeline.world, failed, expects, rejected: false };
}

function findingCounts(world: World): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const code of findingCodes) {
    const n = world.findingCounts.get(code);
    if (n) counts[code] = n;
  }
  return counts;
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
  for (const { file, script } of parsed) {
    const r = runScript(file, script, opts, write, diag);
    const counts = findingCounts(r.world);
    const findings = Object.values(counts).reduce((a, b) => a + b, 0);
    if (r.rejected) worst(exitBadInput);
    if (r.failed > 0) worst(exitExpectFailed);
    if (opts.strict && findings > 0) worst(exitExpectFailed);
    if (opts.json) {
      write(jsonLine({ type: 'summary', file: file.name, steps: r.world.step, expects: r.expects, failed: r.failed, rejected: r.rejected, findings: counts, hash: stateHash(r.world) }));
    } else {
      write(visible(`-- ${file.name}: ${r.world.step} steps, ${r.expects - r.failed}/${r.expects} expects held, state ${stateHash(r.world)}`));
      for (const l of findingsSummary(r.world)) write(visible(l.startsWith('  ') ? l : `-- ${l}`));
    }
  }
  return code;
}

function compareFiles(parsed: { file: SourceFile; script: Script }[], opts: RunOptions, write: Write): number {
  let code = exitOk;
  for (const { file, script } of parsed) {
    const config = resolveConfig(script.header, opts.overrides);
    const all = compareScript(script, opts.overrides);
    if (opts.json) write(jsonLine({ type: 'compare', file: file.name, seed: config.seed, designs: all }));
    else for (const line of formatComparison(file.name, config.seed, all)) write(visible(line));
    for (const outcome of Object.values(all)) {
      if (outcome.rejected) code = Math.max(code, exitBadInput);
    }
  }
  return code;
}
