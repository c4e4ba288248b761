import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bootGuest } from './guest.js';

/** A stand-in for QEMU: `body` runs as a shell script, its pid in DIR/pid. */
function fakeQemu(body: string): { path: string; pidFile: string } {
  const dir = mkdtempSync(join(tmpdir(), 'kc-qemu-'));
  const path = join(dir, 'qemu');
  const pidFile = join(dir, 'pid');
  writeFileSync(path, `#!/bin/sh\necho $$ > ${pidFile}\n${body}\n`);
  chmodSync(path, 0o755);
  return { path, pidFile };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setImmediate(r));
}

const opts = { kernel: '/k', initrd: '/i', cpus: 2, cpuModel: 'cortex-a57', runLimitMs: 60_000 };

describe('bootGuest', () => {
  it('kills a guest that does not start the program within the boot limit, and says so', async () => {
    const q = fakeQemu('echo booting; exec sleep 60');
    const r = await bootGuest({ ...opts, qemu: q.path, bootLimitMs: 300 });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toMatch(/did not start the program within 0.3 s \(killed\)/);
    await until(() => existsSync(q.pidFile));
    const pid = Number(readFileSync(q.pidFile, 'utf8'));
    await until(() => !alive(pid));
  });

  it('collects the framed lines of a guest that finishes', async () => {
    const q = fakeQemu("printf '[ 1.0] kernel noise\\r\\n@@kc-begin cpus=2\\r\\n@@kc 3 open fd=3 errno=0\\r\\n@@kc-end\\r\\n'");
    const r = await bootGuest({ ...opts, qemu: q.path, bootLimitMs: 60_000 });
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.lines).toEqual(['@@kc-begin cpus=2', '@@kc 3 open fd=3 errno=0', '@@kc-end']);
  });

  it('reports a guest that stops before the program ends', async () => {
    const q = fakeQemu("printf '@@kc-begin\\n@@kc 3 open fd=3 errno=0\\n'; exit 1");
    const r = await bootGuest({ ...opts, qemu: q.path, bootLimitMs: 60_000 });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toMatch(/ended \(exit 1\) before the program finished/);
  });
});
