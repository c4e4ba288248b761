/**
 * Long work in the playground (a long `tick N`, a far `back`, a `save`): the job under way,
 * run a slice at a time on the caller's clock, its progress for the message line, and the
 * keys that arrived while it ran, kept in order for when it ends. No Ink, no timers.
 */
import type { Clock, Work } from '../engine/work.js';
import type { KeyInfo } from './keys.js';

/** What the work is, the work, and what to do when it ends or is stopped. */
export interface Job {
  what: string;
  unit: string;
  work: Work<unknown>;
  finish(): void;
  stop(): void;
}

export class LongWork {
  private job: Job | null = null;
  private waiting: { input: string; key: KeyInfo }[] = [];

  constructor(
    private readonly clock: Clock,
    private readonly sliceMs: number,
  ) {}

  get busy(): boolean {
    return this.job !== null;
  }

  get progress(): { what: string; done: number; total: number; unit: string } | null {
    return this.job && { what: this.job.what, done: this.job.work.done, total: this.job.work.total, unit: this.job.unit };
  }

  /** The message line while it runs. */
  progressText(): string | null {
    const p = this.progress;
    return p && `${p.what}: ${p.done} of ${p.total} ${p.unit}…  Esc stops, q quits`;
  }

  /** Start a job; its first slice runs now. True when it finished at once. */
  start(job: Job): boolean {
    this.job = job;
    return this.slice();
  }

  /** A slice of the job under way; when it ends, its `finish` runs. True when it finished. */
  slice(): boolean {
    const job = this.job;
    if (!job) return true;
    if (!job.work.runUntil(this.clock, this.clock() + this.sliceMs)) return false;
    this.job = null;
    job.finish();
    return true;
  }

  /** Stop the job (it says what it kept) and forget the keys that waited for it. */
  stop(): void {
    this.waiting = [];
    const job = this.job;
    if (!job) return;
    this.job = null;
    job.stop();
  }

  /** A key that arrived while the job ran: it waits for the end. */
  wait(input: string, key: KeyInfo): void {
    this.waiting.push({ input, key });
  }

  /** The oldest key that waited, taken out. */
  nextWaiting(): { input: string; key: KeyInfo } | undefined {
    return this.waiting.shift();
  }
}
