/**
 * The thin shell: the mode, files and the terminal (the flags and where each applies are in
 * cli-args.ts). Everything else is the engine's. `main` takes its arguments and its streams as
 * values (`Io`), so the tests run the whole command line in-process; `cli.ts` calls it with
 * the real process.
 */
import { defaultConfig } from './engine/world.js';
import { demoFileName, demoListing, listDemos, loadDemo } from './demos.js';
import { didYouMean } from './did-you-mean.js';
import { readPmuFile } from './files.js';
import { Recorder } from './recorder.js';
import { parseScript } from './engine/script.js';
import { type SourceFile, exitBadInput, exitOk, runFiles } from './headless.js';
import { jsonLine, visible } from './visible.js';
import { exploreFile } from './explore-cli.js';
import { defaultWorkers } from './explore-parallel.js';
import { exploreWorkersMax } from './engine/limits.js';
import { parseUint } from './engine/lex.js';
import { kernelCheckFiles } from './kernel-check/cli.js';
import { checkFlags, checkRecording, fail, type Flags, type Mode, overridesFromFlags, parseArgs, recordRun, Refusal, traceRun } from './cli-args.js';

/** A stream the shell writes text to. */
export interface Out {
  write(text: string): void;
}

/** What the shell touches of its process: the two output streams, whether they are a
 * terminal, and the environment. */
export interface Io {
  stdout: Out;
  stderr: Out;
  stdinIsTTY: boolean;
  stdoutIsTTY: boolean;
  env: Readonly<Record<string, string | undefined>>;
}


const colorFor = (io: Io, json: boolean) => !json && io.stdoutIsTTY && !io.env['NO_COLOR'];

function run(paths: string[], flags: Flags, io: Io): number {
  if (paths.length === 0) fail('run needs at least one .pmu file (try: pmuplay run saves/examples/v4-other-mm.pmu)');
  const overrides = overridesFromFlags(flags);
  checkRecording(flags);
  const files: SourceFile[] = [];
  const unreadable: { path: string; message: string }[] = [];
  for (const path of paths) {
    const r = readPmuFile(path);
    if (r.ok) files.push(r.file);
    else unreadable.push({ path, message: r.message });
  }
  // Nothing runs unless every file can be read; each one that cannot is named.
  if (unreadable.length > 0) {
    for (const u of unreadable) {
      if (flags.json) io.stdout.write(jsonLine({ type: 'error', file: u.path, message: u.message }) + '\n');
      else io.stderr.write(`pmuplay: ${visible(u.message)}\n`);
    }
    return exitBadInput;
  }
  const compare = flags.policy === 'all';
  return runFiles(files, { overrides, compare, json: flags.json, strict: flags.strict, quiet: flags.quiet, color: colorFor(io, flags.json), record: recordRun(flags), trace: traceRun(flags) }, ...writers(io));
}

/** Results to stdout, diagnostics to stderr (see headless.ts), a line each. */
function writers(io: Io): [(line: string) => void, (line: string) => void] {
  return [(line) => io.stdout.write(line + '\n'), (line) => io.stderr.write(line + '\n')];
}

function needTerminal(what: string, io: Io): void {
  if (!io.stdinIsTTY || !io.stdoutIsTTY) {
    fail(`${what} needs a terminal (stdin and stdout are not both a TTY). To run scripts without one: pmuplay run FILE.pmu`);
  }
}

/** Ink draws only a final frame when it sees CI set. The playground is interactive and has a
 * terminal, so a CI variable in the environment must not blank its screen; Ink reads the
 * variable when it loads, which is after this. */
function forgetCi(): void {
  delete process.env['CI'];
  delete process.env['CONTINUOUS_INTEGRATION'];
}

async function playground(flags: Flags, io: Io): Promise<number> {
  const config = { ...defaultConfig, ...overridesFromFlags(flags) };
  // A recording that cannot be written fails here, before the session begins (and before
  // the file is created or emptied): a file that exists needs --force.
  const overwrite = flags.force;
  checkRecording(flags);
  needTerminal('the playground', io);
  let recorder: Recorder | null = null;
  if (flags.record !== undefined) {
    const r = Recorder.open(flags.record, config, { overwrite });
    if (typeof r === 'string') fail(r);
    recorder = r;
  }
  forgetCi();
  const { startTui } = await import('./tui/main.js');
  return startTui(config, recorder);
}

async function replay(paths: string[], flags: Flags, io: Io): Promise<number> {
  if (paths.length !== 1) fail('replay takes one recording (try: pmuplay replay saves/examples/recorded-workload.pmu)');
  const read = readPmuFile(paths[0]!);
  if (!read.ok) fail(read.message);
  const parsed = parseScript(read.file.text);
  if (!parsed.ok) {
    const e = parsed.errors[0]!;
    fail(`${paths[0]}:${e.line}:${e.column}: ${e.message}${parsed.errorCount > 1 ? ` (and ${parsed.errorCount - 1} more)` : ''}`);
  }
  const overrides = overridesFromFlags(flags);
  needTerminal('replay', io);
  forgetCi();
  const { startReplay } = await import('./tui/main.js');
  // Flags override the recording's header; nothing else does.
  return startReplay(paths[0]!, overrides, parsed.script);
}

async function demo(names: string[], flags: Flags, io: Io): Promise<number> {
  if (names.length === 0) {
    const all = listDemos();
    for (const line of demoListing(all)) io.stdout.write(visible(line) + '\n');
    return exitOk;
  }
  if (names.length > 1) fail('demo takes one name (pmuplay demo lists them)');
  const loaded = loadDemo(names[0]!);
  if (!loaded.ok) fail(loaded.message);
  const overrides = overridesFromFlags(flags);
  if (flags.headless) {
    checkRecording(flags);
    // The name every line and object carries: a file the user can open (saves/demos/tour.pmu).
    const file = { name: demoFileName(loaded.info), text: loaded.text };
    const compare = flags.policy === 'all';
    return runFiles([file], { overrides, compare, json: flags.json, strict: flags.strict, quiet: true, color: colorFor(io, flags.json), record: recordRun(flags), trace: traceRun(flags) }, ...writers(io));
  }
  needTerminal('a demo', io);
  forgetCi();
  const { startReplay } = await import('./tui/main.js');
  return startReplay(loaded.info.name, overrides, loaded.script, true);
}

async function explore(paths: string[], flags: Flags, io: Io): Promise<number> {
  if (paths.length !== 1) fail('explore takes one scenario file (try: pmuplay explore saves/explore/other-mm.pmu)');
  const overrides = overridesFromFlags(flags);
  // Ctrl-C stops the search; the summary then says how far it got.
  const onInterrupt = (stop: () => void) => {
    const handler = () => stop();
    process.once('SIGINT', handler);
    return () => process.off('SIGINT', handler);
  };
  let workers = defaultWorkers();
  if (flags.workers !== undefined) {
    const w = parseUint(flags.workers);
    if (w === null || w > BigInt(exploreWorkersMax)) fail(`--workers: ${flags.workers === '' ? 'give a number' : `${visible(flags.workers)} is not a number`} of worker threads from 0 to ${exploreWorkersMax}`);
    workers = Number(w);
  }
  return exploreFile(paths[0]!, { overrides, json: flags.json, out: flags.out ?? 'explore-out', onInterrupt, workers }, io);
}

const modeWords = ['run', 'replay', 'demo', 'explore', 'kernel-check'];

/** The mode the first word names; an unknown word is an error with the nearest mode. */
function modeOf(word: string | undefined, rest: string[], flags: Flags): Mode {
  if (word === 'run' || word === 'replay' || word === 'explore' || word === 'kernel-check') return word;
  if (word === 'demo') return rest.length === 0 ? 'demo list' : flags.headless ? 'demo --headless' : 'demo';
  if (word === undefined) return 'playground';
  if (/\.pmu$/i.test(word)) fail(`unknown mode '${word}': to run a file, pmuplay run ${word}; to play a recording, pmuplay replay ${word}`);
  const near = didYouMean(word, modeWords);
  fail(`unknown mode '${word}' (${near ? `did you mean ${near}? ` : ''}modes: run, replay, demo, explore, kernel-check; see pmuplay --help)`);
}

/** The whole command line: returns the exit code. Usage and input errors print one line on
 * stderr and return 2; nothing here exits the process. */
export async function main(argv: string[], io: Io): Promise<number> {
  try {
    const { input, flags, help: helpText, version } = await parseArgs(argv);
    if (flags.help) {
      io.stdout.write(helpText + '\n');
      return exitOk;
    }
    if (flags.version) {
      io.stdout.write(version + '\n');
      return exitOk;
    }
    const [word, ...rest] = input;
    const mode = modeOf(word, rest, flags);
    checkFlags(mode, rest.length, flags);
    if (mode === 'run') return run(rest, flags, io);
    if (mode === 'replay') return await replay(rest, flags, io);
    if (mode === 'explore') return await explore(rest, flags, io);
    if (mode === 'kernel-check') return await kernelCheckFiles(rest, { overrides: overridesFromFlags(flags), json: flags.json, onHost: flags.onHost, env: io.env }, io);
    if (mode === 'playground') return await playground(flags, io);
    return await demo(rest, flags, io);
  } catch (e) {
    if (!(e instanceof Refusal)) throw e;
    io.stderr.write(`pmuplay: ${visible(e.message)}\n`);
    return exitBadInput;
  }
}
