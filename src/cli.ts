#!/usr/bin/env -S node --heap-growing-percent=20 --max-semi-space-size=2
// The command line with the real process: src/main.ts does the work.
// The V8 flags keep a long session's memory down: at max pace the engine allocates fast and
// V8 would let the heap grow to several times what is alive (about 30 MB); with them a
// 10-minute max-pace session stays under ~200 MB (README, Recordings). `npm start` passes the
// same flags (package.json).
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { modeWord } from './cli-args.js';
import { main } from './main.js';
import { processIo, settle } from './process-io.js';

const args = process.argv.slice(2);
if (modeWord(args) === 'explore' && process.env['PMUPLAY_EXPLORE_CHILD'] !== '1') {
  // A search makes short-lived worlds by the million: with a 2 MB young generation it runs at
  // about half the speed it has with 32 MB (bench/explore.ts), and V8 takes that size only at
  // start. So explore runs in a child node with it, and with the GC on the thread that
  // allocates: V8's GC helper threads took a second core's worth of CPU for no gain in wall
  // time, and fought the search's worker threads for the cores (measured on the large bench
  // scenario: one thread 19-23 s of CPU instead of 25-27, two threads 30-33 s instead of 35-36,
  // each a little faster in wall time). Ctrl-C from the terminal reaches both: this
  // process waits for the child's summary. SIGTERM and SIGHUP sent to this process alone are
  // passed on, so the child never outlives it; a child ended by a signal exits 128 + its number.
  process.on('SIGINT', () => {});
  const flags = process.execArgv.filter((f) => !f.startsWith('--max-semi-space-size') && f !== '--single-threaded-gc');
  const child = spawn(process.execPath, [...flags, '--max-semi-space-size=32', '--single-threaded-gc', process.argv[1]!, ...args], {
    stdio: 'inherit',
    env: { ...process.env, PMUPLAY_EXPLORE_CHILD: '1' },
  });
  for (const signal of ['SIGTERM', 'SIGHUP'] as const) process.on(signal, () => child.kill(signal));
  process.exitCode = await new Promise<number>((resolve) => {
    child.on('exit', (code, signal) => resolve(code ?? 128 + (signal ? constants.signals[signal] : 0)));
    child.on('error', (e) => {
      process.stderr.write(`pmuplay: explore could not start its search process: ${e.message}\n`);
      resolve(70);
    });
  });
} else {
  const io = processIo();
  process.exitCode = await settle(await main(args, io), io.stdout, io.stderr);
}
