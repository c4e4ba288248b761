/**
 * `.pmu` files: UTF-8 text, one command per line, `#` comments. An optional first line
 * `pmuplay 1 seed=… cpus=… …` names the format version and the world's configuration, so a
 * recording replays into the same world. A script is checked whole before any line runs.
 */
import type { Command } from './command.js';
import { type DesignName, designNames } from './designs/index.js';
import { countersMax, cpusMax, fileErrorsShownMax, sliceTicksMax } from './limits.js';
import { echo } from './lex.js';
import { parseCommand, parseUint } from './parse.js';
import { type Config, defaultConfig } from './world.js';

export const formatVersion = 1;

export interface ScriptLine {
  line: number;
  text: string;
  command: Command;
}

export interface ScriptError {
  line: number;
  column: number;
  message: string;
}

export interface Script {
  header: Partial<Config> | null;
  lines: ScriptLine[];
}

type Setting = Exclude<keyof Config, 'design'> | 'policy';
const headerKeys: Record<string, Setting> = {
  seed: 'seed',
  cpus: 'cpus',
  counters: 'counters',
  'long-counters': 'longCounters',
  policy: 'policy',
  'cycles-per-tick': 'cyclesPerTick',
  slice: 'sliceTicks',
  'perf-user-access': 'perfUserAccess',
  rdpmc: 'rdpmc',
};

/** Check one configuration value; the message says what is allowed. */
export function configValue(key: string, text: string): { ok: true; patch: Partial<Config> } | { ok: false; message: string } {
  const setting = headerKeys[key];
  if (!setting) return { ok: false, message: `unknown setting '${echo(key)}' (known: ${Object.keys(headerKeys).join(', ')})` };
  if (setting === 'policy') {
    if (!(designNames as readonly string[]).includes(text)) return { ok: false, message: `unknown design '${echo(text)}' (known: ${designNames.join(', ')})` };
    return { ok: true, patch: { design: text as DesignName } };
  }
  if (setting === 'longCounters') {
    if (text !== 'on' && text !== 'off') return { ok: false, message: `long-counters takes on|off, got '${echo(text)}'` };
    return { ok: true, patch: { longCounters: text === 'on' } };
  }
  const v = parseUint(text);
  const ranges: Record<string, [bigint, bigint]> = {
    seed: [0n, 0xffff_ffffn],
    cpus: [1n, BigInt(cpusMax)],
    counters: [1n, BigInt(countersMax)],
    cyclesPerTick: [1n, 1n << 48n],
    sliceTicks: [1n, BigInt(sliceTicksMax)],
    perfUserAccess: [0n, 1n],
    rdpmc: [0n, 2n],
  };
  const [lo, hi] = ranges[setting]!;
  if (v === null || v < lo || v > hi) return { ok: false, message: `${key} takes a whole number from ${lo} to ${hi}, got '${echo(text)}'` };
  if (setting === 'cyclesPerTick') return { ok: true, patch: { cyclesPerTick: v } };
  return { ok: true, patch: { [setting]: Number(v) } };
}

export function parseHeader(text: string): { ok: true; config: Partial<Config> } | { ok: false; column: number; message: string } {
  const words = text.trim().split(/\s+/);
  if (words[1] !== String(formatVersion)) {
    return { ok: false, column: 9, message: `unknown format version '${echo(words[1] ?? '')}' (this pmuplay reads version ${formatVersion})` };
  }
  let config: Partial<Config> = {};
  const seen = new Set<string>();
  let column = text.indexOf(words[1]) + words[1].length + 2;
  for (const word of words.slice(2)) {
    const at = text.indexOf(word, column - 1) + 1;
    const eq = word.indexOf('=');
    if (eq < 1) return { ok: false, column: at, message: `expected key=value, got '${echo(word)}'` };
    const key = word.slice(0, eq);
    // The last would win silently: a recording edited by hand must say which one it means.
    if (seen.has(key)) return { ok: false, column: at, message: `duplicate key '${echo(key)}'` };
    seen.add(key);
    const r = configValue(key, word.slice(eq + 1));
    if (!r.ok) return { ok: false, column: at, message: r.message };
    config = { ...config, ...r.patch };
    column = at + word.length;
  }
  return { ok: true, config };
}

export function formatHeader(config: Config): string {
  return `pmuplay ${formatVersion} seed=${config.seed} cpus=${config.cpus} counters=${config.counters} long-counters=${config.longCounters ? 'on' : 'off'} policy=${config.design} cycles-per-tick=${config.cyclesPerTick} slice=${config.sliceTicks} perf-user-access=${config.perfUserAccess} rdpmc=${config.rdpmc}`;
}

/** Parsed lines kept for reuse while parsing a file: a recording repeats a few lines a lot. */
const parsedKeptMax = 4096;

/** A whole file checked: its lines, or its first `fileErrorsShownMax` errors and how many
 * there are in all (`errorCount`). */
export function parseScript(text: string): { ok: true; script: Script } | { ok: false; errors: ScriptError[]; errorCount: number } {
  const errors: ScriptError[] = [];
  let errorCount = 0;
  const error = (e: ScriptError) => {
    if (errorCount++ < fileErrorsShownMax) errors.push(e);
  };
  const lines: ScriptLine[] = [];
  let header: Partial<Config> | null = null;
  // A line that repeats (`tick`, `tick 5`, `back`) is parsed once and its text and command
  // shared, so a file of millions of lines costs a small object a line, not a parse and a
  // command each. Rows are cut one at a time rather than split all at once.
  const seen = new Map<string, { text: string; command: Command } | null>();
  for (let at = 0, i = 0; at <= text.length; i++) {
    let next = text.indexOf('\n', at);
    if (next === -1) next = text.length;
    const raw = text.slice(at, next);
    if (next === text.length && raw === '') break; // the empty row after a final newline
    at = next + 1;
    const row = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const known = seen.get(row);
    if (known) {
      lines.push({ line: i + 1, text: known.text, command: known.command });
      continue;
    }
    if (known === null) continue; // a blank or comment line seen before
    const isHeader = /^\s*pmuplay(\s|$)/.test(row);
    if (isHeader && i === 0) {
      const h = parseHeader(row);
      if (h.ok) header = h.config;
      else error({ line: 1, column: h.column, message: `header: ${h.message}` });
      continue;
    }
    if (isHeader) {
      const column = row.indexOf('pmuplay') + 1;
      error({ line: i + 1, column, message: 'header: the header (pmuplay 1 seed=…) must be the first line of the file' });
      continue;
    }
    const r = parseCommand(row);
    if (!r.ok) {
      error({ line: i + 1, column: r.error.column, message: r.error.message });
      continue;
    }
    if (seen.size >= parsedKeptMax) seen.clear();
    if (!r.command) {
      seen.set(row, null);
      continue;
    }
    const parsed = { text: row.trim(), command: Object.freeze(r.command) };
    seen.set(row, parsed);
    lines.push({ line: i + 1, text: parsed.text, command: parsed.command });
  }
  if (errorCount > 0) return { ok: false, errors, errorCount };
  return { ok: true, script: { header, lines } };
}

/** A whole configuration from the defaults, a file's header and explicit overrides. */
export function resolveConfig(header: Partial<Config> | null, overrides: Partial<Config>): Config {
  return { ...defaultConfig, ...(header ?? {}), ...overrides };
}
