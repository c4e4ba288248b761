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
  /** The line and message of a command this design's world rejected (the run stops there). */
  rejected: { line: number; message: string } | null;
}

export function runUnderDesign(script: Script, overrides: Partial<Config>, design: DesignName): DesignOutcome {
  const timeline = new Timeline(resolveConfig(script.header, { ...overrides, design }), script.lines.some((l) => l.command.kind === 'back') ? snapshotEveryDefault : 0);
  const out: DesignOutcome = { findings: {}, expects: 0, failed: null, rejected: null };
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

/** The table as lines of text, widest cell setting the column width. */
export function formatComparison(name: string, seed: number, all: Record<DesignName, DesignOutcome>): string[] {
  const codes = findingCodes.filter((code) => designNames.some((d) => all[d].findings[code]));
  const rows: string[][] = [['', ...designNames]];
  for (const code of codes) rows.push([code, ...designNames.map((d) => cell(all[d].findings[code]))]);
  rows.push(['expects failed', ...designNames.map((d) => (all[d].expects === 0 ? '-' : cell(all[d].failed) === '-' ? `0/${all[d].expects}` : `${all[d].failed!.count}/${all[d].expects} (line ${all[d].failed!.line})`))]);
  if (designNames.some((d) => all[d].rejected)) {
    rows.push(['stopped', ...designNames.map((d) => (all[d].rejected ? `line ${all[d].rejected.line}` : '-'))]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const lines = [`== ${name} under every design (seed ${seed})`];
  for (const r of rows) lines.push(r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd());
  if (codes.length === 0) lines.push('no design produced a finding');
  for (const d of designNames) {
    const rej = all[d].rejected;
    if (rej) lines.push(`  ${d} stopped at line ${rej.line}: ${rej.message}`);
  }
  return lines;
}
