/**
 * Recording a session to a `.pmu` file as it happens: the header, then every accepted command
 * in its canonical spelling, each written with its own write(2) the moment it is accepted (a
 * `kill -9` leaves a valid file up to the last command), and a checkpoint every
 * `checkpointEvery` lines — always of the world as the file stands at that line — and at the
 * end. Ticks (the run mode's, a typed `tick N` done in pieces) are gathered into one
 * `tick N` line, written before any other command, before a checkpoint, and at least every few
 * hundred milliseconds. A `back` is written once it has landed, so the file steps back where
 * the session did (both count steps).
 * `saveRecording` writes a whole recording at once, to a temporary file renamed into place.
 * How files are written (regular files only, through symbolic links, modes kept, nothing left
 * behind on failure) is `write-file.ts`'s.
 */
import { closeSync, fstatSync, statSync, unlinkSync, writeSync } from 'node:fs';
import type { Command } from './engine/command.js';
import { ticksPerCommand } from './engine/limits.js';
import { formatHeader } from './engine/script.js';
import { checkpointLine, recordCommands } from './engine/session.js';
import type { Config, World } from './engine/world.js';
import { openForWriting, whyNotOpenable, writeFileAtomic } from './write-file.js';

/** Often enough to place a divergence; each checkpoint costs about as much as a dozen commands. */
export const checkpointEvery = 100;

/** What `--record` says when the file is there and `--force` was not given. */
const forceHint = 'give --force to replace it';

/**
 * Could `Recorder.open` record to `path`? A sentence saying why not, or null. Opens and makes
 * nothing: for a check before the session begins. An existing file is refused unless
 * `overwrite` (the `--force` flag).
 */
export function whyNotWritable(path: string, options: { overwrite?: boolean } = {}): string | null {
  const why = whyNotOpenable(path, { overwrite: options.overwrite === true });
  if (!why) return null;
  return why.kind === 'exists' ? `${why.reason}; ${forceHint}` : why.reason;
}

export class Recorder {
  /** Lines written since the last checkpoint. */
  private since = 0;
  /** Ticks done but not yet written. */
  private ticks = 0;
  private readonly most: number;

  private constructor(
    private readonly fd: number,
    readonly path: string,
    config: Config,
    private readonly every: number,
  ) {
    this.most = ticksPerCommand(config);
  }

  /**
   * Opens the file and writes the header, or says why it cannot: before the session begins.
   * An existing regular file is emptied in place (keeping its mode) only with `overwrite`;
   * anything else that is there (a FIFO, a device, a directory) is refused without blocking.
   */
  static open(path: string, config: Config, options: { overwrite?: boolean; checkpointEvery?: number } = {}): Recorder | string {
    const r = openForWriting(path, { overwrite: options.overwrite === true });
    if (r.kind === 'failed') return `cannot record to ${path}: ${r.reason}`;
    if (r.kind === 'exists') return `cannot record to ${path}: ${r.target.file} exists; ${forceHint}`;
    try {
      writeSync(r.fd, formatHeader(config) + '\n');
      return new Recorder(r.fd, path, config, options.checkpointEvery ?? checkpointEvery);
    } catch (e) {
      closeSync(r.fd);
      // A file this call made is taken away again; an existing one was already emptied.
      if (!r.target.existing) unlinkSync(r.target.file);
      return `cannot record to ${path}: ${(e as Error).message}`;
    }
  }

  /** Is `path` (after symbolic links) the file this recorder writes? */
  writes(path: string): boolean {
    try {
      const mine = fstatSync(this.fd);
      const there = statSync(path);
      return mine.dev === there.dev && mine.ino === there.ino;
    } catch {
      return false;
    }
  }

  private write(line: string): void {
    writeSync(this.fd, line + '\n');
  }

  /**
   * A command the session accepted, in its canonical spelling (`formatCommand`); `world` is
   * the world after it. Ticks gathered before it are written first, with no checkpoint after
   * them: `world` is already past their end. One falls after the command if due.
   */
  command(text: string, world: World): void {
    this.flush(null);
    this.write(text.trim());
    this.counted(world);
  }

  /**
   * `n` ticks done (the run mode, a typed `tick N` in pieces); `world` is after them. They are
   * gathered into one `tick N` line; a line holds at most what one command may ask for, so a
   * full one is written as the next piece arrives — with no checkpoint, since the world has
   * moved past its end.
   */
  tick(n: number, world: World): void {
    if (this.ticks + n > this.most) {
      this.write(`tick ${this.ticks}`);
      this.ticks = 0;
      this.counted(null);
    }
    this.ticks += n;
    if (this.ticks === this.most) this.flushTicks(world);
  }

  /** Write the gathered ticks out; `world` is the world at their end. */
  flushTicks(world: World): void {
    this.flush(world);
  }

  private flush(world: World | null): void {
    if (this.ticks === 0) return;
    this.write(this.ticks === 1 ? 'tick' : `tick ${this.ticks}`);
    this.ticks = 0;
    this.counted(world);
  }

  /** A line was written; a checkpoint is due every `every` lines, taken of `world`: the world as the file stands (null: not known here, so the checkpoint waits). */
  private counted(world: World | null): void {
    if (++this.since < this.every || !world) return;
    this.write(checkpointLine(world));
    this.since = 0;
  }

  /** Flush, write the closing checkpoint, close. */
  close(world: World): void {
    this.flushTicks(world);
    if (this.since > 0) this.write(checkpointLine(world));
    closeSync(this.fd);
  }
}

export type SaveResult =
  | { kind: 'saved'; message: string }
  /** A regular file is at `path` (or where its link leads) and `overwrite` was not given: nothing written. */
  | { kind: 'exists'; message: string }
  | { kind: 'failed'; message: string };

/**
 * `save FILE`: a recording's text written whole to a temporary file, then renamed over FILE
 * (after symbolic links; an existing file's mode is kept). An existing file is replaced only
 * with `overwrite`; otherwise the result is `exists`, for the playground to ask.
 */
export function saveRecording(path: string, text: string, options: { overwrite?: boolean } = {}): SaveResult {
  const r = writeFileAtomic(path, text, { overwrite: options.overwrite === true });
  if (r.kind === 'failed') return { kind: 'failed', message: `cannot save to ${path}: ${r.reason}` };
  if (r.kind === 'exists') return { kind: 'exists', message: `${r.target.viaLink ? `${r.target.file} (where the link ${path} leads)` : path} exists` };
  return { kind: 'saved', message: `saved to ${path}` };
}

/** A branch's commands saved as a recording with checkpoints (`saveRecording`). */
export function saveBranch(path: string, config: Config, commands: Command[], options: { overwrite?: boolean } = {}): SaveResult {
  return saveRecording(path, recordCommands(config, commands, checkpointEvery), options);
}
