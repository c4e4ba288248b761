import { chmodSync, chownSync, closeSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, statSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fifoWithRescue, killRescues } from './test-fifo.js';
import { openForWriting, whyNotOpenable, writeFileAtomic, writeTarget } from './write-file.js';

afterEach(killRescues);

const root = mkdtempSync(join(tmpdir(), 'pmuplay-write-'));
let n = 0;
/** A fresh directory per test: "nothing left behind" is checked on all of it. */
function fresh(): string {
  const dir = join(root, `t${n++}`);
  mkdirSync(dir);
  return dir;
}
const mode = (path: string) => statSync(path).mode & 0o7777;
const leftovers = (dir: string) => readdirSync(dir).filter((f) => f.includes('.tmp-'));
const asRoot = process.getuid?.() === 0;

describe('writeFileAtomic (save)', () => {
  it('writes a new file with the mode any new file gets, and leaves no temporary file', () => {
    const dir = fresh();
    writeFileSync(join(dir, 'control'), '');
    expect(writeFileAtomic(join(dir, 'new.pmu'), 'spawn a\n', { overwrite: false }).kind).toBe('written');
    expect(readFileSync(join(dir, 'new.pmu'), 'utf8')).toBe('spawn a\n');
    expect(mode(join(dir, 'new.pmu'))).toBe(mode(join(dir, 'control')));
    expect(leftovers(dir)).toEqual([]);
  });

  it('says an existing file exists and leaves it untouched; with overwrite replaces it and keeps its mode 0600', () => {
    const dir = fresh();
    const path = join(dir, 'old.pmu');
    writeFileSync(path, 'old\n');
    chmodSync(path, 0o600);
    expect(writeFileAtomic(path, 'new\n', { overwrite: false }).kind).toBe('exists');
    expect(readFileSync(path, 'utf8')).toBe('old\n');
    expect(writeFileAtomic(path, 'new\n', { overwrite: true }).kind).toBe('written');
    expect(readFileSync(path, 'utf8')).toBe('new\n');
    expect(mode(path)).toBe(0o600);
    chmodSync(path, 0o640);
    writeFileAtomic(path, 'newer\n', { overwrite: true });
    expect(mode(path)).toBe(0o640);
    expect(leftovers(dir)).toEqual([]);
  });

  it.runIf(asRoot)('keeps the owner of a file it replaces, where it may set it (root)', () => {
    const dir = fresh();
    const path = join(dir, 'theirs.pmu');
    writeFileSync(path, 'old\n');
    chownSync(path, 65534, 65534);
    expect(writeFileAtomic(path, 'new\n', { overwrite: true }).kind).toBe('written');
    expect([statSync(path).uid, statSync(path).gid]).toEqual([65534, 65534]);
  });

  it('writes through a symbolic link to a regular file: the link stays a link, the target keeps its mode', () => {
    const dir = fresh();
    const target = join(dir, 'real.pmu');
    writeFileSync(target, 'old\n');
    chmodSync(target, 0o600);
    mkdirSync(join(dir, 'sub'));
    const link = join(dir, 'sub', 'link.pmu');
    symlinkSync('../real.pmu', link);
    const r = writeFileAtomic(link, 'new\n', { overwrite: true });
    expect(r.kind).toBe('written');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe('../real.pmu');
    expect(readFileSync(target, 'utf8')).toBe('new\n');
    expect(mode(target)).toBe(0o600);
    expect(writeFileAtomic(link, 'x\n', { overwrite: false })).toMatchObject({ kind: 'exists', target: { file: target, viaLink: true } });
    expect(leftovers(dir)).toEqual([]);
    expect(leftovers(join(dir, 'sub'))).toEqual([]);
  });

  it('writes through a dangling symbolic link, making its target; refuses one into a missing directory', () => {
    const dir = fresh();
    const link = join(dir, 'dangling.pmu');
    symlinkSync('made.pmu', link);
    expect(writeFileAtomic(link, 'new\n', { overwrite: false }).kind).toBe('written');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(dir, 'made.pmu'), 'utf8')).toBe('new\n');
    const nowhere = join(dir, 'nowhere.pmu');
    symlinkSync(join(dir, 'gone', 'x.pmu'), nowhere);
    expect(writeFileAtomic(nowhere, 'new\n', { overwrite: true })).toEqual({ kind: 'failed', reason: `the directory ${join(dir, 'gone')} does not exist` });
    expect(readdirSync(dir).sort()).toEqual(['dangling.pmu', 'made.pmu', 'nowhere.pmu']);
  });

  it('refuses a link to a device and a chain of links that loops, writing nothing', () => {
    const dir = fresh();
    const link = join(dir, 'null.pmu');
    symlinkSync('/dev/null', link);
    expect(writeFileAtomic(link, 'new\n', { overwrite: true })).toEqual({ kind: 'failed', reason: `/dev/null (where the link ${link} leads) is a character device, not a regular file; only regular files are written` });
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(statSync('/dev/null').isCharacterDevice()).toBe(true);
    symlinkSync('b.pmu', join(dir, 'a.pmu'));
    symlinkSync('a.pmu', join(dir, 'b.pmu'));
    expect(writeFileAtomic(join(dir, 'a.pmu'), 'new\n', { overwrite: true })).toEqual({ kind: 'failed', reason: `${join(dir, 'a.pmu')}: too many symbolic links` });
    expect(readdirSync(dir).sort()).toEqual(['a.pmu', 'b.pmu', 'null.pmu']);
  });

  it('refuses a FIFO and a directory, leaving them as they are', { timeout: 30_000 }, () => {
    const dir = fresh();
    const fifo = fifoWithRescue(join(dir, 'fifo.pmu'), 'read');
    expect(writeFileAtomic(fifo, 'new\n', { overwrite: true })).toEqual({ kind: 'failed', reason: `${fifo} is a FIFO (named pipe), not a regular file; only regular files are written` });
    expect(lstatSync(fifo).isFIFO()).toBe(true);
    mkdirSync(join(dir, 'd.pmu'));
    expect(writeFileAtomic(join(dir, 'd.pmu'), 'new\n', { overwrite: true })).toEqual({ kind: 'failed', reason: `${join(dir, 'd.pmu')} is a directory` });
    expect(readdirSync(dir).sort()).toEqual(['d.pmu', 'fifo.pmu']);
  });

  it.skipIf(asRoot)('refuses a directory it may not write, and a file it may not write', () => {
    const dir = fresh();
    const ro = join(dir, 'ro');
    mkdirSync(ro);
    chmodSync(ro, 0o500);
    expect(writeFileAtomic(join(ro, 'x.pmu'), 'new\n', { overwrite: true })).toEqual({ kind: 'failed', reason: `the directory ${ro} is not writable` });
    expect(readdirSync(ro)).toEqual([]);
    const locked = join(dir, 'locked.pmu');
    writeFileSync(locked, 'old\n');
    chmodSync(locked, 0o400);
    expect(writeFileAtomic(locked, 'new\n', { overwrite: true })).toEqual({ kind: 'failed', reason: `${locked} is not writable` });
    expect(readFileSync(locked, 'utf8')).toBe('old\n');
  });

  it('names a path through a regular file as not a directory', () => {
    const dir = fresh();
    writeFileSync(join(dir, 'file'), '');
    expect(writeTarget(join(dir, 'file', 'x.pmu'), true)).toEqual({ ok: false, reason: `${join(dir, 'file')} is not a directory` });
  });
});

describe('openForWriting (--record)', () => {
  it('makes a new file; refuses an existing one unless overwrite, then empties it in place, keeping 0600', () => {
    const dir = fresh();
    const made = openForWriting(join(dir, 'new.pmu'), { overwrite: false });
    if (made.kind !== 'opened') throw new Error(made.kind);
    closeSync(made.fd);
    const path = join(dir, 'old.pmu');
    writeFileSync(path, 'old\n');
    chmodSync(path, 0o600);
    expect(whyNotOpenable(path, { overwrite: false })).toEqual({ kind: 'exists', reason: `${path} exists` });
    expect(openForWriting(path, { overwrite: false }).kind).toBe('exists');
    expect(readFileSync(path, 'utf8')).toBe('old\n');
    expect(whyNotOpenable(path, { overwrite: true })).toBe(null);
    const r = openForWriting(path, { overwrite: true });
    if (r.kind !== 'opened') throw new Error(r.kind);
    writeSync(r.fd, 'new\n');
    closeSync(r.fd);
    expect(readFileSync(path, 'utf8')).toBe('new\n');
    expect(mode(path)).toBe(0o600);
  });

  it('follows a link to a regular file (the link stays) and a dangling one (its target is made)', () => {
    const dir = fresh();
    writeFileSync(join(dir, 'real.pmu'), 'old\n');
    symlinkSync('real.pmu', join(dir, 'link.pmu'));
    expect(openForWriting(join(dir, 'link.pmu'), { overwrite: false })).toMatchObject({ kind: 'exists', target: { file: join(dir, 'real.pmu') } });
    const r = openForWriting(join(dir, 'link.pmu'), { overwrite: true });
    if (r.kind !== 'opened') throw new Error(r.kind);
    writeSync(r.fd, 'new\n');
    closeSync(r.fd);
    expect(readFileSync(join(dir, 'real.pmu'), 'utf8')).toBe('new\n');
    expect(lstatSync(join(dir, 'link.pmu')).isSymbolicLink()).toBe(true);
    symlinkSync('made.pmu', join(dir, 'dangling.pmu'));
    const d = openForWriting(join(dir, 'dangling.pmu'), { overwrite: false });
    if (d.kind !== 'opened') throw new Error(d.kind);
    closeSync(d.fd);
    expect(lstatSync(join(dir, 'made.pmu')).isFile()).toBe(true);
  });

  it('refuses a FIFO at once, without waiting for a reader, even with overwrite', { timeout: 30_000 }, () => {
    const dir = fresh();
    const fifo = fifoWithRescue(join(dir, 'fifo.pmu'), 'read');
    const reason = `${fifo} is a FIFO (named pipe), not a regular file; only regular files are written`;
    expect(whyNotOpenable(fifo, { overwrite: true })).toEqual({ kind: 'failed', reason });
    expect(openForWriting(fifo, { overwrite: true })).toEqual({ kind: 'failed', reason });
  });

  it('refuses a device and a link to one, even with overwrite', () => {
    const dir = fresh();
    expect(openForWriting('/dev/null', { overwrite: true })).toEqual({ kind: 'failed', reason: '/dev/null is a character device, not a regular file; only regular files are written' });
    symlinkSync('/dev/null', join(dir, 'null.pmu'));
    expect(openForWriting(join(dir, 'null.pmu'), { overwrite: true }).kind).toBe('failed');
    expect(readdirSync(dir)).toEqual(['null.pmu']);
  });

  it.skipIf(asRoot)('refuses a directory it may not write before making anything', () => {
    const dir = fresh();
    chmodSync(dir, 0o500);
    expect(whyNotOpenable(join(dir, 'x.pmu'), { overwrite: true })).toEqual({ kind: 'failed', reason: `the directory ${dir} is not writable` });
    expect(openForWriting(join(dir, 'x.pmu'), { overwrite: true })).toEqual({ kind: 'failed', reason: `the directory ${dir} is not writable` });
  });
});
