#!/usr/bin/env node
// The command line with the real process: src/main.ts does the work.
import { main } from './main.js';
import { processIo, settle } from './process-io.js';

const io = processIo();
process.exitCode = await settle(await main(process.argv.slice(2), io), io.stdout, io.stderr);
