/**
 * The real process as an `Io` for `main`: stdout and stderr wrapped so that a failed write is
 * remembered instead of crashing, and `settle` turns such a failure into the exit code once
 * the output is flushed. A write to a file or device that fails (`> /dev/full`: ENOSPC) fails
 * asynchronously, after `write` has returned; `settle` waits for it.
 */
import type { Writable } from 'node:stream';
import type { Io, Out } from './main.js';

/** sysexits.h EX_IOERR: the output could not be written. Not 1 (an expect failed) nor 2 (bad
 * input): a script that checks for those must not mistake a full disk for either. */
export const exitOutputFailed = 74;

export interface TrackedOut extends Out {
  /** The first write error, or null. */
  readonly failure: NodeJS.ErrnoException | null;
  /** Resolves once everything written so far has reached the stream (or failed). */
  flushed(): Promise<void>;
}

export function trackedOut(stream: Writable): TrackedOut {
  let failure: NodeJS.ErrnoException | null = null;
  const note = (e: Error | null | undefined) => {
    if (e && !failure) failure = e as NodeJS.ErrnoException;
  };
  stream.on('error', note);
  return {
    get failure() {
      return failure;
    },
    write(text: string) {
      // After a failure the stream is gone: later output is dropped, not queued.
      if (failure || stream.destroyed) return;
      try {
        stream.write(text, note);
      } catch (e) {
        note(e as Error);
      }
    },
    flushed() {
      if (failure || stream.destroyed) return Promise.resolve();
      return new Promise((resolve) => {
        stream.write('', (e) => {
          note(e);
          // The 'error' event of a failed write comes a tick after its callback.
          setImmediate(resolve);
        });
      });
    },
  };
}

const why = (e: NodeJS.ErrnoException) => (e.code ? `${e.code}: ${e.message.replace(/^\w+: /, '')}` : e.message);

/**
 * The exit code once output is flushed: `code`, unless a write failed. A closed pipe (EPIPE:
 * the reader stopped, as `| head` does) is not an error: exit 0, quietly. Any other failure
 * exits 74 with one line naming the stream (on stderr, or on stdout when stderr failed).
 */
export async function settle(code: number, stdout: TrackedOut, stderr: TrackedOut): Promise<number> {
  await Promise.all([stdout.flushed(), stderr.flushed()]);
  const outFailed = stdout.failure;
  const errFailed = stderr.failure;
  if (outFailed?.code === 'EPIPE') return 0;
  if (outFailed) {
    stderr.write(`pmuplay: cannot write the output to stdout: ${why(outFailed)}\n`);
    await stderr.flushed();
    return exitOutputFailed;
  }
  if (errFailed && errFailed.code !== 'EPIPE') {
    stdout.write(`pmuplay: cannot write to stderr: ${why(errFailed)}\n`);
    await stdout.flushed();
    return exitOutputFailed;
  }
  return code;
}

/** The process's own streams, flags and environment. */
export function processIo(): Io & { stdout: TrackedOut; stderr: TrackedOut } {
  return {
    stdout: trackedOut(process.stdout),
    stderr: trackedOut(process.stderr),
    stdinIsTTY: process.stdin.isTTY === true,
    stdoutIsTTY: process.stdout.isTTY === true,
    env: process.env,
  };
}
