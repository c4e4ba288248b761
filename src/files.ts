/**
 * Reading `.pmu` files from disk with a clear message for each way it can go wrong: missing,
 * a directory, a special file (FIFO, device, socket), too large, unreadable, binary, not UTF-8,
 * empty.
 *
 * Only regular files are read. A FIFO would block `open` until a writer comes and a device such
 * as `/dev/zero` never ends, so the path is looked at (`stat`) before it is opened, and opened
 * with O_NONBLOCK (an open never waits) and O_NOCTTY (a terminal never becomes ours); the open
 * file is looked at again (`fstat`), since the path may have been replaced in between. At most
 * `pmuFileBytesMax + 1` bytes are read, whatever the size said: a file may grow while it is read.
 */
import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import type { SourceFile } from './headless.js';

/**
 * The largest `.pmu` file read. The text, its lines and the parsed commands are all held at
 * once, so a limit keeps a mistaken path from taking the machine's memory: at 16 MiB the worst
 * file measured (3.3 million `tick` lines) runs in 350 MB, 300,000 distinct `say` lines in 190
 * MB; at 64 MiB the first took 1 GB. 16 MiB is far above any script or recording made by hand
 * or by the playground (a recording grows by about 50 bytes a second in run mode: days).
 * An IO limit of the shell, not of the simulation, so it lives here and not in
 * `engine/limits.ts`.
 */
export const pmuFileBytesMax = 16 * 1024 * 1024;

/** Bytes read at a time after the first read: memory grows with what is read, not with what a size claimed. */
const readChunkBytes = 1024 * 1024;

export type ReadResult = { ok: true; file: SourceFile } | { ok: false; message: string };

/** "a FIFO (named pipe)", "a character device", …: what a file that is not a regular file is. */
export function kindOfFile(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  if (st.isSymbolicLink()) return 'a symbolic link';
  return 'a regular file';
}

/** 64.1 MiB: rounded up, so a file just over the limit never reads as the limit itself. */
function mebibytes(bytes: number): string {
  return `${Math.ceil((bytes * 10) / (1024 * 1024)) / 10} MiB`;
}

function notRegular(path: string, st: Stats): string {
  if (st.isDirectory()) return `${path}: is a directory, not a .pmu file`;
  return `${path}: is ${kindOfFile(st)}, not a regular file; only regular files are read`;
}

function tooLarge(path: string, bytes: number): string {
  return `${path}: ${mebibytes(bytes)}, more than the ${mebibytes(pmuFileBytesMax)} a .pmu file may be`;
}

function cannotRead(path: string, e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  const why =
    code === 'ENOENT' ? 'no such file' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'ENOTDIR' ? 'a part of the path is not a directory' : code === 'ELOOP' ? 'too many symbolic links' : (e as Error).message;
  return `${path}: cannot read: ${why}`;
}

/** The bytes of a regular file at `path`, at most the limit, or a message saying why not. */
function readBytes(path: string): { ok: true; bytes: Buffer } | { ok: false; message: string } {
  let fd: number;
  try {
    // Before opening: opening some devices does something (a tape rewinds), so they are not opened at all.
    const st = statSync(path);
    if (!st.isFile()) return { ok: false, message: notRegular(path, st) };
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (e) {
    // A socket cannot be opened (ENXIO): say what it is, if it is still there.
    if ((e as NodeJS.ErrnoException).code === 'ENXIO') {
      try {
        return { ok: false, message: notRegular(path, statSync(path)) };
      } catch {
        /* gone: the open's error says it */
      }
    }
    return { ok: false, message: cannotRead(path, e) };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { ok: false, message: notRegular(path, st) };
    if (st.size > pmuFileBytesMax) return { ok: false, message: tooLarge(path, st.size) };
    const chunks: Buffer[] = [];
    let total = 0;
    // The first read is sized by what fstat said, so an ordinary file is read in one piece and
    // not copied; a file that grew, or one whose size says 0 (procfs), goes on in chunks.
    let want = Math.max(st.size + 1, readChunkBytes);
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(want, pmuFileBytesMax + 1 - total));
      want = readChunkBytes;
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      chunks.push(n === chunk.length ? chunk : chunk.subarray(0, n));
      total += n;
      // It grew while it was read.
      if (total > pmuFileBytesMax) return { ok: false, message: tooLarge(path, Math.max(total, fstatSync(fd).size)) };
    }
    return { ok: true, bytes: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total) };
  } catch (e) {
    return { ok: false, message: cannotRead(path, e) };
  } finally {
    closeSync(fd);
  }
}

export function readPmuFile(path: string): ReadResult {
  const read = readBytes(path);
  if (!read.ok) return read;
  const bytes = read.bytes;
  if (bytes.includes(0)) return { ok: false, message: `${path}: binary data (a NUL byte), not a .pmu text file` };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { ok: false, message: `${path}: not valid UTF-8 text` };
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === '') return { ok: false, message: `${path}: the file is empty` };
  return { ok: true, file: { name: path, text } };
}
