/**
 * `pmuplay explore FILE`: the shell around the search (engine/explore.ts). It reads and checks
 * the scenario, runs the search in slices (a progress line on stderr every few seconds of a
 * long search, Ctrl-C stops it and the summary says how far it got), writes each finding
 * code's shortest trace as a recording with checkpoints and an `expect finding` line (so
 * `pmuplay run` verifies it and `pmuplay replay` shows it) and, beside it, as a Chrome Trace
 * Event file for ui.perfetto.dev (`NAME.CODE.trace.json`), and prints the summary.
 * Exit: 0 no finding within the bounds, 1 a finding, 2 bad input, 130 stopped with none.
 */
import { mkdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { getHeapStatistics } from 'node:v8';
import type { Command } from './engine/command.js';
import { type Prepared, prepareScenario } from './engine/explore-scenario.js';
import { type Counterexample, Search } from './engine/explore.js';
import { runInParallel } from './explore-parallel.js';
import { formatCommand } from './engine/format.js';
import { exploreStatesMax } from './engine/limits.js';
import { parseScript, resolveConfig } from './engine/script.js';
import { recordCommands } from './engine/session.js';
import type { Config } from './engine/world.js';
import { readPmuFile } from './files.js';
import { exitBadInput, exitOk } from './headless.js';
import type { Io } from './main.js';
import { saveRecording } from './recorder.js';
import { saveTrace, traceFileBeside } from './trace-file.js';
import { jsonLine, visible } from './visible.js';

export const exitFound = 1;
export const exitStopped = 130;

/** Checkpoints in a trace: one every this many lines, and one at the end. */
const traceCheckpointEvery = 20;
/** States expanded between looks at the clock, Ctrl-C and the progress line. */
const sliceStates = 500;
/** A search still going after this many states is shared with the worker threads (starting them costs more than a small search). */
const parallelAfterStates = 2000;
/** A progress line at most this often, once a search has run this long. */
const progressEveryMs = 2000;
/** What one distinct state keeps for the whole search (fingerprint string, Set slot, parent
 * link and choice), measured on the shipped scenarios; the frontier's worlds come on top. */
const bytesPerState = 160;

export interface ExploreOptions {
  overrides: Partial<Config>;
  json: boolean;
  /** Where traces go; made if missing. */
  out: string;
  /** Called to learn of Ctrl-C; returns a function that stops listening. Tests leave it out. */
  onInterrupt?: (stop: () => void) => () => void;
  /** The heap the search may use, in bytes (default: this process's V8 limit). */
  heapBytes?: number;
  /** The shell's clock, in ms (the engine reads none). */
  now?: () => number;
  /** Worker threads that share a search once it is past its first states (default 0: this thread alone). */
  workers?: number;
}

const n = (x: number) => x.toLocaleString('en-US');
const plural = (k: number, word: string) => `${n(k)} ${word}${k === 1 ? '' : 's'}`;

/** What a search covers, in words: the programs and the choices, and the bounds. */
export function describeBounds(p: Prepared): string {
  const { programs, bounds } = p.scenario;
  const commands = programs.reduce((s, x) => s + x.commands.length, 0);
  const parts = [
    `${plural(programs.length, 'program')} (${plural(commands, 'command')})`,
    bounds.ipi === 'any' ? 'every pending IPI taken at any point' : 'IPIs taken at once',
    `at most ${plural(bounds.switches, 'switch')}`.replace('switchs', 'switches'),
    `${plural(bounds.migrations, 'migration')}`,
    `${plural(bounds.ticks, 'tick')}`,
  ];
  if (bounds.walks > 0) return `${parts.join(', ')}; ${plural(bounds.walks, 'random walk')} (seed ${bounds.seed}) of at most ${plural(bounds.depth, 'choice')}, ${n(bounds.states)} states`;
  return `${parts.join(', ')}; depth ${n(bounds.depth)}, ${n(bounds.states)} states`;
}

/** The file a code's trace goes to: `NAME.access-other-mm.pmu`. */
export function traceName(scenario: string, code: string): string {
  return `${basename(scenario).replace(/\.pmu$/i, '')}.${code.replace('/', '-')}.pmu`;
}

/** A counterexample's commands: the setup, the IPI mode line, the choices, and the expect of its finding. */
function traceCommands(p: Prepared, cx: Counterexample): Command[] {
  return [...p.scenario.start, ...cx.choices, { kind: 'expect-finding', code: cx.code }];
}

/** A counterexample as a recording: the header, a comment saying what it is, the setup, the choices, the expect, checkpoints. */
export function traceText(file: string, p: Prepared, cx: Counterexample): string {
  const text = recordCommands(p.scenario.config, traceCommands(p, cx), traceCheckpointEvery);
  const nl = text.indexOf('\n');
  const note = [
    `# pmuplay explore ${basename(file)}: ${cx.code} in ${plural(cx.choices.length, 'step')} after the setup (${p.scenario.bounds.walks > 0 ? 'the shortest the random walks met' : 'a shortest trace'})`,
    `# ${visible(cx.finding.text)}`,
    `# The setup as the scenario gives it, then the choices the search made:`,
    ...cx.choices.map((c, i) => `#   ${i + 1}. ${formatCommand(c)}`),
  ];
  return `${text.slice(0, nl + 1)}${note.join('\n')}\n${text.slice(nl + 1)}`;
}

function why(end: string | null, depth: number, bounds: Prepared['scenario']['bounds'], walks: number): string {
  if (bounds.walks > 0) {
    const made = `${plural(walks, 'random walk')} of ${n(bounds.walks)} (seed ${bounds.seed})`;
    if (end === 'walked') return `${made}: a sample, not every state`;
    if (end === 'states') return `${made}, stopped at the state bound (${n(bounds.states)})`;
    return `${made}, stopped by Ctrl-C`;
  }
  switch (end) {
    case 'exhausted':
      return `every state within the bounds (nothing was left to do after depth ${depth})`;
    case 'depth':
      return `every state up to the depth bound ${bounds.depth}`;
    case 'states':
      return `stopped at the state bound (${n(bounds.states)}) while expanding depth ${depth}: depths 0-${depth - 1} were searched whole`;
    case 'frontier':
      return `stopped while expanding depth ${depth}: the next layer would hold too many worlds for memory; depths 0-${depth - 1} were searched whole (lower depth or fewer switches)`;
    default:
      return `stopped by Ctrl-C while expanding depth ${depth}: depths 0-${Math.max(0, depth - 1)} were searched whole`;
  }
}

/** Run the search on one scenario file; output through `out` (stdout) and `diag` (stderr). */
export async function exploreFile(path: string, opts: ExploreOptions, io: Io): Promise<number> {
  const out = (line: string) => io.stdout.write(line + '\n');
  const diag = (line: string) => io.stderr.write(line + '\n');
  const bad = (message: string, where?: { line: number; column: number }) => {
    const at = where ? `${path}:${where.line}:${where.column}` : path;
    if (opts.json) out(jsonLine({ type: 'error', file: path, ...(where ?? {}), message }));
    else diag(`${visible(at)}: ${visible(message)}`);
    return exitBadInput;
  };
  const read = readPmuFile(path);
  if (!read.ok) return bad(read.message.replace(`${path}: `, ''));
  const parsed = parseScript(read.file.text);
  if (!parsed.ok) {
    for (const e of parsed.errors) bad(e.message, e);
    return exitBadInput;
  }
  const config = resolveConfig(parsed.script.header, opts.overrides);
  const prep = prepareScenario(parsed.script, config);
  if (!prep.ok) {
    for (const e of prep.errors) bad(e.message, e);
    return exitBadInput;
  }
  const prepared = prep.prepared;
  const { bounds } = prepared.scenario;
  // The fingerprints alone must fit the heap; say so before starting rather than run out.
  const heap = opts.heapBytes ?? getHeapStatistics().heap_size_limit;
  const need = bounds.states * bytesPerState;
  if (need > heap * 0.6) {
    return bad(`states=${n(bounds.states)} would keep about ${(need / 2 ** 30).toFixed(1)} GiB of fingerprints, more than this process's heap (${(heap / 2 ** 30).toFixed(1)} GiB) allows; lower states= (at most ${n(Math.min(exploreStatesMax, Math.floor((heap * 0.6) / bytesPerState)))} here)`);
  }
  try {
    mkdirSync(opts.out, { recursive: true });
    if (!statSync(opts.out).isDirectory()) return bad(`--out ${opts.out}: not a directory`);
  } catch (e) {
    return bad(`--out ${opts.out}: ${(e as Error).message}`);
  }

  const design = config.design;
  const what = describeBounds(prepared);
  if (opts.json) out(jsonLine({ type: 'explore', file: path, design, cpus: config.cpus, bounds, programs: prepared.scenario.programs.map((p) => ({ pid: p.pid, commands: p.commands.map(formatCommand) })) }));
  else out(`explore ${visible(path)} under ${design} (${config.cpus} CPUs): ${what}`);

  const search = new Search(prepared);
  const now = opts.now ?? (() => performance.now());
  const started = now();
  const cpuAtStart = process.cpuUsage();
  let lastProgress = started;
  const unlisten = opts.onInterrupt?.(() => search.stop()) ?? (() => {});
  const progress = () => {
    const t = now();
    if (t - lastProgress < progressEveryMs) return;
    lastProgress = t;
    const s = search.stats;
    diag(`explore: depth ${s.depth}, ${n(s.distinct)} distinct states (${n(s.generated)} generated), ${n(Math.round(s.distinct / ((t - started) / 1000)))}/s, ${plural(search.found.size, 'finding code')} so far; Ctrl-C stops`);
  };
  const workers = bounds.walks > 0 ? 0 : (opts.workers ?? 0);
  let threads = 1;
  try {
    while (!search.run(sliceStates)) {
      progress();
      if (workers > 0 && search.stats.generated >= parallelAfterStates) {
        const report = await runInParallel(search, { workers, onSlice: progress });
        threads = report.expanded.filter((k) => k > 0).length;
        break;
      }
      // Let a signal in between slices.
      await new Promise((r) => setImmediate(r));
    }
  } finally {
    unlisten();
  }
  const wallMs = Math.max(1, now() - started);
  // The process's CPU time (every thread's), beside the wall time: what sharing a search costs.
  const cpu = process.cpuUsage(cpuAtStart);
  const s = search.stats;

  for (const cx of search.found.values()) {
    const file = join(opts.out, traceName(path, cx.code));
    const saved = saveRecording(file, traceText(path, prepared, cx), { overwrite: true });
    if (saved.kind !== 'saved') return bad(saved.message);
    const perfetto = traceFileBeside(file);
    // The recording's commands, as a timeline for ui.perfetto.dev.
    const traced = saveTrace(perfetto, prepared.scenario.config, traceCommands(prepared, cx), { overwrite: true });
    if (traced.kind !== 'saved') return bad(traced.message);
    const choices = cx.choices.map(formatCommand);
    if (opts.json) out(jsonLine({ type: 'found', file: path, code: cx.code, steps: cx.choices.length, choices, finding: cx.finding.text, trace: file, perfetto }));
    else {
      const how = cx.choices.length === 0 ? 'in the setup itself' : `in ${plural(cx.choices.length, 'step')}${bounds.walks > 0 ? ' (the shortest the walks met)' : ''}: ${choices.join('; ')}`;
      out(`found ${cx.code} ${how}`);
      out(`  ${visible(cx.finding.text)}`);
      out(`  trace: ${visible(file)} (pmuplay run ${visible(file)}; pmuplay replay ${visible(file)})`);
      out(`  timeline: ${visible(perfetto)} (open it in ui.perfetto.dev)`);
    }
  }
  const perSecond = Math.round((s.distinct / wallMs) * 1000);
  const summary = `${n(s.distinct)} distinct states (${n(s.generated)} generated), depth ${s.depthReached} reached: ${why(s.end, s.depth, bounds, s.walks)}; ${(wallMs / 1000).toFixed(2)} s, ${n(perSecond)} states/s${threads > 1 ? ` on ${threads} threads` : ''}`;
  const unfinished = search.unfinished();
  if (opts.json) {
    out(jsonLine({
      type: 'summary', file: path, design, walks: s.walks, found: [...search.found.values()].map((c) => ({ code: c.code, steps: c.choices.length })),
      generated: s.generated, distinct: s.distinct, depthReached: s.depthReached, depth: s.depth, end: s.end, wallMs: Math.round(wallMs), statesPerSecond: perSecond, threads, cpuMs: Math.round((cpu.user + cpu.system) / 1000),
      unfinished: unfinished.map((u) => ({ pid: u.pid, command: formatCommand(u.command), why: u.why })),
    }));
  } else {
    if (search.found.size === 0) out(`no finding under ${design}: ${what}`);
    out(`searched ${summary}`);
    for (const u of unfinished) out(`  program ${u.pid} never got past '${formatCommand(u.command)}': ${visible(u.why)}`);
  }
  if (search.found.size > 0) return exitFound;
  return s.end === 'stopped' ? exitStopped : exitOk;
}
