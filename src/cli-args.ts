/**
 * The command line's words: the help text, the flags (meow), parsing them with suggestions for
 * a mistyped one, the world they set, and where each flag applies (a flag given in a mode it
 * does not apply to is a usage error naming where it does). main.ts dispatches the modes.
 */
import { resolve } from 'node:path';
import type meow from 'meow';
import { type Config } from './engine/world.js';
import { didYouMean } from './did-you-mean.js';
import type { Command } from './engine/command.js';
import { isObserving } from './engine/step.js';
import { type SaveResult, saveBranch, whyNotWritable } from './recorder.js';
import { saveTrace } from './trace-file.js';
import { configValue } from './engine/script.js';
import type { RunOptions } from './headless.js';

const help = `
  Usage
    $ pmuplay                 the live playground on a starter world (needs a terminal)
    $ pmuplay run FILE...     run .pmu scripts headless; print the kernel log and findings;
                              a recording's checkpoints must match (exit 1 naming what differs)
    $ pmuplay replay FILE     play a recording in the TUI: play, pause, step, step back, next finding
    $ pmuplay demo [NAME]     list the narrated demos, or present one (--headless: as text)
    $ pmuplay explore FILE    search a scenario's interleavings (programs, IPIs, switches) for
                              findings; write each code's shortest trace as a recording
    $ pmuplay kernel-check FILE...  run upstream scripts as real programs on Debian's arm64
                              Linux 6.1 under QEMU; compare the kernel with the model, line by line

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
    --json              run, demo --headless, explore: one JSON object per line
    --quiet             run: only findings, narration, expects and the summary
                        (demo --headless always is)
    --strict            run, demo --headless: exit 1 when any finding occurs
    --record FILE       the playground: record the session to FILE as it goes; run (one FILE)
                        and demo NAME --headless: write the run as a recording with checkpoints.
                        Checked before anything runs; an existing FILE is refused unless --force
    --trace FILE        run (one FILE) and demo NAME --headless: write the run as a Chrome Trace
                        Event JSON file (open it in ui.perfetto.dev or chrome://tracing). Checked
                        before anything runs; an existing FILE is refused unless --force
    --force             with --record or --trace: replace an existing FILE (a regular file; it
                        keeps its mode)
    --headless          demo NAME: print the narration and the outcomes instead of presenting
    --out DIR           explore: where the traces go (default explore-out; made if missing)
    --workers N         explore: worker threads beside the search's own (default: one for
                        every core but one; 0 searches in one thread). The results are the same
    --on-host           kernel-check: run the program on this arm64 Linux host, not under QEMU
    -h, --help; -v, --version

  The world flags (--policy to --rdpmc) apply to the playground, run, replay, demo NAME and
  explore.
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
    $ pmuplay explore saves/explore/other-mm.pmu --out traces
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
  trace: { type: 'string' },
  force: { type: 'boolean', default: false },
  headless: { type: 'boolean', default: false },
  out: { type: 'string' },
  workers: { type: 'string' },
  onHost: { type: 'boolean', default: false },
  help: { type: 'boolean', default: false, shortFlag: 'h' },
  version: { type: 'boolean', default: false, shortFlag: 'v' },
} as const;

export type Flags = ReturnType<typeof meow<typeof flagSpec>>['flags'];

/** The word that names the mode (`explore`, `run`…), found as meow would: the first word that
 * is neither a flag nor the value of a flag that takes one (`--policy v4 explore f.pmu`). */
export function modeWord(argv: readonly string[]): string | undefined {
  const takesValue = new Set(Object.entries(flagSpec).filter(([, v]) => v.type === 'string').map(([k]) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`));
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return argv[i + 1];
    if (!a.startsWith('-')) return a;
    if (takesValue.has(a)) i++;
  }
  return undefined;
}

/** A usage or input error: `main` prints it and exits 2. */
export class Refusal {
  constructor(readonly message: string) {}
}

export function fail(message: string): never {
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

export interface Args {
  input: string[];
  flags: Flags;
  /** For --help and --version (meow reads them from package.json). */
  help: string;
  version: string;
}

/** What meow makes of no arguments: each flag at its default. `pmuplay` alone starts the
 * playground without loading meow (a tenth of the bundle, and a read of package.json) before
 * the first frame; a test holds this to meow's own answer. */
export function noArgs(): Args {
  // A boolean not typed is undefined here, as meowArgs makes --long-counters (see there).
  const flags = Object.fromEntries(Object.entries(flagSpec).map(([k, v]) => [k, k === 'longCounters' ? undefined : 'default' in v ? v.default : undefined])) as Flags;
  // Neither --help nor --version was asked for.
  return { input: [], flags, help: '', version: '' };
}

export async function parseArgs(argv: string[]): Promise<Args> {
  if (argv.length > 0) return meowArgs(argv);
  // What meow would also do: name the process after the program (ps, pgrep).
  process.title = 'pmuplay';
  return noArgs();
}

export async function meowArgs(argv: string[]): Promise<Args> {
  const { default: meow } = await import('meow');
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

export function overridesFromFlags(f: Flags): Partial<Config> {
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
export type Mode = 'playground' | 'run' | 'replay' | 'demo list' | 'demo' | 'demo --headless' | 'explore' | 'kernel-check';

const modeNames: Record<Mode, string> = {
  playground: 'the playground',
  run: 'run',
  replay: 'replay',
  'demo list': 'the demo list (pmuplay demo with no NAME)',
  demo: 'a demo in the TUI',
  'demo --headless': 'demo NAME --headless',
  explore: 'explore',
  'kernel-check': 'kernel-check',
};

type FlagName = Exclude<keyof typeof flagSpec, 'help' | 'version'>;

const worldModes: readonly Mode[] = ['playground', 'run', 'replay', 'demo', 'demo --headless', 'explore', 'kernel-check'];
const world = { modes: worldModes, where: 'the playground, run, replay, demo NAME and explore' };
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
  json: { modes: ['run', 'demo --headless', 'explore', 'kernel-check'], where: 'run, demo NAME --headless, explore and kernel-check' },
  quiet: headless,
  strict: headless,
  record: recording,
  trace: headless,
  force: recording,
  headless: { modes: ['demo --headless'], where: 'demo NAME' },
  out: { modes: ['explore'], where: 'explore' },
  workers: { modes: ['explore'], where: 'explore' },
  onHost: { modes: ['kernel-check'], where: 'kernel-check' },
};

/** Why a flag does not fit where it was given, in a mode-specific word or two. */
const flagHints: Partial<Record<`${FlagName} ${Mode}`, string>> = {
  'headless run': ' (run is always headless)',
  'record replay': ' (a replay is read-only; the recording is already a file)',
  'record demo': ' (add --headless to record the demo as it runs)',
  'json demo': ' (add --headless to print the demo)',
  'strict demo': ' (add --headless to check the demo)',
  'trace demo': ' (add --headless to trace the demo as it runs)',
  'trace playground': ' (in the playground, save --trace FILE writes the session so far)',
  'trace explore': ' (explore writes a NAME.CODE.trace.json beside each trace it finds)',
};

/** Was the flag typed? A boolean's false is meow's default, except `--no-long-counters`. */
function given(flags: Flags, name: FlagName): boolean {
  const value = flags[name];
  return value !== undefined && (value !== false || name === 'longCounters');
}

/** Usage errors for flags that do not apply in `mode`, all at once, before anything runs. */
export function checkFlags(mode: Mode, files: number, flags: Flags): void {
  const wrong: string[] = [];
  for (const name of Object.keys(flagModes) as FlagName[]) {
    const { modes, where } = flagModes[name];
    if (given(flags, name) && !modes.includes(mode)) wrong.push(`--${kebab(name)} applies to ${where}, not to ${modeNames[mode]}${flagHints[`${name} ${mode}`] ?? ''}`);
  }
  if (wrong.length > 0) fail(wrong.join('; '));
  const all = flags.policy === 'all';
  if (all && mode === 'explore') fail('--policy all applies to run and demo NAME --headless; explore searches under one design: give --policy v4 (then --policy hardened to compare)');
  if (all && mode !== 'run' && mode !== 'demo --headless') {
    fail(`--policy all applies to run and demo NAME --headless (a table of every design); ${modeNames[mode]} runs one design: give --policy ${designList}`);
  }
  if (flags.record !== undefined && all) fail('--record records one run; --policy all runs every design (give one --policy NAME to record)');
  if (flags.record !== undefined && mode === 'run' && files > 1) fail(`--record records one run: give run one FILE (${files} given)`);
  if (flags.trace !== undefined && all) fail('--trace traces one run; --policy all runs every design (give one --policy NAME to trace)');
  if (flags.trace !== undefined && mode === 'run' && files > 1) fail(`--trace traces one run: give run one FILE (${files} given)`);
  if (flags.trace !== undefined && flags.record !== undefined && resolve(flags.trace) === resolve(flags.record)) fail(`--record and --trace name the same file (${flags.trace}): give each its own`);
  if (flags.force && flags.record === undefined && flags.trace === undefined) fail('--force goes with --record FILE or --trace FILE (it lets them replace FILE)');
}

const designList = 'v4, v5, upstream, x86 or hardened';

/** `--record FILE` and `--trace FILE` checked before anything runs: a file that exists needs --force. */
export function checkRecording(flags: Flags): void {
  for (const [flag, path] of [['record', flags.record], ['trace', flags.trace]] as const) {
    const why = path === undefined ? null : whyNotWritable(path, { overwrite: flags.force });
    if (why) fail(`cannot ${flag} to ${path}: ${why}`);
  }
}

/** A file written after the run: what was written, or why not (a file there without --force). */
function saved(r: SaveResult, flag: 'record' | 'trace', said: string): { ok: boolean; message: string } {
  if (r.kind === 'saved') return { ok: true, message: said };
  return { ok: false, message: r.kind === 'exists' ? `cannot ${flag} to ${r.message}; give --force to replace it` : r.message };
}

/** The steps commands take: a `tick N` is N, a command that only looks (an expect, a say) none. */
const stepsOf = (commands: Command[]) => commands.reduce((sum, c) => sum + (c.kind === 'tick' ? c.n : isObserving(c) ? 0 : 1), 0);

/** For `run` and `demo --headless`: the one run's branch, saved as a recording with checkpoints. */
export function recordRun(flags: Flags): RunOptions['record'] {
  const path = flags.record;
  if (path === undefined) return undefined;
  return (config, commands) => {
    const steps = stepsOf(commands);
    return saved(saveBranch(path, config, commands, { overwrite: flags.force }), 'record', `recorded ${steps} step${steps === 1 ? '' : 's'} to ${path} (pmuplay replay ${path})`);
  };
}

/** For `run` and `demo --headless`: the one run, written as a trace (trace-file.ts). */
export function traceRun(flags: Flags): RunOptions['trace'] {
  const path = flags.trace;
  if (path === undefined) return undefined;
  return (config, commands) => {
    const steps = stepsOf(commands);
    return saved(saveTrace(path, config, commands, { overwrite: flags.force }), 'trace', `traced ${steps} step${steps === 1 ? '' : 's'} to ${path} (open it in ui.perfetto.dev)`);
  };
}
