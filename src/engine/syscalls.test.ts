import { describe, expect, it } from 'vitest';
import { play } from './session.js';

describe('freeing an event', () => {
  it('of an exited thread, at the mm teardown, leaves the per-CPU fd of the same number alone', () => {
    // Thread 101's event (its fd 3) stays mapped after 101 exits; the mm's last user exiting
    // unmaps and frees it. A per-CPU event also has fd 3: it must still be there.
    const { world, played } = play('open cpu 2 cycles\nspawn a on 0\nthread 100 on 1\nopen 101 cycles\nmmap 101 3\nexit 101\nexit 100\nclose cpu 3');
    expect(played.map((p) => p.result.ok)).toEqual([true, true, true, true, true, true, true, true]);
    expect(world.cpuFds.size).toBe(0);
    expect(world.events.size).toBe(0);
  });
});
