/**
 * `pmuplay run --policy all`: each script once per design, from the same seed, and a table of
 * what each design let happen — rows are finding codes (and failed expects), columns designs,
 * cells the count and the first step. Takes parsed scripts and a writer; touches no IO.
 */
import { type DesignName, type FindingCode, findingCodes } from './engine/command.js';
import { designNames } from './engine/designs/index.js';
import { type Script, resolveConfig } from './engine/script.js';
import { playScript } from './engine/session.js';
import { Timeline, snapshotEveryDefault } from './engine/timeline.js';
import type { Config } from './engine/world.js';

export interface FirstSeen {
  count: number;
  step: number;
  line: number;
}

export interface DesignOutcome {
  findings: Partial<Record<FindingCode, FirstSeen>>;
  expects: number;
  failed: FirstSeen | null;
  /** The world's step when the run ended (or stopped). */
  steps: number;
  /** The line and message of a command this design's world rejected (the run stops there). */
  rejected: { line: number; message: string } | null;
}

export function runUnderDesign(script: Script, overrides: Partial<Config>, design: DesignName): DesignOutcome {
  const timeline = new Timeline(resolveConfig(script.header, { ...overrides, design }), script.lines.some((l) => l.command.kind === 'back') ? snapshotEveryDefault : 0);
  const out: DesignOutcome = { findings: {}, expects: 0, failed: null, steps: 0, rejected: null };
  // A design is chosen here for the whole run: the script's own `policy` lines step aside.
  for (const { line, result: r } of playScript(timeline, script.lines, (c) => c.kind === 'policy')) {
    const world = timeline.world;
    if (!r.ok) {
      out.rejected = { line: line.line, message: r.rejection.message };
      break;
    }
    for (const f of r.findings) {
      const seen = out.findings[f.code];
      if (seen) seen.count++;
      else out.findings[f.code] = { count: 1, step: f.step, line: line.line };
    }
    if (r.check) {
      out.expects++;
      if (!r.check.passed) {
        if (out.failed) out.failed.count++;
        else out.failed = { count: 1, step: world.step, line: line.line };
      }
    }
  }
  out.steps = timeline.world.step;
  return out;
}

export function compareScript(script: Script, overrides: Partial<Config>): Record<DesignName, DesignOutcome> {
  const all = {} as Record<DesignName, DesignOutcome>;
  for (const design of designNames) all[design] = runUnderDesign(script, overrides, design);
  return all;
}

function cell(seen: FirstSeen | null | undefined): string {
  return seen ? `${seen.count} (step ${seen.step})` : '-';
}

/** Rows of cells as lines, the widest cell setting each column's width. */
function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd());
}

export interface DesignTotal {
  steps: number;
  findings: number;
  expects: number;
  failed: number;
  stopped: number;
}

/** Several files' outcomes added up per design: the data and the table that closes the run. */
export function formatTotals(outcomes: readonly Record<DesignName, DesignOutcome>[]): { designs: Record<DesignName, DesignTotal>; lines: string[] } {
  const designs = {} as Record<DesignName, DesignTotal>;
  for (const d of designNames) {
    const t: DesignTotal = { steps: 0, findings: 0, expects: 0, failed: 0, stopped: 0 };
    for (const all of outcomes) {
      const o = all[d];
      t.steps += o.steps;
      t.findings += Object.values(o.findings).reduce((sum, seen) => sum + seen.count, 0);
      t.expects += o.expects;
      t.failed += o.failed?.count ?? 0;
      t.stopped += o.rejected ? 1 : 0;
    }
    designs[d] = t;
  }
  const rows: string[][] = [['', ...designNames]];
  rows.push(['steps', ...designNames.map((d) => `${designs[d].steps}`)]);
  rows.push(['findings', ...designNames.map((d) => `${designs[d].findings}`)]);
  rows.push(['expects failed', ...designNames.map((d) => `${designs[d].failed}/${designs[d].expects}`)]);
  if (designNames.some((d) => designs[d].stopped > 0)) rows.push(['files stopped', ...designNames.map((d) => `${designs[d].stopped}`)]);
  return { designs, lines: [`== total: ${outcomes.length} files under every design`, ...table(rows)] };
}

/** The table as lines of text, widest cell setting the column width. */
export function formatComparison(name: string, seed: number, all: Record<DesignName, DesignOutcome>): string[] {
  const codes = findingCodes.filter((code) => designNames.some((d) => all[d].findings[code]));
  const rows: string[][] = [['', ...designNames]];
  for (const code of codes) rows.push([code, ...designNames.map((d) => cell(all[d].findings[code]))]);
  rows.push(['expects failed', ...designNames.map((d) => (all[d].expects === 0 ? '-' : cell(all[d].failed) === '-' ? `0/${all[d].expects}` : `${all[d].failed!.count}/${all[d].expects} (line ${all[d].failed!.line})`))]);
  if (designNames.some((d) => all[d].rejected)) {
    rows.push(['stopped', ...designNames.map((d) => (all[d].rejected ? `line ${all[d].rejected.line}` : '-'))]);
  }
  const lines = [`== ${name} under every design (seed ${seed})`, ...table(rows)];
  if (codes.length === 0) lines.push('no design produced a finding');
  for (const d of designNames) {
    const rej = all[d].rejected;
    if (rej) lines.push(`  ${d} stopped at line ${rej.line}: ${rej.message}`);
  }
  return lines;
}
