/**
 * Building and running a kernel-check program: compile it (static, arm64; the AArch32 agent
 * with the armhf compiler when a task execs32), pack it as an initramfs, boot Debian's arm64
 * Linux 6.1 under QEMU (TCG) with the program as init, and collect its console. A guest that
 * does not start the program within the boot limit, or does not finish in time, is killed and
 * reported: never a hang. With --on-host the program runs directly on this (arm64) machine.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { newcArchive } from './initramfs.js';

export interface Built {
  dir: string;
  init: string;
  agent32: string | null;
  initrd: string;
}

export type BuildResult = { ok: true; built: Built } | { ok: false; message: string };

function compile(gcc: string, args: string[]): string | null {
  const r = spawnSync(gcc, args, { encoding: 'utf8' });
  if (r.error) return `${gcc}: ${r.error.message}`;
  return r.status === 0 ? null : `${gcc} failed:\n${r.stderr}`;
}

/** Compile `source` into DIR/<hash of the source>/ (reused when already there). */
export function buildProgram(source: string, cache: string, gcc64: string, gcc32: string | null): BuildResult {
  const hash = createHash('sha256').update(source).update(gcc32 ? '+32' : '').digest('hex').slice(0, 16);
  const dir = join(cache, 'build', hash);
  const built: Built = { dir, init: join(dir, 'init'), agent32: gcc32 ? join(dir, 'kc-agent32') : null, initrd: join(dir, 'initrd.cpio') };
  if (existsSync(built.initrd)) return { ok: true, built };
  mkdirSync(dir, { recursive: true });
  const c = join(dir, 'kernel-check.c');
  writeFileSync(c, source);
  const e64 = compile(gcc64, ['-static', '-O2', '-pthread', '-o', built.init, c]);
  if (e64) return { ok: false, message: e64 };
  if (gcc32 && built.agent32) {
    const e32 = compile(gcc32, ['-static', '-O2', '-pthread', '-march=armv7-a+fp', '-DKC_AARCH32', '-o', built.agent32, c]);
    if (e32) return { ok: false, message: e32 };
  }
  const files = [{ name: 'proc', mode: 0o040755 }, { name: 'sys', mode: 0o040755 }, { name: 'init', mode: 0o100755, data: readFileSync(built.init) }];
  if (built.agent32) files.push({ name: 'kc-agent32', mode: 0o100755, data: readFileSync(built.agent32) });
  writeFileSync(built.initrd, newcArchive(files));
  return { ok: true, built };
}

export interface BootOptions {
  qemu: string;
  kernel: string;
  initrd: string;
  /** vCPUs: the model's CPUs and one for the coordinator. */
  cpus: number;
  cpuModel: string;
  bootLimitMs: number;
  runLimitMs: number;
}

export type GuestResult =
  | { ok: true; lines: string[]; bootMs: number; runMs: number }
  | { ok: false; message: string; lines: string[] };

/** The program's framed lines (`@@kc…`), from a console that also carries the kernel's. */
function framed(text: string): string[] {
  return text.split(/\r?\n/).map((l) => l.replace(/\r/g, '')).filter((l) => l.startsWith('@@kc'));
}

/** Run a command that prints framed lines; `begin` marks the program's start. */
function collect(cmd: string, args: string[], bootLimitMs: number, runLimitMs: number, what: string): Promise<GuestResult> {
  return new Promise((resolve) => {
    const started = Date.now();
    let begunAt = 0;
    let text = '';
    let settled = false;
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const finish = (r: GuestResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(bootTimer);
      clearTimeout(runTimer);
      if (child.exitCode === null) child.kill('SIGKILL');
      resolve(r);
    };
    const tail = () => text.split(/\r?\n/).slice(-15).join('\n');
    const bootTimer = setTimeout(() => finish({ ok: false, message: `${what} did not start the program within ${bootLimitMs / 1000} s (killed). Last output:\n${tail()}`, lines: framed(text) }), bootLimitMs);
    let runTimer: ReturnType<typeof setTimeout> | undefined;
    child.stdout.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      if (!begunAt && text.includes('@@kc-begin')) {
        begunAt = Date.now();
        clearTimeout(bootTimer);
        runTimer = setTimeout(() => finish({ ok: false, message: `the program did not finish within ${runLimitMs / 1000} s of starting (killed)`, lines: framed(text) }), runLimitMs);
      }
    });
    child.stderr.on('data', (d: Buffer) => {
      text += d.toString('latin1');
    });
    child.on('error', (e) => finish({ ok: false, message: `${cmd}: ${e.message}`, lines: [] }));
    child.on('close', (code) => {
      const lines = framed(text);
      if (!lines.includes('@@kc-end')) finish({ ok: false, message: `${what} ended (exit ${code}) before the program finished. Last output:\n${tail()}`, lines });
      else finish({ ok: true, lines, bootMs: begunAt - started, runMs: Date.now() - begunAt });
    });
  });
}

export function bootGuest(o: BootOptions): Promise<GuestResult> {
  const args = [
    '-M', 'virt', '-cpu', o.cpuModel, '-smp', String(o.cpus), '-m', '256',
    // icount: QEMU's PMU counts instructions (INST_RETIRED in PMCEID0) only in icount mode;
    // without it an instructions event is -ENOENT. shift=0: one instruction a nanosecond, so
    // the 1 GHz cycle counter and the guest's clocks follow the instructions run;
    // sleep=off: idle time is skipped, not waited for.
    '-icount', 'shift=0,sleep=off',
    '-nographic', '-no-reboot', '-nic', 'none',
    '-kernel', o.kernel, '-initrd', o.initrd,
    '-append', 'console=ttyAMA0 panic=-1 quiet',
  ];
  return collect(o.qemu, args, o.bootLimitMs, o.runLimitMs, `QEMU (-cpu ${o.cpuModel})`);
}

/** --on-host: the program itself, on this arm64 machine (root, for the sysctl). */
export function runOnHost(built: Built, runLimitMs: number): Promise<GuestResult> {
  return collect(built.init, ['host', built.dir], 10_000, runLimitMs, 'the program');
}
