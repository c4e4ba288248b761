/**
 * The shell's part of `pmuplay kernel-check FILE…`: read the files (every one must be
 * readable before anything runs), then run.ts. Kept here so main.ts gains one line.
 */
import { readPmuFile } from '../files.js';
import type { Io } from '../main.js';
import { jsonLine, visible } from '../visible.js';
import { type KernelCheckOptions, type SourceFile, exitBadInput, kernelCheck } from './run.js';

export async function kernelCheckFiles(paths: string[], opts: KernelCheckOptions, io: Io): Promise<number> {
  if (paths.length === 0) {
    io.stderr.write('pmuplay: kernel-check needs at least one .pmu file (try: pmuplay kernel-check saves/examples/upstream-stale-start.pmu)\n');
    return exitBadInput;
  }
  const files: SourceFile[] = [];
  let unreadable = 0;
  for (const path of paths) {
    const r = readPmuFile(path);
    if (r.ok) files.push(r.file);
    else {
      unreadable++;
      if (opts.json) io.stdout.write(jsonLine({ type: 'error', file: path, message: r.message }) + '\n');
      else io.stderr.write(`pmuplay: ${visible(r.message)}\n`);
    }
  }
  if (unreadable > 0) return exitBadInput;
  return kernelCheck(files, opts, (l) => io.stdout.write(l + '\n'), (l) => io.stderr.write(l + '\n'));
}
