/**
 * The fps section's round (bench/tui.tsx): a program in a pty at max pace, its frames counted
 * over a window, and for pmuplay the time a typed key takes to show.
 */
import { median } from './paired.js';
import { Pty, sleep } from './pty.js';

export const size = { columns: 160, rows: 50 };

/** The header every frame of pmuplay (and of the ticker) starts with: one a frame. */
export const header = 'pmuplay  design';

/** Type a command on pmuplay's command line (it is in the input mode after the first `:`). */
const command = (text: string) => `:${text}\r`;

/** The busy world, typed into a fresh playground on 8 CPUs: 64 tasks, each with a mapped, user-readable cycles event. */
async function busyWorld(pty: Pty): Promise<boolean> {
  // The starter world's tasks are pids 100-103; ours are 104 on.
  let keys = '';
  for (let i = 0; i < 64; i++) keys += command(`spawn t${i}`) + command(`open ${104 + i} cycles user`) + command(`mmap ${104 + i} 3`);
  const from = pty.out.length;
  pty.type(keys + command('say "bench-ready"'));
  return (await pty.waitFor('» bench-ready', from, 60_000)) !== null;
}

export interface FpsRound {
  fps: number;
  /** ms between frames: median and worst. */
  gapMedian: number;
  gapWorst: number;
  /** Characters written over the window, per frame. */
  charsPerFrame: number;
  /** The program's CPU time over the window, as a share of one core. */
  cpuShare: number | null;
  /** ms from a key typed to its echo on the command line, for each key. */
  echo: number[];
}

export async function fpsRound(program: string, pmuplay: boolean, windowMs: number): Promise<FpsRound | string> {
  const pty = new Pty(program, size);
  try {
    if ((await pty.waitFor(header, 0, 20_000)) === null) return `no first frame: ${JSON.stringify(pty.out.slice(0, 200))}`;
    if (pmuplay) {
      if (!(await busyWorld(pty))) return 'the busy world did not come up';
      // Esc leaves the command line; space runs; + up to max pace.
      const from = pty.out.length;
      pty.type('\x1b');
      await sleep(50); // an Esc followed at once by a key reads as Meta+key
      pty.type(' ++++++++');
      if ((await pty.waitFor('running max', from, 20_000)) === null) return 'did not reach max pace';
    }
    await sleep(500); // let the pace settle
    const from = pty.out.length;
    const cpu0 = pty.cpuMs();
    const start = performance.now();
    await sleep(windowMs);
    const end = performance.now();
    const cpu1 = pty.cpuMs();
    const written = pty.out.length - from;
    const at: number[] = [];
    for (let i = pty.out.indexOf(header, from); i >= 0; i = pty.out.indexOf(header, i + 1)) {
      const t = pty.arrival(i);
      if (t <= end) at.push(t);
    }
    const gaps = at.slice(1).map((t, i) => t - at[i]!);
    const echo: number[] = [];
    if (pmuplay) {
      // `:` opens the command line; each letter typed then shows after `: say `.
      let line = 'say ';
      const opened = pty.out.length;
      pty.type(`:${line}`);
      if ((await pty.waitFor(`: ${line}`, opened)) !== null) {
        for (const letter of 'abcdefghij') {
          const mark = pty.out.length;
          const typed = pty.type(letter);
          line += letter;
          const shown = await pty.waitFor(`: ${line}`, mark, 5_000);
          if (shown === null) break;
          echo.push(shown - typed);
          await sleep(37); // keys a few frames apart, not in one frame
        }
      }
    }
    return {
      fps: (at.length * 1000) / (end - start),
      gapMedian: median(gaps),
      gapWorst: Math.max(...gaps),
      charsPerFrame: written / Math.max(1, at.length),
      cpuShare: cpu0 === null || cpu1 === null ? null : (cpu1 - cpu0) / (end - start),
      echo,
    };
  } finally {
    pty.close();
  }
}

