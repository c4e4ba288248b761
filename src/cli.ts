#!/usr/bin/env -S node --heap-growing-percent=20 --max-semi-space-size=2
// The command line with the real process: src/main.ts does the work.
// The V8 flags keep a long session's memory down: at max pace the engine allocates fast and
// V8 would let the heap grow to several times what is alive (about 30 MB); with them a
// 10-minute max-pace session stays under ~200 MB (README, Recordings). `npm start` passes the
// same flags (package.json).
import { main } from './main.js';
import { processIo, settle } from './process-io.js';

const io = processIo();
process.exitCode = await settle(await main(process.argv.slice(2), io), io.stdout, io.stderr);
