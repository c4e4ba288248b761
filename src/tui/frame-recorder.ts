/**
 * A terminal for Ink to draw into without one: it keeps what Ink writes. In debug mode Ink
 * writes each frame whole, one write a frame. For the tests that hold frames byte for byte and
 * for the frame bench (which keeps only the last few of thousands).
 */
import { EventEmitter } from 'node:events';

export class FrameRecorder extends EventEmitter {
  isTTY = true;
  frames: string[] = [];

  constructor(
    readonly columns: number,
    readonly rows: number,
    private readonly keep = Infinity,
  ) {
    super();
  }

  write(s: string): boolean {
    this.frames.push(s);
    if (this.frames.length > this.keep) this.frames.shift();
    return true;
  }

  get last(): string {
    return this.frames.at(-1) ?? '';
  }

  /** As Ink's `stdout` option takes it. */
  get stream(): NodeJS.WriteStream {
    return this as unknown as NodeJS.WriteStream;
  }
}
