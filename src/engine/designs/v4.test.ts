import { describe, expect, it } from 'vitest';
import { play, playLines } from '../session.js';
import type { World } from '../world.js';
import { cpuMode, taskState } from '../lifecycle.js';
import { ringEntries } from '../ring.js';

const ERCR = 12;

function codes(world: World): string[] {
  return ringEntries(world.findings).map((f) => f.code);
}

function lastOutput(played: ReturnType<typeof play>['played']): string {
  const r = played[played.length - 1]!.result;
  if (!r.ok) throw new Error(r.rejection.message);
  return r.lines.join('\n');
}

describe('v4: the 0 -> 1 IPI', () => {
  it('grants access on every CPU, so another process reads the cycle counter', () => {
    const { world, played } = play(`
      spawn reader on 0
      spawn victim on 1
      open 100 cycles
      mmap 100 3
      mrs 101 pmccntr`);
    expect(world.cpus.map((c) => c.pmuserenr)).toEqual([ERCR, ERCR, ERCR, ERCR]);
    expect(world.cpus[1]!.grant?.forMm).toBe(1); // granted for the reader's mm, on the victim's CPU
    expect(lastOutput(played)).not.toBe('SIGILL');
    expect(codes(world)).toEqual(['access/other-mm']);
    expect(ringEntries(world.findings)[0]).toMatchObject({ cpu: 1, pid: 101, step: 4 });
  });

  it('switch_mm recomputes access, so the other process loses it at its next switch', () => {
    const { world, played } = play(`
      spawn reader on 0
      spawn victim on 1
      spawn other on 1
      open 100 cycles
      mmap 100 3
      switch 1 102
      switch 1 101
      mrs 101 pmccntr`);
    expect(world.cpus[1]!.pmuserenr).toBe(0);
    expect(lastOutput(played)).toBe('SIGILL');
  });
});

describe('v4: the 1 -> 0 unmap IPI', () => {
  const setup = `
    spawn app on 0
    thread 100 on 1
    open 100 cycles
    mmap 100 3
    munmap 100 3`;

  it('reaches no CPU because arm64 leaves mm_cpumask empty: the threads keep access', () => {
    const { world } = play(setup + '\nmrs 101 pmccntr');
    expect(world.mms.get(1)!.cpumask).toEqual([]);
    expect(world.cpus[0]!.pmuserenr).toBe(ERCR);
    expect(world.cpus[1]!.pmuserenr).toBe(ERCR);
    expect(codes(world).filter((c) => c === 'access/stale')).toHaveLength(2);
  });

  it('keeps the stale access until a switch to another mm', () => {
    const { world, played } = play(setup + '\nspawn other on 1\nswitch 1 102\nswitch 1 101\nmrs 101 pmccntr');
    expect(lastOutput(played)).toBe('SIGILL');
    expect(world.cpus[1]!.pmuserenr).toBe(0);
  });

  it('with an maintained mm_cpumask carries NULL and oopses every CPU of the mm', () => {
    const { world } = play('fault cpumask-maintained on\n' + setup);
    expect(cpuMode(world.cpus[0]!)).toBe('halted');
    expect(cpuMode(world.cpus[1]!)).toBe('halted');
    expect(cpuMode(world.cpus[2]!)).toBe('idle');
    expect(codes(world)).toEqual(['oops/null-deref', 'oops/null-deref']);
    const more = playLines(world, 'mmap 101 3');
    expect(more[0]!.result).toMatchObject({ ok: false, rejection: { code: 'mmap/cpu-halted' } });
  });
});

describe('v4: PMSELR_EL0', () => {
  it('carries a value from one task to the next on the CPU', () => {
    const { world, played } = play(`
      spawn sender on 0
      spawn receiver on 0
      open 100 cycles
      mmap 100 3
      open 101 cycles
      mmap 101 3
      msr 100 pmselr 21
      mrs 101 pmselr`);
    expect(lastOutput(played)).toBe('21');
    expect(world.cpus[0]!.pmselrWriter).toBe(100);
    expect(codes(world)).toEqual(['leak/pmselr']);
  });

  it('is not a finding when a task reads back what it wrote', () => {
    const { world } = play('spawn a on 0\nopen 100 cycles\nmmap 100 3\nmsr 100 pmselr 3\nmrs 100 pmselr');
    expect(codes(world)).toEqual([]);
  });
});

describe('v4: AArch32', () => {
  it('gives a compat task access through the same bits', () => {
    const { world, played } = play('spawn legacy aarch32 on 2\nopen 100 cycles\nmmap 100 3\nmrs 100 pmccntr');
    expect(world.cpus[2]!.pmuserenr).toBe(ERCR);
    expect(lastOutput(played)).not.toBe('SIGILL');
    expect(codes(world)).toEqual(['access/aarch32']);
  });

  it('exec32 drops the old mm mapping and switches to a new mm without access', () => {
    const { world, played } = play('spawn app on 2\nopen 100 cycles\nmmap 100 3\nexec32 100\nmrs 100 pmccntr');
    expect(lastOutput(played)).toBe('SIGILL');
    expect(world.tasks.get(100)!.mm).toBe(2);
    expect(world.mms.has(1)).toBe(false); // released, and loaded on no CPU: freed
  });
});

describe('v4: mmap_lock', () => {
  const race = `
    ipi manual
    spawn app on 0
    thread 100 on 1
    open 100 cycles
    open 101 cycles
    mmap 100 3
    mmap 101 3`;

  it('serialises two threads mapping at once: the second waits and then has access', () => {
    const { world } = play(race);
    expect(taskState(world.tasks.get(100)!)).toBe('blocked.ipi');
    expect(taskState(world.tasks.get(101)!)).toBe('blocked.lock');
    const after = playLines(world, 'deliver 1\ndeliver 2\ndeliver 3\nread 101 3');
    expect(taskState(world.tasks.get(100)!)).toBe('running');
    const read = after[3]!.result;
    expect(read.ok && read.lines[0]).toMatch(/^\d+;/); // a value, not SIGILL or a fallback
    expect(codes(world)).toEqual([]);
  });

  it('skipped by a caller, lets a thread return without access: SIGILL and a lockdep splat', () => {
    const { world } = play('fault mmap-lock-skip on\n' + race);
    expect(taskState(world.tasks.get(101)!)).toBe('running');
    expect(world.cpus[1]!.pmuserenr).toBe(0);
    const after = playLines(world, 'read 101 3');
    expect(after[0]!.result).toMatchObject({ ok: true, lines: ['SIGILL'] });
    expect(codes(world)).toEqual(['lockdep/mmap-lock', 'lockdep/mmap-lock', 'access/denied']);
  });
});

describe('v4: counters of other events', () => {
  it('lets a task with ER read the live count of a per-CPU event', () => {
    const { world } = play('open cpu 0 instructions\nspawn app on 0\nopen 100 cycles\nmmap 100 3\ntick\nmrs 100 pmevcntr0');
    expect(codes(world)).toEqual(['leak/counter']);
  });

  it('lets a task read a value another task left in a freed counter', () => {
    const { world } = play(`
      spawn a on 0
      spawn b on 0
      open 100 instructions
      mmap 100 3
      open 101 cycles
      mmap 101 3
      switch 0 100
      tick
      switch 0 101
      mrs 101 pmevcntr0`);
    expect(codes(world)).toEqual(['leak/counter']);
    expect(ringEntries(world.findings)[0]!.text).toContain('a value left by event 100:3');
  });
});

describe('v4: open flags', () => {
  it('flags a chained 64-bit event user-readable as its code behaves (map_event sees idx 0), and libperf reads it wrong', () => {
    const { world, played } = play('spawn a on 0\nopen 100 instructions 64bit\nmmap 100 3\nrun 5000\nread 100 3');
    const ev = [...world.events.values()][0]!;
    expect(ev).toMatchObject({ chained: true, counter: 0, readable: true });
    // The page names the high, odd counter (index 2: PMEVCNTR1) and says 64 bits.
    expect(ev.page).toMatchObject({ index: 2, pmcWidth: 64, capUserRdpmc: true });
    // The mmap counts it: pmu_direct_access 0 -> 1 and the IPI grants ER|CR everywhere.
    expect(world.mms.get(1)!.design.pmu_direct_access).toBe(1);
    expect(world.cpus.map((c) => c.pmuserenr)).toEqual([ERCR, ERCR, ERCR, ERCR]);
    // libperf adds the high half (the low half's overflows) to the offset: a wrong count.
    expect(codes(world)).toEqual(['read/wrong-count']);
    expect(lastOutput(played)).not.toMatch(/^5\d{3}\b/);
  });

  it('publishes index 32 and width 32 for a cycles event, 64 for a 64-bit one', () => {
    const { world } = play('spawn a on 0\nopen 100 cycles\nopen 100 instructions\nopen 100 cycles 64bit');
    const [cyc, ins, cyc64] = [...world.events.values()];
    expect(cyc!.page).toMatchObject({ index: 32, pmcWidth: 32, capUserRdpmc: true });
    expect(ins!.page).toMatchObject({ index: 1, pmcWidth: 32 });
    // The cycle counter is taken and counter 0 is in use: the 64-bit event is chained on 2 and
    // 3, and its page names counter 3 (index 4), the high half.
    expect(cyc64!.chained).toBe(true);
    expect(cyc64!.counter).toBe(2);
    expect(cyc64!.page).toMatchObject({ index: 4, pmcWidth: 64, capUserRdpmc: true });
  });
});
