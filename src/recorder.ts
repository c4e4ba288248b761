/**
 * Recording a session to a `.pmu` file as it happens: the header, then every accepted command
 * as typed, each written with its own write(2) the moment it is accepted (a `kill -9` leaves a
 * valid file up to the last command), and a checkpoint every `checkpointEvery` commands and at
 * the end. Ticks from the run mode are gathered into one `tick N` line, written before any
 * other command, before a checkpoint, and at least every few hundred milliseconds.
 * `saveSession` writes a whole branch at once, to a temporary file renamed into place.
 */
import { accessSync, closeSync, constants, existsSync, openSync, renameSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from './engine/command.js';
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
  private since = 0;
  private ticks = 0;

  private constructor(
    private readonly fd: number,
    readonly path: string,
  ) {}

  /** Opens the file and writes the header, or says why it cannot: before the session begins. */
  static open(path: string, config: Config): Recorder | string {
    const why = whyNotWritable(path);
    if (why) return `cannot record to ${path}: ${why}`;
    try {
      const fd = openSync(path, 'w');
      writeSync(fd, formatHeader(config) + '\n');
      return new Recorder(fd, path);
    } catch (e) {
      return `cannot record to ${path}: ${(e as Error).message}`;
    }
  }

  private write(line: string): void {
    writeSync(this.fd, line + '\n');
  }

  /** A command the session accepted, as the user typed it (or its canonical form). */
  command(text: string, world: World): void {
    this.flushTicks(world);
    this.write(text.trim());
    this.counted(world);
  }

  /** One tick of the run mode: gathered, written by `flushTicks`. */
  tick(): void {
    this.ticks++;
  }

  flushTicks(world: World): void {
    if (this.ticks === 0) return;
    this.write(this.ticks === 1 ? 'tick' : `tick ${this.ticks}`);
    this.ticks = 0;
    this.counted(world);
  }

  private counted(world: World): void {
    if (++this.since < checkpointEvery) return;
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
  const why = whyNotWritable(path);
  if (why) return `cannot save to ${path}: ${why}`;
  const tmp = `${resolve(path)}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, recordCommands(config, commands, checkpointEvery));
    renameSync(tmp, path);
    return null;
  } catch (e) {
    if (existsSync(tmp)) unlinkSync(tmp);
    return `cannot save to ${path}: ${(e as Error).message}`;
  }
}
