/**
 * Recording a session to a `.pmu` file as it happens: the header, then every accepted command
 * as typed, each written with its own write(2) the moment it is accepted (a `kill -9` leaves a
 * valid file up to the last command), and a checkpoint every `checkpointEvery` commands and at
 * the end. Ticks (the run mode's, a typed `tick N` done in pieces) are gathered into one
 * `tick N` line, written before any other command, before a checkpoint, and at least every few
 * hundred milliseconds. A `back` is written once it has landed, so the file steps back where
 * the session did (both count steps).
 * `saveSession` writes a whole branch at once, to a temporary file renamed into place.
 */
import { accessSync, closeSync, constants, existsSync, openSync, renameSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from './engine/command.js';
import { ticksPerCommand } from './engine/limits.js';
import { formatHeader } from './engine/script.js';
import { checkpointLine, recordCommands } from './engine/session.js';
import type { Config, World } from './engine/world.js';

/** Often enough to place a divergence; each checkpoint costs about as much as a dozen commands. */
export const checkpointEvery = 100;

/** Can a file be written at `path`? A sentence saying why not, or null. */
export function whyNotWritable(path: string): string | null {
  const full = resolve(path);
  const dir = dirname(full);
  if (!existsSync(dir)) return `the directory ${dir} does not exist`;
  if (!statSync(dir).isDirectory()) return `${dir} is not a directory`;
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    return `the directory ${dir} is not writable`;
  }
  if (existsSync(full) && statSync(full).isDirectory()) return `${full} is a directory`;
  return null;
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
  ) {
    this.most = ticksPerCommand(config.cpus);
  }

  /** Opens the file and writes the header, or says why it cannot: before the session begins. */
  static open(path: string, config: Config): Recorder | string {
    const why = whyNotWritable(path);
    if (why) return `cannot record to ${path}: ${why}`;
    try {
      const fd = openSync(path, 'w');
      writeSync(fd, formatHeader(config) + '\n');
      return new Recorder(fd, path, config);
    } catch (e) {
      return `cannot record to ${path}: ${(e as Error).message}`;
    }
  }

  private write(line: string): void {
    writeSync(this.fd, line + '\n');
  }

  /** A command the session accepted, in its canonical spelling (`formatCommand`). */
  command(text: string, world: World): void {
    this.flushTicks(world);
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

  flushTicks(world: World): void {
    if (this.ticks === 0) return;
    this.write(this.ticks === 1 ? 'tick' : `tick ${this.ticks}`);
    this.ticks = 0;
    this.counted(world);
  }

  /** A line was written; a checkpoint is due every `checkpointEvery`, where the world is the file's. */
  private counted(world: World | null): void {
    if (++this.since < checkpointEvery || !world) return;
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

/** `save FILE`: the branch written whole to a temporary file, then renamed over FILE. */
export function saveSession(path: string, config: Config, commands: Command[]): string | null {
  const r = saveRecording(path, recordCommands(config, commands, checkpointEvery), true);
  return r.ok ? null : r.message;
}

/**
 * A recording's text written to `path` through a temporary file renamed into place; a file
 * already there is replaced only when `overwrite` (else `exists`, for the playground to ask).
 */
export function saveRecording(path: string, text: string, overwrite: boolean): { ok: true } | { ok: false; message: string; exists?: boolean } {
  const why = whyNotWritable(path);
  if (why) return { ok: false, message: `cannot save to ${path}: ${why}` };
  if (!overwrite && existsSync(path)) return { ok: false, message: `${path} exists`, exists: true };
  const tmp = `${resolve(path)}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, path);
    return { ok: true };
  } catch (e) {
    if (existsSync(tmp)) unlinkSync(tmp);
    return { ok: false, message: `cannot save to ${path}: ${(e as Error).message}` };
  }
}
