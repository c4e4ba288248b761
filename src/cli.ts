#!/usr/bin/env node
/**
 * The thin shell: flags (meow), the mode, files and the terminal. Everything else is the
 * engine's.
 */
import meow from 'meow';
import { type Config, defaultConfig } from './engine/world.js';
import { listDemos, loadDemo } from './demos.js';
import { readPmuFile } from './files.js';
import { Recorder, whyNotWritable } from './recorder.js';
import { configValue, parseScript } from './engine/script.js';
import { type SourceFile, exitBadInput, runFiles } from './headless.js';

const help = `
  Usage
    $ pmuplay                 the live playground on a starter world (needs a terminal)
    $ pmuplay run FILE...     run .pmu scripts headless; print the kernel log and findings;
                              a recording's checkpoints must match (exit 1 naming what differs)
    $ pmuplay replay FILE     play a recording in the TUI: play, pause, step, step back, next finding
    $ pmuplay demo [NAME]     list the narrated demos, or present one (--headless: as text)

  Options
    --policy NAME       kernel design: v4 (default), v5, upstream, x86, hardened; or all:
                        run each file under every design and print a comparison table
    --seed N            PRNG seed (default 1)
    --cpus N            CPUs (default 4, at most 64)
    --counters N        event counters per CPU (default 6, at most 31)
    --long-counters     64-bit PMUv3p5 event counters
    --cycles-per-tick N cycles each CPU runs in one tick (default 1000000)
    --perf-user-access N boot value of kernel.perf_user_access, 0 or 1 (upstream, hardened)
    --rdpmc N           boot value of x86's rdpmc mode: 0, 1 (default) or 2
    --json              one JSON object per line
    --quiet             only findings, narration, expects and the summary
    --strict            exit 1 when any finding occurs
    --record FILE       record the playground session to FILE as it goes (checked before it starts)
    --headless          demo: print the narration and the outcomes instead of presenting
    --help, --version

  A file's header line (pmuplay 1 seed=... cpus=...) sets its world; flags override it.
  Exit: 0 every expect held, 1 an expect failed (or --strict and a finding), 2 bad input.

  Examples
    $ pmuplay run saves/examples/v4-other-mm.pmu
    $ pmuplay run --json --quiet saves/examples/*.pmu
    $ pmuplay run --policy all saves/examples/v4-unmap-stale.pmu
`;

// Output piped into a program that stops reading (| head) is not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

const cli = meow(help, {
  importMeta: import.meta,
  allowUnknownFlags: false,
  flags: {
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
    headless: { type: 'boolean', default: false },
  },
});

function fail(message: string): never {
  process.stderr.write(`pmuplay: ${message}\n`);
  process.exit(exitBadInput);
}

function overridesFromFlags(): Partial<Config> {
  let overrides: Partial<Config> = {};
  const f = cli.flags;
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

function run(paths: string[]): never {
  if (paths.length === 0) fail('run needs at least one .pmu file (try: pmuplay run saves/examples/v4-other-mm.pmu)');
  const overrides = overridesFromFlags();
  const files: SourceFile[] = [];
  for (const path of paths) {
    const r = readPmuFile(path);
    if (!r.ok) fail(r.message);
    files.push(r.file);
  }
  const color = !cli.flags.json && process.stdout.isTTY === true && !process.env['NO_COLOR'];
  const compare = cli.flags.policy === 'all';
  const code = runFiles(files, { overrides, compare, json: cli.flags.json, strict: cli.flags.strict, quiet: cli.flags.quiet, color }, (line) => {
    process.stdout.write(line + '\n');
  });
  process.exitCode = code;
  process.stdout.write('', () => process.exit(code));
  return undefined as never;
}

function needTerminal(what: string): void {
  if (!process.stdin.isTTY || !process.stdout.isTTY) {
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

async function playground(): Promise<void> {
  const config = { ...defaultConfig, ...overridesFromFlags() };
  // A recording that cannot be written fails here, before the session begins (and before
  // the file is created).
  const why = cli.flags.record === undefined ? null : whyNotWritable(cli.flags.record);
  if (why) fail(`cannot record to ${cli.flags.record}: ${why}`);
  needTerminal('the playground');
  let recorder: Recorder | null = null;
  if (cli.flags.record !== undefined) {
    const r = Recorder.open(cli.flags.record, config);
    if (typeof r === 'string') fail(r);
    recorder = r;
  }
  forgetCi();
  const { startTui } = await import('./tui/main.js');
  process.exitCode = await startTui(config, recorder);
}

async function replay(paths: string[]): Promise<void> {
  if (paths.length !== 1) fail('replay takes one recording (try: pmuplay replay saves/examples/recorded-workload.pmu)');
  const read = readPmuFile(paths[0]!);
  if (!read.ok) fail(read.message);
  const parsed = parseScript(read.file.text);
  if (!parsed.ok) {
    const e = parsed.errors[0]!;
    fail(`${paths[0]}:${e.line}:${e.column}: ${e.message}${parsed.errors.length > 1 ? ` (and ${parsed.errors.length - 1} more)` : ''}`);
  }
  needTerminal('replay');
  forgetCi();
  const { startReplay } = await import('./tui/main.js');
  // Flags override the recording's header; nothing else does.
  process.exitCode = await startReplay(paths[0]!, overridesFromFlags(), parsed.script);
}

async function demo(names: string[]): Promise<void> {
  if (names.length === 0) {
    const all = listDemos();
    const width = Math.max(...all.map((d) => d.name.length));
    process.stdout.write('Demos (pmuplay demo NAME; --headless to print; --policy NAME for another design):\n');
    for (const d of all) process.stdout.write(`  ${d.name.padEnd(width)}  ${d.summary}\n`);
    return;
  }
  if (names.length > 1) fail('demo takes one name (pmuplay demo lists them)');
  const loaded = loadDemo(names[0]!);
  if (!loaded.ok) fail(loaded.message);
  const overrides = overridesFromFlags();
  if (cli.flags.headless) {
    const color = process.stdout.isTTY === true && !process.env['NO_COLOR'];
    const code = runFiles([{ name: `demos/${loaded.info.name}.pmu`, text: loaded.text }], { overrides, json: cli.flags.json, strict: false, quiet: true, color }, (line) => {
      process.stdout.write(line + '\n');
    });
    process.exitCode = code;
    return;
  }
  needTerminal('a demo');
  forgetCi();
  const { startReplay } = await import('./tui/main.js');
  process.exitCode = await startReplay(loaded.info.name, overrides, loaded.script, true);
}

const [mode, ...rest] = cli.input;
if (mode === 'run') run(rest);
else if (mode === 'replay') await replay(rest);
else if (mode === 'demo') await demo(rest);
else if (mode === undefined) {
  if (rest.length > 0) fail('the playground takes no file (did you mean pmuplay run FILE or pmuplay replay FILE?)');
  await playground();
} else fail(`unknown mode '${mode}' (modes: run, replay, demo; see pmuplay --help)`);
