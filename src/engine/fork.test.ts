import { describe, expect, it } from 'vitest';
import type { DesignName } from './command.js';
import { taskArch } from './lifecycle.js';
import { play, playLines } from './session.js';
import { allDesigns, codes, last, on, reads } from './testing.js';

// Issue 11 item 5: fork copies the mm_struct (per-mm design state included) but not the perf
// mappings (VM_DONTCOPY); fds are copied; the perf context gets only `inherit` events.
const all = allDesigns;

describe('the child of a task that maps a user-readable event', () => {
  // Task 100 maps its event; its child 101 runs on CPU 1 with a copy of mm 1 and no mapping.
  const script = 'spawn app on 0\nopen 100 cycles user\nmmap 100 3\nfork 100 on 1\ntick';
  const want: Record<DesignName, { copied: Record<string, number>; child: boolean; afterParentGone: boolean; findings: string[] }> = {
    // v4, v5, x86: switch_mm reads the copied count; the child never unmaps, so it keeps access for good.
    v4: { copied: { pmu_direct_access: 1 }, child: true, afterParentGone: true, findings: ['access/stale'] },
    v5: { copied: { pmu_direct_access: 1 }, child: true, afterParentGone: true, findings: ['access/stale'] },
    upstream: { copied: {}, child: false, afterParentGone: false, findings: [] },
    x86: { copied: { perf_rdpmc_allowed: 1 }, child: true, afterParentGone: true, findings: ['access/stale'] },
    hardened: { copied: {}, child: false, afterParentGone: false, findings: [] },
  };
  it.each(all)('%s', (design) => {
    const { world } = play(script, { design, ...on });
    const child = world.tasks.get(101)!;
    const mm = world.mms.get(child.mm)!;
    expect(mm.id).not.toBe(1);
    expect({ design: mm.design, copiedFrom: mm.copiedFrom, mappings: mm.mappings }).toEqual({ design: want[design].copied, copiedFrom: { mm: 1, design: want[design].copied }, mappings: [] });
    // The same fd naming the parent's event; nothing in the child's perf context.
    expect(child.fds).toEqual([{ fd: 3, event: 1, open: true, cloexec: false }]);
    expect(child.perfContext).toEqual([]);
    expect(reads(world, 101)).toBe(want[design].child);
    playLines(world, 'munmap 100 3\nclose 100 3\nexit 100\ntick 2');
    expect(reads(world, 101)).toBe(want[design].afterParentGone);
    expect(codes(world).filter((c) => c !== 'leak/counter')).toEqual(want[design].findings);
  });

  it.each(all)('%s: the finding names the child and the copy its grant came from', (design) => {
    const { world } = play(script, { design, ...on });
    const f = [...world.findingCounts.keys()];
    if (want[design].findings.length === 0) return expect(f).toEqual([]);
    const text = world.findings.items.map((x) => x.text).join('\n');
    expect(text).toContain('task 101 (app, mm 2) keeps');
    expect(text).toContain("mm 2 is a fork's copy of mm 1");
  });
});

describe('fds and perf contexts after fork', () => {
  it.each(all)('%s: a close in the child leaves the parent\'s event; the parent\'s close leaves the child\'s fd', (design) => {
    const { world } = play('spawn app on 0\nopen 100 cycles user\nfork 100 on 1', { design, ...on });
    expect(world.events.get(1)!.fdRefs).toBe(2);
    expect(last(world, 'close 101 3')).toBe('fd 3 closed; 1 other fd still holds the event');
    expect(world.events.has(1)).toBe(true);
    expect(last(world, 'read 100 3')).toMatch(/^\d+|^fallback/);
    playLines(world, 'fork 100 on 2\nclose 100 3');
    expect(world.events.get(1)!.fdRefs).toBe(1);
    expect(last(world, 'close 102 3')).toBe('fd 3 closed');
    expect(world.events.size).toBe(0);
  });

  // With `inherit` the child gets its own event counting it — nr_user included for upstream.
  const inherit: Record<DesignName, { child: boolean; findings: string[] }> = {
    v4: { child: false, findings: [] }, // the child maps nothing: its mm's count is 0
    v5: { child: false, findings: [] },
    upstream: { child: true, findings: [] },
    x86: { child: false, findings: [] },
    hardened: { child: true, findings: [] },
  };
  it.each(all)('%s: an inherit event is copied into the child\'s context', (design) => {
    const { world } = play('spawn app on 0\nopen 100 cycles user inherit\nopen 100 instructions user\nfork 100 on 1\ntick', { design, ...on });
    const child = world.tasks.get(101)!;
    expect(child.perfContext.length).toBe(1);
    const ev = world.events.get(child.perfContext[0]!)!;
    expect(ev).toMatchObject({ owner: 101, parent: 1, inherit: true, type: 'cycles', fdRefs: 0, maps: [], activeCpu: 1 });
    expect(ev.trueCount).toBeGreaterThan(0n); // it counted the child's tick
    expect(child.fds.map((e) => e.fd)).toEqual([3, 4]);
    expect(reads(world, 101)).toBe(inherit[design].child);
    expect(codes(world)).toEqual(inherit[design].findings);
    // The child's exit frees its inherited event; the parent's stay.
    playLines(world, 'exit 101');
    expect([...world.events.keys()]).toEqual([1, 2]);
  });

  it.each(all)('%s: a thread inherits the same way (perf_event_init_task runs for every clone), with no fds of its own', (design) => {
    const { world } = play('spawn app on 0\nopen 100 cycles user inherit\nopen 100 instructions user\nthread 100 on 1\ntick', { design, ...on });
    const thread = world.tasks.get(101)!;
    expect(thread.mm).toBe(1);
    expect(thread.perfContext.length).toBe(1);
    expect(world.events.get(thread.perfContext[0]!)).toMatchObject({ owner: 101, parent: 1, inherit: true, type: 'cycles', fdRefs: 0, activeCpu: 1 });
    expect(thread.fds).toEqual([]);
    // Its own event makes nr_user 1 where access follows the context (upstream, hardened); v4,
    // v5 and x86 follow the mm, which maps nothing.
    expect(reads(world, 101)).toBe(inherit[design].child);
    playLines(world, 'exit 101');
    expect([...world.events.keys()]).toEqual([1, 2]);
  });

  it('a thread of a task without inherit events gets none', () => {
    const { world } = play('spawn app on 0\nopen 100 cycles user\nthread 100 on 1', { design: 'upstream', ...on });
    expect(world.tasks.get(101)!.perfContext).toEqual([]);
    expect(reads(world, 101)).toBe(false);
  });

  it('a grandchild inherits from the original event, not from the child\'s copy', () => {
    const { world } = play('spawn app on 0\nopen 100 cycles inherit\nfork 100 on 1\nfork 101 on 2');
    const grandchild = world.tasks.get(102)!;
    expect(world.events.get(grandchild.perfContext[0]!)!.parent).toBe(1);
  });
});

describe('where the child runs', () => {
  it('on the parent\'s CPU, queued behind it, unless a CPU is named; AArch32 if the parent is', () => {
    const { world } = play('spawn app aarch32 on 0\nfork 100\nfork 100 on 2');
    expect(world.tasks.get(101)!.cpu).toBe(0);
    expect(world.cpus[0]!.runqueue).toEqual([101]);
    expect(world.cpus[2]!.current).toBe(102);
    expect([101, 102].map((pid) => taskArch(world.tasks.get(pid)!))).toEqual(['aarch32', 'aarch32']);
  });

  it('is refused for the parent\'s reasons, or a CPU that does not exist', () => {
    const { world } = play('spawn app on 0\nsleep 100');
    expect(last(world, 'fork 100')).toBe('rejected: fork/blocked');
    expect(last(world, 'fork 105')).toBe('rejected: fork/no-such-pid');
    expect(last(world, 'wake 100\nfork 100 on 9')).toBe('rejected: fork/no-such-cpu');
  });
});
