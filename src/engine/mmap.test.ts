import { describe, expect, it } from 'vitest';
import type { DesignName } from './command.js';
import { ringEntries } from './ring.js';
import { play } from './session.js';
import { allDesigns, codes, last, on, reads } from './testing.js';
import type { World } from './world.js';

// Issue 11 item 4: perf_mmap calls event_mapped for every successful mmap of any event —
// per-CPU events included — and each munmap runs event_unmapped once.
const all = allDesigns;
/** The design's per-mm count of mm 1, or null where the design keeps none. */
const perMm = (world: World, mm = 1) => {
  const d = world.mms.get(mm)!.design;
  return d.pmu_direct_access ?? d.perf_rdpmc_allowed ?? null;
};
/** How many times the mapped / unmapped hooks changed a per-mm count. */
const hookRuns = (world: World, fn: RegExp) => ringEntries(world.log).filter((e) => e.what === 'count' && fn.test(e.fn)).length;

describe('a system-wide perf record maps its per-CPU buffer (open cpu … by PID)', () => {
  // Task 100 opens a per-CPU cycles event on CPU 0 and maps it; task 101 (another mm) runs on CPU 1.
  const script = 'spawn tool on 0\nspawn b on 1\nopen cpu 0 cycles by 100\nmmap 100 3';
  const want: Record<DesignName, { count: number | null; bystander: boolean; findings: string[] }> = {
    // v4: event_mapped runs for the per-CPU event too: 0 -> 1, on_each_cpu grants every CPU.
    v4: { count: 1, bystander: true, findings: ['access/other-mm'] },
    v5: { count: 1, bystander: false, findings: [] },
    upstream: { count: null, bystander: false, findings: [] },
    x86: { count: 1, bystander: false, findings: [] },
    hardened: { count: null, bystander: false, findings: [] },
  };
  it.each(all)('%s', (design) => {
    const { world, played } = play(script, { design, ...on });
    expect(played.map((p) => p.result.ok)).toEqual([true, true, true, true]);
    const ev = [...world.events.values()][0]!;
    expect(ev).toMatchObject({ owner: null, boundCpu: 0, openedBy: 100, maps: [1] });
    expect(world.tasks.get(100)!.fds.map((e) => e.fd)).toEqual([3]);
    expect(world.tasks.get(100)!.perfContext).toEqual([]);
    expect(perMm(world)).toBe(want[design].count);
    expect(reads(world, 101)).toBe(want[design].bystander);
    expect(codes(world)).toEqual(want[design].findings);
  });

  it.each(all)('%s: closing the fd and unmapping frees it; the tool\'s own per-CPU fds are untouched', (design) => {
    const { world } = play(`open cpu 1 cycles\n${script}\nclose 100 3`, { design, ...on });
    expect(world.events.size).toBe(2);
    expect(last(world, 'munmap 100 3')).toBe('munmap fd 3 done');
    expect([...world.events.values()].map((e) => e.openedBy)).toEqual([null]);
    expect(world.tasks.get(100)!.fds).toEqual([]);
    expect(perMm(world)).toBe(want[design].count === null ? null : 0);
  });
});

describe('one event mapped twice counts twice', () => {
  // After two mmaps and one munmap the count stays above zero; the second munmap is the 1 -> 0 edge.
  const want: Record<DesignName, { counts: (number | null)[]; hooks: number; afterFirst: boolean; afterLast: boolean }> = {
    v4: { counts: [2, 1, 0], hooks: 4, afterFirst: true, afterLast: true }, // the NULL IPI reaches no CPU
    v5: { counts: [2, 1, 0], hooks: 4, afterFirst: true, afterLast: false },
    upstream: { counts: [null, null, null], hooks: 0, afterFirst: true, afterLast: true }, // nr_user, not mappings
    x86: { counts: [2, 1, 0], hooks: 4, afterFirst: true, afterLast: false },
    hardened: { counts: [null, null, null], hooks: 0, afterFirst: true, afterLast: true },
  };
  it.each(all)('%s', (design) => {
    const { world } = play('spawn a on 0\nopen 100 cycles user\nmmap 100 3\nmmap 100 3', { design, ...on });
    const ev = [...world.events.values()][0]!;
    expect(ev.maps).toEqual([1, 1]);
    expect(world.mms.get(1)!.mappings).toEqual([ev.id, ev.id]);
    const counts = [perMm(world)];
    expect(last(world, 'munmap 100 3')).toBe('munmap fd 3 done');
    counts.push(perMm(world));
    const afterFirst = reads(world, 100);
    expect(last(world, 'munmap 100 3')).toBe('munmap fd 3 done');
    counts.push(perMm(world));
    const afterLast = reads(world, 100);
    expect(last(world, 'munmap 100 3')).toBe('rejected: munmap/not-mapped');
    expect({ counts, hooks: hookRuns(world, /event_(un)?mapped/), afterFirst, afterLast }).toEqual(want[design]);
    // Still open: the event lives on without a mapping.
    expect(world.events.get(ev.id)!.maps).toEqual([]);
  });

  it('an mm maps at most mmMappingsMax pages; the refusal says so', () => {
    const { world } = play(`spawn a on 0\nopen 100 cycles\n${'mmap 100 3\n'.repeat(64)}`);
    expect(last(world, 'mmap 100 3')).toBe('rejected: mmap/too-many-mappings');
    expect(world.mms.get(1)!.mappings.length).toBe(64);
  });
});
