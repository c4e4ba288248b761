/**
 * Writing files without harm: `save FILE` (a whole file at once) and `--record FILE` (a file
 * written as it goes). What they share:
 *
 * - Only a regular file is ever replaced or truncated. A FIFO, a device, a socket or a directory
 *   is refused with a message, before anything is opened for writing (an open never blocks).
 * - A symbolic link is written through: the file it points to (after every link in the chain)
 *   is the one written, if it is a regular file, or absent in a directory that exists (as
 *   `echo > link` would do). The link itself stays a link. A link to anything else is refused.
 * - An existing file keeps its mode (0600 stays 0600), and its owner where the process may set it.
 * - An existing file is replaced only when the caller says so (`overwrite`); otherwise the result
 *   says it exists, and the caller asks (the playground) or refuses (`--record` without `--force`).
 * - A failure leaves nothing behind: no temporary file, no empty file, the old file untouched.
 *
 * Messages name the path as given, and the file a link leads to when there was a link.
 */
import { accessSync, closeSync, constants, fchmodSync, fchownSync, fstatSync, fsyncSync, ftruncateSync, lstatSync, openSync, readlinkSync, realpathSync, renameSync, type Stats, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { kindOfFile } from './files.js';

/** Linux gives up on a chain of symbolic links after 40 (MAXSYMLINKS); so do we. */
const symlinkHopsMax = 40;

/** Where a write to a path lands, once every symbolic link is followed. */
export type WriteTarget = {
  /** The path as given. */
  path: string;
  /** The absolute path of the file written (after symbolic links, in a real directory). */
  file: string;
  /** The directory the file is in (a real path). */
  dir: string;
  /** Set when the path went through a symbolic link. */
  viaLink: boolean;
  /** The regular file there now, or null when there is none. */
  existing: Stats | null;
};

export type TargetResult = { ok: true; target: WriteTarget } | { ok: false; reason: string };

function errno(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException).code;
}

/** "FILE" or "FILE (where the link PATH leads)". */
function named(path: string, file: string, viaLink: boolean): string {
  return viaLink ? `${file} (where the link ${path} leads)` : file;
}

/**
 * Follows `path` through symbolic links to the file a write would reach, and says whether that
 * may be written: a regular file or nothing, in a directory that exists and is writable
 * (`dirWritable`: a new file, or a temporary file renamed into place, is made there).
 * Opens nothing.
 */
export function writeTarget(path: string, dirWritable: boolean): TargetResult {
  let file = resolve(path);
  let viaLink = false;
  for (let hops = 0; ; hops++) {
    // The directory as the kernel sees it: a relative link is read from the real directory.
    const given = dirname(file);
    let dir: string;
    try {
      dir = realpathSync(given);
    } catch (e) {
      const code = errno(e);
      if (code === 'ENOENT') return { ok: false, reason: `the directory ${given} does not exist` };
      if (code === 'ENOTDIR') return { ok: false, reason: `${given} is not a directory` };
      if (code === 'ELOOP') return { ok: false, reason: `${given}: too many symbolic links` };
      return { ok: false, reason: `${given}: ${(e as Error).message}` };
    }
    if (!lstatSync(dir).isDirectory()) return { ok: false, reason: `${given} is not a directory` };
    file = join(dir, basename(file));
    let st: Stats | null;
    try {
      st = lstatSync(file);
    } catch (e) {
      if (errno(e) !== 'ENOENT') return { ok: false, reason: `${named(path, file, viaLink)}: ${(e as Error).message}` };
      st = null;
    }
    if (st?.isSymbolicLink()) {
      if (hops >= symlinkHopsMax) return { ok: false, reason: `${path}: too many symbolic links` };
      viaLink = true;
      file = resolve(dir, readlinkSync(file));
      continue;
    }
    if (st && st.isDirectory()) return { ok: false, reason: `${named(path, file, viaLink)} is a directory` };
    if (st && !st.isFile()) return { ok: false, reason: `${named(path, file, viaLink)} is ${kindOfFile(st)}, not a regular file; only regular files are written` };
    if (dirWritable && !writable(dir)) return { ok: false, reason: `the directory ${dir} is not writable` };
    return { ok: true, target: { path, file, dir, viaLink, existing: st } };
  }
}

function writable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}

/** Keeps the old file's owner where it may (root may; anyone may keep their own group). */
function keepOwner(fd: number, old: Stats): void {
  const now = fstatSync(fd);
  if (now.uid === old.uid && now.gid === old.gid) return;
  try {
    fchownSync(fd, old.uid, old.gid);
  } catch {
    // Not permitted: the file is now ours, as any editor that writes a new file leaves it.
  }
}

export type WriteResult =
  | { kind: 'written'; target: WriteTarget }
  /** A regular file is there and `overwrite` was not set: nothing was written. */
  | { kind: 'exists'; target: WriteTarget }
  | { kind: 'failed'; reason: string };

/**
 * Writes `text` to `path` whole or not at all: a temporary file in the same directory, given
 * the old file's mode, renamed over the file (after symbolic links; the link stays).
 */
export function writeFileAtomic(path: string, text: string, options: { overwrite: boolean }): WriteResult {
  const t = writeTarget(path, true);
  if (!t.ok) return { kind: 'failed', reason: t.reason };
  const target = t.target;
  const old = target.existing;
  if (old && !options.overwrite) return { kind: 'exists', target };
  // A file the user may not write is not replaced, though the directory would allow it.
  if (old && !writable(target.file)) return { kind: 'failed', reason: `${named(path, target.file, target.viaLink)} is not writable` };
  let tmp = '';
  let fd = -1;
  try {
    // O_EXCL: a name nobody else holds, never a file or link someone placed there. The mode
    // asked for is the old file's (the umask may take bits away; fchmod below puts them back)
    // or 0666 less the umask for a new file, as any new file gets.
    for (let n = 0; fd < 0; n++) {
      tmp = join(target.dir, `.${basename(target.file)}.tmp-${process.pid}-${n}`);
      try {
        fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, old ? old.mode & 0o777 : 0o666);
      } catch (e) {
        if (errno(e) !== 'EEXIST' || n >= 100) throw e;
      }
    }
    if (old) {
      fchmodSync(fd, old.mode & 0o7777);
      keepOwner(fd, old);
    }
    const bytes = Buffer.from(text, 'utf8');
    for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at);
    // On disk before the rename makes it the file: a crash then leaves the old file or the new
    // one, never an empty one.
    fsyncSync(fd);
    closeSync(fd);
    fd = -1;
    // Looked at again just before: what was checked may have been replaced while we wrote.
    const now = lstatOrNull(target.file);
    if (now && !now.isFile()) return { kind: 'failed', reason: `${named(path, target.file, target.viaLink)} is ${kindOfFile(now)} now, not a regular file; nothing was written` };
    renameSync(tmp, target.file);
    tmp = '';
    return { kind: 'written', target };
  } catch (e) {
    return { kind: 'failed', reason: `${named(path, target.file, target.viaLink)}: ${(e as Error).message}` };
  } finally {
    if (fd >= 0) closeSync(fd);
    if (tmp) {
      try {
        unlinkSync(tmp);
      } catch {
        // Never made (the open failed): nothing to take away.
      }
    }
  }
}

export type OpenResult =
  | { kind: 'opened'; fd: number; target: WriteTarget }
  /** A regular file is there and `overwrite` was not set: nothing was opened. */
  | { kind: 'exists'; target: WriteTarget }
  | { kind: 'failed'; reason: string };

/**
 * Checks, without opening or making anything, what `openForWriting` would do: null when it
 * would open the file, or why not. For a check before a session starts.
 */
export function whyNotOpenable(path: string, options: { overwrite: boolean }): { kind: 'exists' | 'failed'; reason: string } | null {
  const t = writeTarget(path, false);
  if (!t.ok) return { kind: 'failed', reason: t.reason };
  const { target } = t;
  if (target.existing) {
    if (!options.overwrite) return { kind: 'exists', reason: `${named(path, target.file, target.viaLink)} exists` };
    if (!writable(target.file)) return { kind: 'failed', reason: `${named(path, target.file, target.viaLink)} is not writable` };
    return null;
  }
  if (!writable(target.dir)) return { kind: 'failed', reason: `the directory ${target.dir} is not writable` };
  return null;
}

/**
 * Opens `path` to be written as it goes (a recording). A new file is made with O_EXCL (never
 * following a link or reusing a name someone placed there in the meantime); an existing
 * regular file, only with `overwrite`, is opened in place and emptied, so it keeps its mode,
 * owner and links. The open never blocks (O_NONBLOCK) and the opened file is checked again
 * (fstat): it is a regular file, or it is closed untouched.
 */
export function openForWriting(path: string, options: { overwrite: boolean }): OpenResult {
  const t = writeTarget(path, false);
  if (!t.ok) return { kind: 'failed', reason: t.reason };
  const target = t.target;
  if (target.existing && !options.overwrite) return { kind: 'exists', target };
  const base = constants.O_WRONLY | constants.O_NONBLOCK | constants.O_NOCTTY | constants.O_NOFOLLOW;
  let fd: number;
  try {
    fd = target.existing ? openSync(target.file, base) : openSync(target.file, base | constants.O_CREAT | constants.O_EXCL, 0o666);
  } catch (e) {
    const code = errno(e);
    const where = named(path, target.file, target.viaLink);
    if (code === 'EEXIST' || code === 'ELOOP' || code === 'ENXIO') return { kind: 'failed', reason: `${where} changed while it was opened; nothing was written` };
    if (code === 'EACCES' || code === 'EPERM') return { kind: 'failed', reason: target.existing ? `${where} is not writable` : `the directory ${target.dir} is not writable` };
    return { kind: 'failed', reason: `${where}: ${(e as Error).message}` };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) {
      closeSync(fd);
      return { kind: 'failed', reason: `${named(path, target.file, target.viaLink)} is ${kindOfFile(st)}, not a regular file; only regular files are written` };
    }
    if (target.existing) ftruncateSync(fd, 0);
    return { kind: 'opened', fd, target };
  } catch (e) {
    closeSync(fd);
    return { kind: 'failed', reason: `${named(path, target.file, target.viaLink)}: ${(e as Error).message}` };
  }
}
