/**
 * A session's trace (trace/build.ts) written to a file, at the shell's edge: `run --trace FILE`,
 * `demo NAME --headless --trace FILE`, the playground's `save --trace FILE` and the
 * `NAME.CODE.trace.json` explore writes beside each counterexample. Written whole through a
 * temporary file renamed into place, as `save` writes a recording (write-file.ts: regular files
 * only, through symbolic links, modes kept, nothing left behind on failure).
 */
import type { Command } from './engine/command.js';
import type { Config } from './engine/world.js';
import { type SaveResult, saveRecording } from './recorder.js';
import { traceOf } from './trace/play.js';
import { traceJson } from './trace/trace-event.js';

/** The trace of `commands` played into a fresh world with `config`, written to `path`. */
export function saveTrace(path: string, config: Config, commands: readonly Command[], options: { overwrite?: boolean } = {}): SaveResult {
  return saveRecording(path, traceJson(traceOf(config, commands)), options);
}

/** Where explore writes a counterexample's trace: beside its recording, `.pmu` -> `.trace.json`. */
export function traceFileBeside(recording: string): string {
  return recording.replace(/\.pmu$/i, '') + '.trace.json';
}
