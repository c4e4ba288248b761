import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findTool, missing, tools } from './toolchain.js';

describe('missing', () => {
  it('names the Debian package of a tool that is not on PATH', () => {
    expect(findTool(tools.qemu, '/nonexistent')).toBeNull();
  });

  it('names the kernel package when no kernel is unpacked in the cache', () => {
    const empty = mkdtempSync(join(tmpdir(), 'kc-cache-'));
    const lines = missing([], empty, true);
    expect(lines.length).toBe(1);
    expect(lines[0]).toMatch(/linux-image-6\.1\.0-NN-arm64/);
    expect(lines[0]).toContain(join(empty, 'linux', 'boot'));
  });

  it('says which package each tool comes from', () => {
    expect(Object.values(tools).map((t) => t.pkg)).toEqual(['qemu-system-arm', 'gcc-aarch64-linux-gnu', 'libc6-dev-arm64-cross', 'gcc-arm-linux-gnueabihf', 'libc6-dev-armhf-cross']);
  });
});
