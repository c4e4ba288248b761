/**
 * The thin shell: flags (meow), the mode, files and the terminal. Everything else is the
 * engine's. `main` takes its arguments and its streams as values (`Io`), so the tests run the
 * whole command line in-process; `cli.ts` calls it with the real process.
 */
import meow from 'meow';
import { type Config, defaultConfig } from './engine/world.js';
import { demoListing, listDemos, loadDemo } from './demos.js';
import { didYouMean } from './did-you-mean.js';
import { readPmuFile } from './files.js';
import { Recorder, saveBranch, whyNotWritable } from './recorder.js';
import { configValue, parseScript } from './engine/script.js';
import { type RunOptions, type SourceFile, exitBadInput, exitOk, runFiles } from './headless.js';
import { jsonLine, visible } from './visible.js';

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

const help = `
  Usage
    $ pmuplay                 the live playground on a starter world (needs a terminal)
    $ pmuplay run FILE...     run .pmu scripts headless; print the kernel log and findings;
                              a recording's checkpoints must match (exit 1 naming what differs)
    $ pmuplay replay FILE     play a recording in the TUI: play, pause, step, step back, next finding
    $ pmuplay demo [NAME]     list the narrated demos, or present one (--headless: as text)

  Options
    --policy NAME       kernel design: v4 (default), v5, upstream, x86, hardened; or all (run,
                        demo --headless): each file under every design, and a comparison table
    --seed N            PRNG seed (default 1)
    --cpus N            CPUs (default 4, at most 64)
    --counters N        event counters per CPU (default 6, at most 31)
    --long-counters     64-bit PMUv3p5 event counters
    --cycles-per-tick N cycles each CPU runs in one tick (default 1000000)
    --perf-user-access N boot value of kernel.perf_user_access, 0 or 1 (upstream, hardened)
    --rdpmc N           boot value of x86's rdpmc mode: 0, 1 (default) or 2
    --json              run, demo --headless: one JSON object per line
    --quiet             run: only findings, narration, expects and the summary
                        (demo --headless always is)
    --strict            run, demo --headless: exit 1 when any finding occurs
    --record FILE       the playground: record the session to FILE as it goes; run (one FILE)
                        and demo NAME --headless: write the run as a recording with checkpoints.
                        Checked before anything runs; an existing FILE is refused unless --force
    --force             with --record: replace an existing FILE (a regular file; it keeps its mode)
    --headless          demo NAME: print the narration and the outcomes instead of presenting
    -h, --help; -v, --version

  The world flags (--policy to --rdpmc) apply to the playground, run, replay and demo NAME.
  A flag given where it does not apply is a usage error that says where it does (exit 2).
  A file's header line (pmuplay 1 seed=... cpus=...) sets its world; flags override it.

  Output: results (the log, narration, findings, expects, checkpoints, summaries) go to
  stdout; errors (usage, a file that cannot be read, a line that does not parse, a command
  the world rejects) to stderr, at most 20 a file. With --json every result and every error
  about a file is a JSON object on stdout; only usage errors stay text on stderr. Text that
  came from a file or a flag shows control characters escaped (ESC as \\x1b).
  Several files end with a total line. Exit: 0 every expect held; 1 an expect or checkpoint
  failed (or --strict and a finding; with --policy all, under any design); 2 bad input;
  74 the output could not be written (a closed pipe, as with | head, is 0).

  Examples
    $ pmuplay run saves/examples/v4-other-mm.pmu
    $ pmuplay run --json --quiet saves/examples/*.pmu
    $ pmuplay run --policy all saves/examples/v4-unmap-stale.pmu
    $ pmuplay run --record out.pmu my-script.pmu && pmuplay replay out.pmu
`;

const flagSpec = {
  policy: { type: 'string' },
  seed: { type: 'string' },
  cpus: { type: 'string' },
  counters: { type: 'string' },
  longCounters: { type: 'boolean' },
  cyclesPerTick: { type: 'string' },
  perfUserAccess: { type: 'string' },
  rdpmc: { type: 'string' },
  json: { type: 'boolean', default: false },
  quiet: { type: 'boolean', default: false },
  strict: { type: 'boolean', default: false },
  record: { type: 'string' },
  force: { type: 'boolean', default: false },
  headless: { type: 'boolean', default: false },
  help: { type: 'boolean', default: false, shortFlag: 'h' },
  version: { type: 'boolean', default: false, shortFlag: 'v' },
} as const;

type Flags = ReturnType<typeof meow<typeof flagSpec>>['flags'];

/** A usage or input error: `main` prints it and exits 2. */
class Refusal {
  constructor(readonly message: string) {}
}

function fail(message: string): never {
  throw new Refusal(message);
}

/** `--long-counters` as meow reports it (camel case) and as it is typed. */
const kebab = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** Every long flag as it may be typed (a boolean also as `--no-NAME`). */
const flagNames = Object.entries(flagSpec).flatMap(([key, spec]) => (spec.type === 'boolean' ? [kebab(key), `no-${kebab(key)}`] : [kebab(key)]));

/**
 * The long flags typed that are not ours, as typed. Read from argv rather than from meow,
 * which folds case (`--Json` vanishes, taking the next word as its value).
 */
function unknownLongFlags(argv: string[]): string[] {
  const end = argv.indexOf('--');
  const typed = (end < 0 ? argv : argv.slice(0, end)).filter((a) => a.startsWith('--') && a.length > 2).map((a) => a.slice(2).split('=')[0]!);
  return [...new Set(typed.filter((name) => !flagNames.includes(name)))];
}

/** An unknown long flag with the nearest known one when one is near. */
function withSuggestion(name: string): string {
  const near = didYouMean(name, flagNames);
  return near ? `--${name} (did you mean --${near}?)` : `--${name}`;
}

function parseArgs(argv: string[]): { input: string[]; flags: Flags; help: string; version: string } {
  let cli;
  try {
    // meow is told not to print or exit by itself: --help and --version are flags like the
    // others, and unknown flags are found below, so nothing here ends the process.
    cli = meow(help, { importMeta: import.meta, argv, autoHelp: false, autoVersion: false, allowUnknownFlags: true, flags: flagSpec });
  } catch (e) {
    fail((e as Error).message); // a flag given twice
  }
  const known = new Set<string>(Object.keys(flagSpec));
  // Short flags as meow found them (-x); long ones as typed, with a suggestion.
  const short = Object.keys(cli.flags).filter((k) => k.length === 1 && !known.has(k)).map((k) => `-${k}`);
  const unknown = [...unknownLongFlags(argv).map(withSuggestion), ...short];
  if (unknown.length > 0) fail(`Unknown flag${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}; see pmuplay --help`);
  const version = typeof cli.pkg.version === 'string' ? cli.pkg.version : 'unknown';
  // meow reports a boolean flag that was not given as false; a file's header must then stand
  // (long-counters=on), so a boolean that overrides a header key counts only when typed.
  const flags = { ...cli.flags };
  if (!argv.some((a) => /^--(no-)?long-counters(=|$)/.test(a))) flags.longCounters = undefined;
  return { input: cli.input, flags, help: cli.help, version };
}

function overridesFromFlags(f: Flags): Partial<Config> {
  let overrides: Partial<Config> = {};
  const pairs: [string, string | undefined][] = [
    ['policy', f.policy],
    ['seed', f.seed],
    ['cpus', f.cpus],
    ['counters', f.counters],
    ['cycles-per-tick', f.cyclesPerTick],
    ['perf-user-access', f.perfUserAccess],
    ['rdpmc', f.rdpmc],
    ['long-counters', f.longCounters === undefined ? undefined : f.longCounters ? 'on' : 'off'],
  ];
  for (const [key, value] of pairs) {
    if (value === undefined || (key === 'policy' && value === 'all')) continue;
    const r = configValue(key, value);
    if (!r.ok) fail(`--${key}: ${r.message}`);
    overrides = { ...overrides, ...r.patch };
  }
  return overrides;
}

/** What the command line asks for: the flags that apply depend on it. */
type Mode = 'playground' | 'run' | 'replay' | 'demo list' | 'demo' | 'demo --headless';

const modeNames: Record<Mode, string> = {
  playground: 'the playground',
  run: 'run',
  replay: 'replay',
  'demo list': 'the demo list (pmuplay demo with no NAME)',
  demo: 'a demo in the TUI',
  'demo --headless': 'demo NAME --headless',
};

type FlagName = Exclude<keyof typeof flagSpec, 'help' | 'version'>;

const worldModes: readonly Mode[] = ['playground', 'run', 'replay', 'demo', 'demo --headless'];
const world = { modes: worldModes, where: 'the playground, run, replay and demo NAME' };
const headless = { modes: ['run', 'demo --headless'] as const, where: 'run and demo NAME --headless' };
const recording = { modes: ['playground', 'run', 'demo --headless'] as const, where: 'the playground, run FILE and demo NAME --headless' };

/**
 * Where each flag means something. A flag given anywhere else is a usage error naming where
 * it applies, so nothing typed is silently ignored. `--help` and `--version` apply anywhere.
 */
const flagModes: Record<FlagName, { modes: readonly Mode[]; where: string }> = {
  policy: world,
  seed: world,
  cpus: world,
  counters: world,
  longCounters: world,
  cyclesPerTick: world,
  perfUserAccess: world,
  rdpmc: world,
  json: headless,
  quiet: headless,
  strict: headless,
  record: recording,
  force: recording,
  headless: { modes: ['demo --headless'], where: 'demo NAME' },
};

/** Why a flag does not fit where it was given, in a mode-specific word or two. */
const flagHints: Partial<Record<`${FlagName} ${Mode}`, string>> = {
  'headless run': ' (run is always headless)',
  'record replay': ' (a replay is read-only; the recording is already a file)',
  'record demo': ' (add --headless to record the demo as it runs)',
  'json demo': ' (add --headless to print the demo)',
  'strict demo': ' (add --headless to check the demo)',
};

/** Was the flag typed? A boolean's false is meow's default, except `--no-long-counters`. */
function given(flags: Flags, name: FlagName): boolean {
  const value = flags[name];
  return value !== undefined && (value !== false || name === 'longCounters');
}

/** Usage errors for flags that do not apply in `mode`, all at once, before anything runs. */
function checkFlags(mode: Mode, files: number, flags: Flags): void {
  const wrong: string[] = [];
  for (const name of Object.keys(flagModes) as FlagName[]) {
    const { modes, where } = flagModes[name];
    if (given(flags, name) && !modes.includes(mode)) wrong.push(`--${kebab(name)} applies to ${where}, not to ${modeNames[mode]}${flagHints[`${name} ${mode}`] ?? ''}`);
  }
  if (wrong.length > 0) fail(wrong.join('; '));
  const all = flags.policy === 'all';
  if (all && mode !== 'run' && mode !== 'demo --headless') {
    fail(`--policy all applies to run and demo NAME --headless (a table of every design); ${modeNames[mode]} runs one design: give --policy ${designList}`);
  }
  if (flags.record !== undefined && all) fail('--record records one run; --policy all runs every design (give one --policy NAME to record)');
  if (flags.record !== undefined && mode === 'run' && files > 1) fail(`--record records one run: give run one FILE (${files} given)`);
  if (flags.force && flags.record === undefined) fail('--force goes with --record FILE (it lets a recording replace FILE)');
}

const designList = 'v4, v5, upstream, x86 or hardened';

/** `--record FILE` checked before anything runs: a file that exists needs --force. */
function checkRecording(flags: Flags): void {
  const why = flags.record === undefined ? null : whyNotWritable(flags.record, { overwrite: flags.force });
  if (why) fail(`cannot record to ${flags.record}: ${why}`);
}

/** For `run` and `demo --headless`: the one run's branch, saved as a recording with checkpoints. */
function recordRun(flags: Flags): RunOptions['record'] {
  const path = flags.record;
  if (path === undefined) return undefined;
  return (config, commands) => {
    const saved = saveBranch(path, config, commands, { overwrite: flags.force });
    if (saved.kind !== 'saved') return { ok: false, message: saved.kind === 'exists' ? `cannot record to ${saved.message}; give --force to replace it` : saved.message };
    const steps = commands.reduce((sum, c) => sum + (c.kind === 'tick' ? c.n : 1), 0);
    return { ok: true, message: `recorded ${steps} step${steps === 1 ? '' : 's'} to ${path} (pmuplay replay ${path})` };
  };
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
  return runFiles(files, { overrides, compare, json: flags.json, strict: flags.strict, quiet: flags.quiet, color: colorFor(io, flags.json), record: recordRun(flags) }, ...writers(io));
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
    io.stdout.write('Demos (pmuplay demo NAME; --headless to print; --policy NAME for another design):\n');
    for (const line of demoListing(all)) io.stdout.write(visible(line) + '\n');
    return exitOk;
  }
  if (names.length > 1) fail('demo takes one name (pmuplay demo lists them)');
  const loaded = loadDemo(names[0]!);
  if (!loaded.ok) fail(loaded.message);
  const overrides = overridesFromFlags(flags);
  if (flags.headless) {
    checkRecording(flags);
    const file = { name: `demos/${loaded.info.name}.pmu`, text: loaded.text };
    const compare = flags.policy === 'all';
    return runFiles([file], { overrides, compare, json: flags.json, strict: flags.strict, quiet: true, color: colorFor(io, flags.json), record: recordRun(flags) }, ...writers(io));
  }
  needTerminal('a demo', io);
  forgetCi();
  const { startReplay } = await import('./tui/main.js');
  return startReplay(loaded.info.name, overrides, loaded.script, true);
}

const modeWords = ['run', 'replay', 'demo'];

/** The mode the first word names; an unknown word is an error with the nearest mode. */
function modeOf(word: string | undefined, rest: string[], flags: Flags): Mode {
  if (word === 'run' || word === 'replay') return word;
  if (word === 'demo') return rest.length === 0 ? 'demo list' : flags.headless ? 'demo --headless' : 'demo';
  if (word === undefined) return 'playground';
  if (/\.pmu$/i.test(word)) fail(`unknown mode '${word}': to run a file, pmuplay run ${word}; to play a recording, pmuplay replay ${word}`);
  const near = didYouMean(word, modeWords);
  fail(`unknown mode '${word}' (${near ? `did you mean ${near}? ` : ''}modes: run, replay, demo; see pmuplay --help)`);
}

/** The whole command line: returns the exit code. Usage and input errors print one line on
 * stderr and return 2; nothing here exits the process. */
export async function main(argv: string[], io: Io): Promise<number> {
  try {
    const { input, flags, help: helpText, version } = parseArgs(argv);
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
    if (mode === 'playground') return await playground(flags, io);
    return await demo(rest, flags, io);
  } catch (e) {
    if (!(e instanceof Refusal)) throw e;
    io.stderr.write(`pmuplay: ${visible(e.message)}\n`);
    return exitBadInput;
  }
}
