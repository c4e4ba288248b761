/**
 * Regenerates saves/examples/recorded-workload.pmu: a random session recorded by the engine,
 * with checkpoints. Run it (npx tsx tools/record-workload.ts) only when the engine's state
 * changes on purpose, and say so in the commit.
 */
import { writeFileSync } from 'node:fs';
import { recordCommands } from '../src/engine/session.js';
import { generateWorkload } from '../src/engine/workload.js';
import { defaultConfig } from '../src/engine/world.js';

const config = { ...defaultConfig, seed: 7 };
const commands = generateWorkload({ seed: 7, commands: 400, tasks: 8, config });
const [header, ...rest] = recordCommands(config, commands, 25).split('\n');
const note = '# A random session recorded by the engine: 400 generated commands (rejections dropped),\n# a checkpoint every 25. Replaying it must reproduce every hash.';
writeFileSync('saves/examples/recorded-workload.pmu', [header, note, ...rest].join('\n'));
