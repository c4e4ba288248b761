/**
 * `pmuplay kernel-check FILE…`: each script translated (translate.ts), built and run on a real
 * arm64 Linux 6.1 (guest.ts), its observations compared with the model's (report.ts), and a
 * total. Takes file texts and two writers; the files, processes and timers are the shell's and
 * guest.ts's.
 *
 * Exit: 0 every observable agreed (inconclusive rows allowed, and said); 1 a disagreement or a
 * line the program printed nothing for; 2 bad input (a line that does not parse, a line that
 * cannot run on a kernel, a missing Debian package); 3 the guest failed (did not boot in time,
 * did not finish, a build failed).
 */
import { writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { type Script, parseScript, resolveConfig } from '../engine/script.js';
import type { Config } from '../engine/world.js';
import { type SourceFile, exitBadInput } from '../headless.js';
import { jsonLine, visible } from '../visible.js';
import { type Framed, parseFramed } from './console.js';
import { cProgram } from './c-program.js';
import { type GuestResult, bootGuest, buildProgram, runOnHost } from './guest.js';
import { type Tally, addTally, compareLines, mergeRuns, rowLines, tally, tallyText } from './report.js';
import { type ToolName, cacheDir, findKernel, findTool, missing, tools } from './toolchain.js';
import { type Plan, translate } from './translate.js';

export interface KernelCheckOptions {
  overrides: Partial<Config>;
  json: boolean;
  onHost: boolean;
  env: Readonly<Record<string, string | undefined>>;
}

export type { SourceFile };
export { exitBadInput };
export const exitAgree = 0;
export const exitDisagree = 1;
export const exitGuestFailed = 3;

/**
 * Limits of one guest, bounds that only end a guest that is stuck: on a busy 2-core machine a
 * `-cpu max` guest took 54 s to start, and upstream-period-left.pmu (5 s of simulated time)
 * ran 88 s, as emulation in icount mode slows with the host.
 */
export const bootLimitMs = 180_000;
const runLimitBaseMs = 120_000;
/** Emulated time runs up to this many times slower than the simulated time it stands for. */
const spinSlowdownMax = 40;
/** Runs of a scenario at most, while a row is inconclusive for a context switch. */
const runsMax = 3;
/** Per script line: a line's handshake takes milliseconds; a stalled task times out in the guest first. */
const runLimitPerLineMs = 5_000;

type Write = (line: string) => void;

/** The QEMU CPU: `max` has PMUv3p5 long counters; cortex-a57 has 32-bit event counters only. */
export function cpuModelFor(config: Config): string {
  return config.longCounters ? 'max' : 'cortex-a57';
}

/** Simulated time the script spins for, at the guest's 1 GHz cycle counter. */
function spinMs(plan: Plan): number {
  let ns = 0n;
  for (const l of plan.lines) {
    if (l.command.kind === 'tick') ns += BigInt(l.command.n) * plan.config.cyclesPerTick;
    if (l.command.kind === 'run') ns += l.command.cycles;
  }
  return Number(ns / 1_000_000n) + plan.muxWaits * plan.muxMs;
}

interface Prepared {
  file: SourceFile;
  plan: Plan;
}

/** Parse and translate every file; the bad ones are reported and left out. */
function prepare(files: readonly SourceFile[], opts: KernelCheckOptions, out: (o: object) => void, diag: Write): { ready: Prepared[]; bad: number } {
  const ready: Prepared[] = [];
  let bad = 0;
  for (const file of files) {
    const parsed = parseScript(file.text);
    if (!parsed.ok) {
      bad++;
      for (const e of parsed.errors) {
        if (opts.json) out({ type: 'error', file: file.name, line: e.line, column: e.column, message: e.message });
        else diag(visible(`${file.name}:${e.line}:${e.column}: ${e.message}`));
      }
      continue;
    }
    const script: Script = parsed.script;
    const t = translate(script, resolveConfig(script.header, opts.overrides));
    if (!t.ok) {
      bad++;
      for (const r of t.refusals) {
        if (opts.json) out({ type: 'error', file: file.name, line: r.line, command: r.text, message: `cannot run on a kernel: ${r.reason}` });
        else diag(visible(`${file.name}:${r.line}: cannot run on a kernel: ${r.text}: ${r.reason}`));
      }
      continue;
    }
    ready.push({ file, plan: t.plan });
  }
  return { ready, bad };
}

export async function kernelCheck(files: readonly SourceFile[], opts: KernelCheckOptions, write: Write, diag: Write): Promise<number> {
  const out = (o: object) => write(jsonLine(o));
  const { ready, bad } = prepare(files, opts, out, diag);
  const cache = cacheDir(opts.env);
  const need: ToolName[] = ['gcc64', 'libc64'];
  if (!opts.onHost) need.push('qemu');
  if (ready.some((p) => p.plan.needsAarch32)) need.push('gcc32', 'libc32');
  const absent = ready.length > 0 ? missing(need, cache, !opts.onHost) : [];
  if (absent.length > 0) {
    for (const m of absent) {
      if (opts.json) out({ type: 'error', message: m });
      else diag(`pmuplay kernel-check: ${m}`);
    }
    return exitBadInput;
  }
  let total: Tally = { agree: 0, disagree: 0, inconclusive: 0, missing: 0, modelOnly: 0 };
  let failed = 0;
  for (const { file, plan } of ready) {
    const source = cProgram(plan, basename(file.name));
    const gcc32 = plan.needsAarch32 ? findTool(tools.gcc32) : null;
    const built = buildProgram(source, cache, findTool(tools.gcc64)!, gcc32);
    if (!built.ok) {
      failed++;
      if (opts.json) out({ type: 'error', file: file.name, message: built.message });
      else for (const l of `${file.name}: the program did not build: ${built.message}`.split('\n')) diag(visible(l));
      continue;
    }
    const runLimitMs = runLimitBaseMs + spinMs(plan) * spinSlowdownMax + plan.lines.length * runLimitPerLineMs;
    const cpus = plan.config.cpus + 1;
    const cpuModel = cpuModelFor(plan.config);
    const kernel = findKernel(cache);
    const where = opts.onHost ? 'this host' : `QEMU -cpu ${cpuModel}, ${cpus} vCPUs (${plan.config.cpus} + the coordinator's)`;
    const runOnce = async (): Promise<GuestResult> => {
      const r = await (opts.onHost
        ? runOnHost(built.built, runLimitMs)
        : bootGuest({ qemu: findTool(tools.qemu)!, kernel: kernel!, initrd: built.built.initrd, cpus, cpuModel, bootLimitMs, runLimitMs }));
      // The program's framed lines, beside its source: what the last run's rows were made from.
      writeFileSync(join(built.built.dir, 'console.txt'), `${r.lines.join('\n')}\n`);
      return r;
    };
    const result = await runOnce();
    if (!result.ok) {
      failed++;
      if (opts.json) out({ type: 'error', file: file.name, message: result.message, program: built.built.dir });
      else for (const l of `${file.name}: ${result.message}\n  (the program and its C source: ${built.built.dir})`.split('\n')) diag(visible(l));
      continue;
    }
    const release = /release=(\S+)/.exec(result.lines.find((l) => l.startsWith('@@kc-begin')) ?? '')?.[1] ?? 'unknown';
    const reportErrors = (framed: Framed[]) => {
      // The program's own errors (a task that did not answer, too few CPUs, the boot sysctl).
      const errors = framed.filter((f) => f.what === 'error');
      for (const e of errors) {
        const text = `line ${e.line}: ${Object.entries(e.fields).map(([k, v]) => `${k}=${v}`).join(' ')}`;
        if (opts.json) out({ type: 'error', file: file.name, line: e.line, message: `the program: ${text}` });
        else diag(visible(`${file.name}: the program reported an error at ${text}`));
      }
      return errors.length;
    };
    const framed = parseFramed(result.lines);
    let guestErrors = reportErrors(framed);
    let rows = compareLines(plan.lines, framed);
    // Timing: a row left inconclusive by a context switch the model did not make gets another
    // run of the whole scenario, and takes that run's row when it is conclusive.
    let runs = 1;
    while (runs < runsMax && guestErrors === 0 && rows.some((r) => r.verdict === 'inconclusive' && r.note.includes('switch'))) {
      const again = await runOnce();
      runs++;
      if (!again.ok) break;
      const framedAgain = parseFramed(again.lines);
      guestErrors += reportErrors(framedAgain);
      rows = mergeRuns(rows, compareLines(plan.lines, framedAgain));
    }
    if (guestErrors > 0) failed++;
    const t = tally(rows);
    total = addTally(total, t);
    const timing = `started in ${(result.bootMs / 1000).toFixed(1)} s, ran ${(result.runMs / 1000).toFixed(1)} s${runs > 1 ? `; ${runs} runs` : ''}`;
    if (opts.json) {
      out({ type: 'file', file: file.name, kernel: release, on: where, cpuModel: opts.onHost ? null : cpuModel, bootMs: result.bootMs, runMs: result.runMs, runs, program: built.built.dir });
      for (const r of rows) out({ type: 'observation', file: file.name, ...r });
      out({ type: 'summary', file: file.name, ...t });
    } else {
      write(visible(`== ${file.name}: Linux ${release} on ${where}; ${timing}`));
      write(visible(`  (the program: ${built.built.dir}/kernel-check.c)`));
      for (const l of rowLines(rows)) write(visible(l));
      write(visible(`  ${tallyText(t)}`));
    }
  }
  const n = ready.length;
  if (opts.json) out({ type: 'total', files: files.length, checked: n - failed, refused: bad, failed, ...total });
  else if (files.length > 1) write(`== total: ${files.length} files (${n - failed} checked, ${bad} refused, ${failed} failed to run); ${tallyText(total)}`);
  if (bad > 0) return exitBadInput;
  if (failed > 0) return exitGuestFailed;
  return total.disagree > 0 || total.missing > 0 ? exitDisagree : exitAgree;
}
