/**
 * The bundled demos: `.pmu` files in saves/demos, each with a `# summary:` line, listed by
 * `pmuplay demo` in teaching order with the design each runs under, and presented by
 * `pmuplay demo NAME`.
 */
import { readdirSync } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Script, parseScript } from './engine/script.js';
import { didYouMean } from './did-you-mean.js';
import { readPmuFile } from './files.js';

/** saves/demos beside the package (from src/ under tsx, or dist/ when built). */
export const demosDir = fileURLToPath(new URL('../saves/demos/', import.meta.url));

export interface DemoInfo {
  name: string;
  path: string;
  summary: string;
  /** The design it runs under, with the what-ifs it turns on: `v4 + fault mmap-lock-skip, ipi manual`. */
  design: string;
}

/**
 * The order a workshop teaches them in (the README's table): the tour; the v4 leaks, the mmap
 * IPI before the unmap IPI; the register-level channels; the races and the read protocol; the
 * real-kernel bug; then what a counter exposes. Each concern is followed by its fix. A demo
 * not named here comes after these, in name order.
 */
export const teachingOrder = [
  'tour',
  'ipi-grants-others',
  'ipi-grants-others-fixed',
  'unmap-ipi',
  'unmap-ipi-oops',
  'unmap-ipi-fixed',
  'pmselr-channel',
  'pmselr-channel-fixed',
  'aarch32',
  'aarch32-fixed',
  'mmap-lock-race',
  'mmap-lock-race-fixed',
  'overflow-read',
  'offset-after-read',
  'offset-after-read-fixed',
  'other-counters',
  'other-counters-fixed',
  'chained-read',
  'chained-read-fixed',
];

/** The design a demo's text runs under: its header's policy (v4 when it names none), and the
 * `fault … on` and `ipi manual` lines it turns on. */
export function demoDesign(text: string): string {
  const policy = /^pmuplay .*\bpolicy=(\S+)/m.exec(text)?.[1] ?? 'v4';
  const whatIfs = [...text.matchAll(/^(fault \S+) on\s*$|^(ipi manual)\s*$/gm)].map((m) => m[1] ?? m[2]!);
  return whatIfs.length ? `${policy} + ${[...new Set(whatIfs)].join(', ')}` : policy;
}

/** Columns the demo list fits, as the playground's smallest screen. */
export const listingWidth = 80;

/** Indent of a demo's summary, on the line under its name. */
const summaryIndent = '    ';

/** The summary a demo's line may carry and still fit `listingWidth` (the bundled ones do: a test). */
export const summaryLengthMax = listingWidth - summaryIndent.length;

/**
 * The lines `pmuplay demo` prints: a heading, then each demo's name and design (in columns)
 * and its summary on a line of its own, so that all three fit 80 columns.
 */
export function demoListing(all: DemoInfo[]): string[] {
  const name = Math.max(...all.map((d) => d.name.length));
  return [
    'Demos (pmuplay demo NAME; --headless to print; --policy NAME: another design):',
    ...all.flatMap((d) => [`  ${d.name.padEnd(name)}  ${d.design}`, `${summaryIndent}${d.summary}`]),
  ];
}

/**
 * A demo's file named as the user can open it: relative to the working directory when it lies
 * below it (`saves/demos/tour.pmu` in a clone, as `pmuplay run` names it), else the absolute
 * path (an installed package).
 */
export function demoFileName(info: DemoInfo, cwd = process.cwd()): string {
  const rel = relative(cwd, info.path);
  return rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel) ? info.path : rel;
}

export function listDemos(dir = demosDir): DemoInfo[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((f) => f.endsWith('.pmu')).sort();
  } catch {
    return [];
  }
  // Teaching order; any other demo after those, in name order (sorted above).
  const rank = (f: string) => {
    const i = teachingOrder.indexOf(f.slice(0, -4));
    return i < 0 ? teachingOrder.length : i;
  };
  names.sort((a, b) => rank(a) - rank(b));
  return names.map((f) => {
    const path = join(dir, f);
    const read = readPmuFile(path);
    const summary = read.ok ? (/^# summary: (.*)$/m.exec(read.file.text)?.[1] ?? '') : `(unreadable: ${read.message})`;
    return { name: f.slice(0, -4), path, summary, design: read.ok ? demoDesign(read.file.text) : '?' };
  });
}

export type Loaded = { ok: true; info: DemoInfo; text: string; script: Script } | { ok: false; message: string };

/** A demo by name, parsed whole: an unknown name lists the known ones (and the nearest); a bad line names itself. */
export function loadDemo(name: string, dir = demosDir): Loaded {
  const all = listDemos(dir);
  const info = all.find((d) => d.name === name);
  if (!info) {
    const names = all.map((d) => d.name);
    const near = didYouMean(name, names);
    return { ok: false, message: `unknown demo '${name}' (${near ? `did you mean ${near}? ` : ''}known: ${names.join(', ')})` };
  }
  const read = readPmuFile(info.path);
  if (!read.ok) return { ok: false, message: read.message };
  const parsed = parseScript(read.file.text);
  if (!parsed.ok) {
    const e = parsed.errors[0]!;
    return { ok: false, message: `${demoFileName(info)}:${e.line}:${e.column}: ${e.message}${parsed.errorCount > 1 ? ` (and ${parsed.errorCount - 1} more)` : ''}` };
  }
  return { ok: true, info, text: read.file.text, script: parsed.script };
}
