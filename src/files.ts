/**
 * Reading `.pmu` files from disk with a clear message for each way it can go wrong: missing,
 * a directory, unreadable, binary, not UTF-8.
 */
import { readFileSync, statSync } from 'node:fs';
import type { SourceFile } from './headless.js';

export type ReadResult = { ok: true; file: SourceFile } | { ok: false; message: string };

export function readPmuFile(path: string): ReadResult {
  let bytes: Buffer;
  try {
    if (statSync(path).isDirectory()) return { ok: false, message: `${path}: is a directory, not a .pmu file` };
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    return { ok: false, message: `${path}: cannot read: ${why}` };
  }
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
