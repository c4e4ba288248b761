import { mkdtempSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pmuFileBytesMax, readPmuFile } from './files.js';
import { fifoWithRescue, killRescues } from './test-fifo.js';

const dir = mkdtempSync(join(tmpdir(), 'pmuplay-files-'));

afterEach(killRescues);

describe('reading .pmu files', () => {
  it('reads a regular file, and one through a symbolic link', () => {
    const path = join(dir, 'ok.pmu');
    writeFileSync(path, '\ufeffspawn a\n');
    expect(readPmuFile(path)).toEqual({ ok: true, file: { name: path, text: 'spawn a\n' } });
    symlinkSync(path, join(dir, 'link.pmu'));
    expect(readPmuFile(join(dir, 'link.pmu'))).toEqual({ ok: true, file: { name: join(dir, 'link.pmu'), text: 'spawn a\n' } });
  });

  it.each([
    ['/dev/zero', 'a character device'],
    ['/dev/urandom', 'a character device'],
    ['/dev/null', 'a character device'],
  ])('refuses %s at once without reading it: %s', (path, kind) => {
    expect(readPmuFile(path)).toEqual({ ok: false, message: `${path}: is ${kind}, not a regular file; only regular files are read` });
  });

  it('refuses a symbolic link to a device', () => {
    const link = join(dir, 'zero.pmu');
    symlinkSync('/dev/zero', link);
    expect(readPmuFile(link)).toEqual({ ok: false, message: `${link}: is a character device, not a regular file; only regular files are read` });
  });

  it('refuses a FIFO at once, without waiting for a writer', { timeout: 30_000 }, () => {
    const fifo = fifoWithRescue(join(dir, 'fifo.pmu'), 'write');
    expect(readPmuFile(fifo)).toEqual({ ok: false, message: `${fifo}: is a FIFO (named pipe), not a regular file; only regular files are read` });
  });

  it('refuses a socket', async () => {
    const path = join(dir, 'sock.pmu');
    const server = createServer();
    await new Promise<void>((done) => server.listen(path, done));
    try {
      expect(readPmuFile(path)).toEqual({ ok: false, message: `${path}: is a socket, not a regular file; only regular files are read` });
    } finally {
      await new Promise((done) => server.close(done));
    }
  });

  it('reads a file of exactly the limit, and refuses one byte more with its size, before reading it', () => {
    expect(pmuFileBytesMax).toBe(16 * 1024 * 1024);
    // Sparse files: no disk, and all NUL bytes, so the one that is read is refused as binary.
    const at = join(dir, 'at-limit.pmu');
    writeFileSync(at, '');
    truncateSync(at, pmuFileBytesMax);
    expect(readPmuFile(at)).toEqual({ ok: false, message: `${at}: binary data (a NUL byte), not a .pmu text file` });
    const over = join(dir, 'over-limit.pmu');
    writeFileSync(over, '');
    truncateSync(over, pmuFileBytesMax + 1);
    expect(readPmuFile(over)).toEqual({ ok: false, message: `${over}: 16.1 MiB, more than the 16 MiB a .pmu file may be` });
    const big = join(dir, 'big.pmu');
    writeFileSync(big, '');
    truncateSync(big, 10 * 1024 ** 3);
    expect(readPmuFile(big)).toEqual({ ok: false, message: `${big}: 10240 MiB, more than the 16 MiB a .pmu file may be` });
  });

  it('keeps the messages for a missing file, a directory and a dangling link', () => {
    expect(readPmuFile(join(dir, 'nope.pmu'))).toEqual({ ok: false, message: `${join(dir, 'nope.pmu')}: cannot read: no such file` });
    expect(readPmuFile(dir)).toEqual({ ok: false, message: `${dir}: is a directory, not a .pmu file` });
    const dangling = join(dir, 'dangling.pmu');
    symlinkSync(join(dir, 'absent.pmu'), dangling);
    expect(readPmuFile(dangling)).toEqual({ ok: false, message: `${dangling}: cannot read: no such file` });
  });
});
