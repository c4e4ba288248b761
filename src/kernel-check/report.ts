/**
 * Model against kernel, line by line: one row per observable of a script (and per `expect`
 * line), its verdict, and a summary. A row is `inconclusive` when every window the kernel's
 * observation was made in saw a context switch (the model has none there) or when the kernel's
 * mux timer may have fired out of step with the model's ticks, `missing` when the
 * program printed nothing for the line (the task died or the guest stopped first).
 */
import type { Command } from '../engine/command.js';
import type { Framed } from './console.js';
import { kernelObservation } from './console.js';
import { type Observation, agree, describe } from './observation.js';
import type { PlannedLine } from './translate.js';

export type Verdict = 'agree' | 'disagree' | 'inconclusive' | 'missing' | 'model only';

export interface Row {
  line: number;
  command: string;
  model: string;
  kernel: string;
  verdict: Verdict;
  note: string;
  modelObservation: Observation | null;
  kernelObservation: Observation | null;
  kernelFields: Record<string, string> | null;
}

export interface Tally {
  agree: number;
  disagree: number;
  inconclusive: number;
  missing: number;
  modelOnly: number;
}

const timingDependent = new Set(['read', 'mrs', 'reg', 'mmap']);

/** Whether an `expect read`/`expect reg` line holds for the kernel's observation. */
function kernelExpect(c: Command, k: Observation): boolean | null {
  if (c.kind === 'expect-read' && k.what === 'read') {
    const want = c.outcome;
    return k.kind === want.kind && (want.kind !== 'value' || k.right === true);
  }
  if (c.kind === 'expect-reg' && k.what === 'reg') return k.value === c.value;
  return null;
}

/** The task's context switches between its previous line and this one (-1: not measured). */
const gap = (f: Framed) => Number(f.fields['gap'] ?? -1);

/** Merge a later run's rows into the first's: an inconclusive row takes a conclusive one. */
export function mergeRuns(first: readonly Row[], later: readonly Row[]): Row[] {
  const byLine = new Map(later.map((r) => [r.line, r]));
  return first.map((r) => {
    const again = byLine.get(r.line);
    return r.verdict === 'inconclusive' && again && again.verdict !== 'inconclusive' ? again : r;
  });
}

const holds = (b: boolean | null) => (b === null ? '' : b ? '; expect holds' : '; expect FAILS');

export function compareLines(planned: readonly PlannedLine[], framed: readonly Framed[]): Row[] {
  const byLine = new Map<number, Framed>();
  for (const f of framed) if (f.what !== 'error' && !f.what.startsWith('mux')) byLine.set(f.line, f);
  // From the line where the kernel's mux timer may have fired out of step with the model's ticks.
  const early = framed.find((f) => f.what === 'mux-early');
  const rows: Row[] = [];
  for (const p of planned) {
    const base = { line: p.line, command: p.text, modelObservation: p.model, kernelObservation: null, kernelFields: null };
    if (p.modelOnly !== null) {
      rows.push({ ...base, model: p.modelExpect === null ? '' : p.modelExpect ? 'holds' : 'FAILS', kernel: '-', verdict: 'model only', note: p.modelOnly });
      continue;
    }
    if (p.model === null) continue;
    const model = describe(p.model) + holds(p.modelExpect);
    const f = byLine.get(p.line);
    if (!f) {
      rows.push({ ...base, model, kernel: '(nothing)', verdict: 'missing', note: 'the program printed nothing for this line' });
      continue;
    }
    const k = kernelObservation(p.command, f);
    if (k.observation === null) continue;
    const kernel = describe(k.observation) + holds(kernelExpect(p.command, k.observation));
    const row = { ...base, model, kernel, kernelObservation: k.observation, kernelFields: f.fields };
    const agreed = agree(p.model, k.observation) && kernelExpect(p.command, k.observation) === (p.modelExpect ?? null);
    if (!agreed && k.observation.what === 'reg' && k.observation.value === null) {
      // PMSELR_EL0 needs ER to be read at EL0: the register is there, the task cannot look.
      rows.push({ ...row, verdict: 'inconclusive', note: `the task running there cannot read ${k.observation.reg} at EL0 (it traps)` });
    } else if (!agreed && early && p.line >= early.line) {
      rows.push({ ...row, verdict: 'inconclusive', note: `the kernel's mux timer may have rotated before the model's tick: line ${early.line} started past a multiple of the ${early.fields['interval_ms'] ?? '?'} ms interval` });
    } else if (!agreed && k.switches !== 0 && k.switches !== null && timingDependent.has(p.model.what)) {
      rows.push({ ...row, verdict: 'inconclusive', note: `every window saw a context switch (${k.switches} in the last)` });
    } else if (!agreed && gap(f) > 0 && !p.modelSwitched && timingDependent.has(p.model.what)) {
      rows.push({ ...row, verdict: 'inconclusive', note: `the task was switched ${gap(f)} times since its previous line, the model's was not` });
    } else {
      const notes = [k.switches ? `${k.switches} context switches in the window` : '', !agreed && gap(f) > 0 ? `the task was switched ${gap(f)} times since its previous line` : ''];
      rows.push({ ...row, verdict: agreed ? 'agree' : 'disagree', note: notes.filter(Boolean).join('; ') });
    }
  }
  return rows;
}

export function tally(rows: readonly Row[]): Tally {
  const t: Tally = { agree: 0, disagree: 0, inconclusive: 0, missing: 0, modelOnly: 0 };
  for (const r of rows) {
    if (r.verdict === 'model only') t.modelOnly++;
    else t[r.verdict]++;
  }
  return t;
}

export function addTally(a: Tally, b: Tally): Tally {
  return { agree: a.agree + b.agree, disagree: a.disagree + b.disagree, inconclusive: a.inconclusive + b.inconclusive, missing: a.missing + b.missing, modelOnly: a.modelOnly + b.modelOnly };
}

export function tallyText(t: Tally): string {
  const n = t.agree + t.disagree + t.inconclusive + t.missing;
  return `${n} observable${n === 1 ? '' : 's'}: ${t.agree} agree, ${t.disagree} disagree, ${t.inconclusive} inconclusive, ${t.missing} missing; ${t.modelOnly} model-only line${t.modelOnly === 1 ? '' : 's'}`;
}

/** The rows as a table a person reads (text mode). */
export function rowLines(rows: readonly Row[]): string[] {
  const cw = Math.min(34, Math.max(7, ...rows.map((r) => r.command.length)));
  const mw = Math.min(40, Math.max(5, ...rows.map((r) => r.model.length)));
  const kw = Math.min(40, Math.max(6, ...rows.map((r) => r.kernel.length)));
  const lines = [`  ${'line'.padEnd(5)} ${'command'.padEnd(cw)}  ${'model'.padEnd(mw)}  ${'kernel'.padEnd(kw)}  verdict`];
  for (const r of rows) {
    const note = r.note ? `: ${r.note}` : '';
    lines.push(`  ${String(r.line).padEnd(5)} ${r.command.padEnd(cw)}  ${r.model.padEnd(mw)}  ${r.kernel.padEnd(kw)}  ${r.verdict.toUpperCase() === 'DISAGREE' ? 'DISAGREE' : r.verdict}${note}`);
  }
  return lines;
}
