/**
 * kernel-check end to end: every `upstream` script in saves/examples/ run on Debian's arm64
 * Linux 6.1 under QEMU and compared with the model. Without the Debian packages (and the
 * unpacked kernel) the tests skip, naming what is missing; with PMUPLAY_KERNEL_CHECK_REQUIRED=1
 * (.ci/run sets it) a missing piece fails them instead, so CI cannot quietly not check.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type KernelCheckOptions, kernelCheck } from './run.js';
import { cacheDir, missing } from './toolchain.js';

const dir = 'saves/examples';
const scripts = readdirSync(dir).filter((f) => /^upstream-.*\.pmu$/.test(f)).sort();
const absent = missing(['qemu', 'gcc64', 'libc64'], cacheDir(), true);
const required = process.env['PMUPLAY_KERNEL_CHECK_REQUIRED'] === '1';

/** A bound that only ends a run that already failed (the guest has its own limits). */
const runBoundMs = 15 * 60_000;

describe('kernel-check on saves/examples/upstream-*.pmu', () => {
  it.runIf(absent.length > 0 && required)('has every Debian package and the kernel (PMUPLAY_KERNEL_CHECK_REQUIRED=1)', () => {
    expect(absent).toEqual([]);
  });
  if (absent.length > 0 && !required) {
    it.skip(`skipped: ${absent.join('; ')}`, () => {});
    return;
  }

  it('finds the scripts', () => {
    expect(scripts.length).toBeGreaterThan(0);
  });

  for (const name of scripts) {
    it(`${name}: the kernel agrees with the model`, async () => {
      const objects: Record<string, unknown>[] = [];
      const opts: KernelCheckOptions = { overrides: {}, json: true, onHost: false, env: process.env };
      const file = join(dir, name);
      const code = await kernelCheck([{ name: file, text: readFileSync(file, 'utf8') }], opts, (l) => objects.push(JSON.parse(l) as Record<string, unknown>), () => {});
      const errors = objects.filter((o) => o['type'] === 'error');
      expect(errors).toEqual([]);
      const rows = objects.filter((o) => o['type'] === 'observation');
      expect(rows.length).toBeGreaterThan(0);
      const bad = rows.filter((o) => o['verdict'] === 'disagree' || o['verdict'] === 'missing');
      expect(bad.map((o) => `${String(o['line'])} ${String(o['command'])}: model ${String(o['model'])}, kernel ${String(o['kernel'])} (${String(o['verdict'])}${o['note'] ? `: ${String(o['note'])}` : ''})`)).toEqual([]);
      expect(code).toBe(0);
    }, runBoundMs);
  }
});
