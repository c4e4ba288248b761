import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { newcArchive } from './initramfs.js';

function hasCpio(): boolean {
  try {
    execFileSync('cpio', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('newcArchive', () => {
  it('starts with the newc magic and ends with the trailer, 4-byte aligned', () => {
    const a = newcArchive([{ name: 'init', mode: 0o100755, data: new Uint8Array([1, 2, 3]) }]);
    const text = new TextDecoder('latin1').decode(a);
    expect(text.startsWith('070701')).toBe(true);
    expect(text).toContain('TRAILER!!!');
    expect(a.length % 4).toBe(0);
  });

  it.skipIf(!hasCpio())('is read back by cpio with the same files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kc-cpio-'));
    const archive = join(dir, 'a.cpio');
    writeFileSync(archive, newcArchive([{ name: 'proc', mode: 0o040755 }, { name: 'init', mode: 0o100755, data: new TextEncoder().encode('hello\n') }]));
    execFileSync('cpio', ['-idm', '--quiet', '-F', archive], { cwd: dir });
    expect(readFileSync(join(dir, 'init'), 'utf8')).toBe('hello\n');
    expect(execFileSync('cpio', ['-t', '--quiet', '-F', archive]).toString().split('\n').filter(Boolean)).toEqual(['proc', 'init']);
  });
});
