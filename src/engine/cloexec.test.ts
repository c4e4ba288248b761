import { describe, expect, it } from 'vitest';
import type { DesignName } from './command.js';
import { play, playLines } from './session.js';
import { allDesigns, codes, on, reads } from './testing.js';

// Issue 11 item 6: an fd opened with PERF_FLAG_FD_CLOEXEC closes at exec (do_close_on_exec,
// after exec_mmap), releasing its event; under upstream nothing then runs start().
const all = allDesigns;

describe('exec with a close-on-exec user event', () => {
  // [exec64 keeps access, its findings, exec32 keeps access, its findings]
  const want: Record<DesignName, { keeps: boolean; findings: string[]; keeps32: boolean; findings32: string[] }> = {
    // v4, v5, x86: the exec's switch_mm to the new mm (count 0) clears access.
    v4: { keeps: false, findings: [], keeps32: false, findings32: [] },
    v5: { keeps: false, findings: [], keeps32: false, findings32: [] },
    // upstream: releasing the event frees its counter; with none in use armpmu_enable() skips
    // start(), so PMUSERENR_EL0 keeps ER|CR, granted for the task as it was before exec (mm 1).
    upstream: { keeps: true, findings: ['access/other-mm'], keeps32: true, findings32: ['access/aarch32', 'access/other-mm'] },
    x86: { keeps: false, findings: [], keeps32: false, findings32: [] },
    // hardened re-decides on every enable and after exec.
    hardened: { keeps: false, findings: [], keeps32: false, findings32: [] },
  };
  for (const exec of ['exec64', 'exec32'] as const) {
    it.each(all)(`%s: ${exec}`, (design) => {
      const { world } = play(`spawn app on 0\nopen 100 cycles user cloexec\nmmap 100 3\ntick\n${exec} 100`, { design, ...on });
      expect(world.tasks.get(100)!.fds).toEqual([]);
      expect(world.events.size).toBe(0);
      expect(world.cpus[0]!.pmuserenr !== 0).toBe(design === 'upstream');
      expect(reads(world, 100)).toBe(exec === 'exec64' ? want[design].keeps : want[design].keeps32);
      expect(codes(world)).toEqual(exec === 'exec64' ? want[design].findings : want[design].findings32);
    });
  }

  it.each(all)('%s: without cloexec the fd stays open across exec and the event counts on', (design) => {
    const { world } = play('spawn app on 0\nopen 100 cycles user\nopen 100 instructions user cloexec\ntick\nexec64 100', { design, ...on });
    expect(world.tasks.get(100)!.fds.map((e) => e.fd)).toEqual([3]);
    expect([...world.events.values()].map((e) => e.type)).toEqual(['cycles']);
    expect(world.tasks.get(100)!.perfContext).toEqual([1]);
  });

  it('a fork\'s copy keeps its close-on-exec flag: the child\'s exec closes its copy, not the parent\'s fd', () => {
    const { world } = play('spawn app on 0\nopen 100 cycles user cloexec\nfork 100 on 1\nexec64 101');
    expect(world.tasks.get(101)!.fds).toEqual([]);
    expect(world.tasks.get(100)!.fds).toEqual([{ fd: 3, event: 1, open: true, cloexec: true }]);
    expect(world.events.get(1)!.fdRefs).toBe(1);
  });

  it('a closed fd kept for its mapping goes with the old mm at exec', () => {
    const { world } = play('spawn app on 0\nopen 100 cycles user cloexec\nmmap 100 3\nclose 100 3');
    expect(world.tasks.get(100)!.fds).toEqual([{ fd: 3, event: 1, open: false, cloexec: true }]);
    playLines(world, 'exec64 100');
    expect(world.tasks.get(100)!.fds).toEqual([]);
    expect(world.events.size).toBe(0);
  });
});
