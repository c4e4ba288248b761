/**
 * The bundled demos: `.pmu` files in saves/demos, each with a `# summary:` line, listed by
 * `pmuplay demo` and presented by `pmuplay demo NAME`.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
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
}

export function listDemos(dir = demosDir): DemoInfo[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((f) => f.endsWith('.pmu')).sort();
  } catch {
    return [];
  }
  // The tour first, then each concern followed by its fix.
  // A NUL ends the name, so `unmap-ipi` sorts before `unmap-ipi-oops`.
  const key = (f: string) => `${f.startsWith('tour.') ? 0 : 1}${f.replace(/(-fixed)?\.pmu$/, '')}\0${f.includes('-fixed.') ? 1 : 0}`;
  names.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  return names.map((f) => {
    const path = join(dir, f);
    const read = readPmuFile(path);
    const summary = read.ok ? (/^# summary: (.*)$/m.exec(read.file.text)?.[1] ?? '') : `(unreadable: ${read.message})`;
    return { name: f.slice(0, -4), path, summary };
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
    return { ok: false, message: `${info.path}:${e.line}:${e.column}: ${e.message}${parsed.errorCount > 1 ? ` (and ${parsed.errorCount - 1} more)` : ''}` };
  }
  return { ok: true, info, text: read.file.text, script: parsed.script };
}
