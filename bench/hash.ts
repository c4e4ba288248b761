/**
 * `node --import tsx bench/hash.ts`: what one state hash and one set of per-part hashes cost on
 * the bench world (8 CPUs, 64 tasks, the 20,000-command seeded workload), in CPU time, median
 * and spread of rounds. Not a test: nothing here passes or fails.
 */
import { stateHash, stateParts } from '../src/engine/hash.js';
import { applyCommand } from '../src/engine/step.js';
import { generateWorkload } from '../src/engine/workload.js';
import { type Config, createWorld, defaultConfig } from '../src/engine/world.js';

const config: Config = { ...defaultConfig, cpus: 8, seed: 2026 };
const world = createWorld(config);
for (const c of generateWorkload({ seed: 2026, commands: 20_000, tasks: 64, config })) applyCommand(world, c);

function rounds(what: () => void, perRound: number, count = 15): number[] {
  for (let i = 0; i < perRound; i++) what(); // warm up
  const us: number[] = [];
  for (let r = 0; r < count; r++) {
    const start = process.cpuUsage();
    for (let i = 0; i < perRound; i++) what();
    const used = process.cpuUsage(start);
    us.push((used.user + used.system) / perRound);
  }
  return us.sort((a, b) => a - b);
}

const show = (us: number[]) => `median ${us[us.length >> 1]!.toFixed(1)} us (min ${us[0]!.toFixed(1)}, max ${us.at(-1)!.toFixed(1)})`;
console.log(`bench world: ${world.cpus.length} CPUs, ${world.tasks.size} tasks, ${world.mms.size} mms, ${world.events.size} events`);
console.log(`stateHash:  ${show(rounds(() => stateHash(world), 1000))} (aim <= 20 us)`);
console.log(`stateParts: ${show(rounds(() => stateParts(world), 200))}`);
