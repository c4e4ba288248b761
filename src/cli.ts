#!/usr/bin/env -S node --heap-growing-percent=20 --max-semi-space-size=2
// The command line with the real process: src/main.ts does the work.
// The V8 flags keep a long session's memory down: at max pace the engine allocates fast and
// V8 would let the heap grow to several times what is alive (about 30 MB); with them a
// 10-minute max-pace session stays under ~200 MB (README, Recordings). `npm start` passes the
// same flags (package.json).
import { spawnSync } from 'node:child_process';
import { main } from './main.js';
import { processIo, settle } from './process-io.js';

const args = process.argv.slice(2);
if (args.find((a) => !a.startsWith('-')) === 'explore' && process.env['PMUPLAY_EXPLORE_CHILD'] !== '1') {
  // A search makes short-lived worlds by the million: with a 2 MB young generation it runs at
  // about half the speed it has with 32 MB (bench/explore.ts), and V8 takes that size only at
  // start. So explore runs in a child node with it; Ctrl-C reaches both, and this process
  // waits for the child's summary instead of dying first.
  process.on('SIGINT', () => {});
  const flags = process.execArgv.filter((f) => !f.startsWith('--max-semi-space-size'));
  const child = spawnSync(process.execPath, [...flags, '--max-semi-space-size=32', process.argv[1]!, ...args], {
    stdio: 'inherit',
    env: { ...process.env, PMUPLAY_EXPLORE_CHILD: '1' },
  });
  process.exitCode = child.status ?? (child.signal === 'SIGINT' ? 130 : 1);
} else {
  const io = processIo();
  process.exitCode = await settle(await main(args, io), io.stdout, io.stderr);
}
