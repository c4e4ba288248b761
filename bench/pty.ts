/**
 * A program in a pseudo-terminal, for the TUI bench: util-linux `script` gives it a pty of the
 * asked size, and the bench reads what it writes (as a terminal would get it) and types keys.
 * Each chunk of output is kept with the time it arrived.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** USER_HZ, the unit of /proc/PID/stat's times: 100 on Linux for every architecture it runs on. */
const clockTicksPerSecond = 100;

export interface Chunk {
  at: number;
  text: string;
}

export class Pty {
  readonly started = performance.now();
  readonly chunks: Chunk[] = [];
  /** Everything written so far. */
  out = '';
  private readonly child: ChildProcessWithoutNullStreams;
  private waiters: (() => void)[] = [];

  constructor(command: string, size: { columns: number; rows: number }, env: Record<string, string | undefined> = {}) {
    // Ink draws nothing between frames in CI (is-in-ci), and a colour terminal is the case to measure.
    const base = { ...process.env, TERM: 'xterm-256color', CI: undefined, CONTINUOUS_INTEGRATION: undefined };
    this.child = spawn('script', ['-qfec', `stty cols ${size.columns} rows ${size.rows}; exec ${command}`, '/dev/null'], { env: { ...base, ...env } });
    this.child.stdout.on('data', (d: Buffer) => {
      const text = d.toString();
      this.chunks.push({ at: performance.now(), text });
      this.out += text;
      const waiters = this.waiters;
      this.waiters = [];
      for (const w of waiters) w();
    });
  }

  /** The program itself: script's child, which `exec` made the command. */
  private programPid(): number | null {
    const pid = this.child.pid!;
    try {
      return Number(readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/)[0]) || null;
    } catch {
      return null;
    }
  }

  /** The program's CPU time so far (user + system, /proc), in ms; null if it cannot be read. */
  cpuMs(): number | null {
    const pid = this.programPid();
    if (pid === null) return null;
    try {
      // Fields 14 and 15 of /proc/PID/stat, counted after the command name's closing parenthesis.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicksPerSecond;
    } catch {
      return null;
    }
  }

  type(keys: string): number {
    const at = performance.now();
    this.child.stdin.write(keys);
    return at;
  }

  /**
   * When `text` first appears in the output written after offset `from` (in characters of
   * `out`), or null after `timeoutMs`. A bench waits for an effect, not for a time.
   */
  async waitFor(text: string, from = 0, timeoutMs = 10_000): Promise<number | null> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const i = this.out.indexOf(text, from);
      if (i >= 0) return this.arrival(i + text.length - 1);
      const left = deadline - performance.now();
      if (left <= 0) return null;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** When the character at `offset` of `out` arrived. */
  arrival(offset: number): number {
    let end = 0;
    for (const c of this.chunks) {
      end += c.text.length;
      if (offset < end) return c.at;
    }
    return performance.now();
  }

  close(): void {
    const pid = this.programPid();
    if (pid !== null) process.kill(pid, 'SIGKILL');
    this.child.kill('SIGKILL');
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
