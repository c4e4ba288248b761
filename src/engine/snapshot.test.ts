import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatCommand } from './format.js';
import { stateHash } from './hash.js';
import { assertInvariants } from './invariants.js';
import { copyWorld } from './snapshot.js';
import { applyCommand } from './step.js';
import { generateWorkload } from './workload.js';
import { createWorld, defaultConfig } from './world.js';
import { ringEntries } from './ring.js';

const config = { ...defaultConfig, cpus: 3, counters: 4 };

describe('world snapshots', () => {
  it('restore to the same hash, and the restored world goes on exactly like the original', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 10, max: 150 }), (seed, cut) => {
        const commands = generateWorkload({ seed, commands: 200, tasks: 6, config });
        const world = createWorld(config);
        for (const c of commands.slice(0, cut)) applyCommand(world, c);
        const snap = copyWorld(world);
        const atSnapshot = stateHash(world);
        const twin = copyWorld(snap);
        expect(stateHash(twin)).toBe(stateHash(world));
        assertInvariants(twin, () => 'after the copy');
        for (const c of commands.slice(cut)) {
          applyCommand(world, c);
          applyCommand(twin, c);
          assertInvariants(twin, () => `after ${formatCommand(c)}`);
        }
        expect(stateHash(twin)).toBe(stateHash(world));
        expect(ringEntries(twin.log).at(-1)).toEqual(ringEntries(world.log).at(-1));
        // The snapshot is untouched by what the restored world did: restore it again.
        expect(stateHash(copyWorld(snap))).toBe(atSnapshot);
      }),
      { numRuns: 30, seed: 20261125 },
    );
  }, 60_000);
});
