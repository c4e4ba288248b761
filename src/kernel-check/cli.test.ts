import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Io, main } from '../main.js';

async function pmuplay(env: Record<string, string>, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = { stdout: { write: (t) => void (out += t) }, stderr: { write: (t) => void (err += t) }, stdinIsTTY: false, stdoutIsTTY: false, env: { NO_COLOR: '1', ...env } };
  return { code: await main(args, io), out, err };
}

const dir = mkdtempSync(join(tmpdir(), 'pmuplay-kc-'));
const emptyCache = { PMUPLAY_KERNEL_CHECK_DIR: mkdtempSync(join(tmpdir(), 'pmuplay-kc-cache-')) };

describe('pmuplay kernel-check', () => {
  it('refuses a script under another design, naming the line and --policy upstream', async () => {
    const r = await pmuplay(emptyCache, 'kernel-check', 'saves/examples/v4-other-mm.pmu');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/v4-other-mm\.pmu:1: cannot run on a kernel: .*--policy upstream/);
  });

  it('refuses the lines a kernel cannot be made to do, each with its line and reason', async () => {
    const f = join(dir, 'ipi.pmu');
    writeFileSync(f, 'pmuplay 1 cpus=2 policy=upstream perf-user-access=1\nspawn a on 0\nipi manual\nopen 100 cycles user\nfault zero-extend on\n');
    const r = await pmuplay(emptyCache, 'kernel-check', f);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${f}:3: cannot run on a kernel: ipi manual: IPIs cannot be held pending`);
    expect(r.err).toContain(`${f}:5: cannot run on a kernel: fault zero-extend on:`);
  });

  it('names the Debian package of what is missing (here: the kernel) and runs nothing', async () => {
    const r = await pmuplay(emptyCache, 'kernel-check', 'saves/examples/upstream-stale-start.pmu');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/linux-image-6\.1\.0-NN-arm64 \(arm64\)/);
    expect(r.out).toBe('');
  });

  it('--on-host applies to kernel-check only', async () => {
    const r = await pmuplay({}, 'run', '--on-host', 'saves/examples/upstream-stale-start.pmu');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--on-host applies to kernel-check/);
  });
});
