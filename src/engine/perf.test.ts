import { describe, expect, it } from 'vitest';
import type { DesignName } from './command.js';
import { play, playLines } from './session.js';
import { ringEntries } from './ring.js';
import { allDesigns, last, on } from './testing.js';
import type { World } from './world.js';

const arm: DesignName[] = ['v4', 'v5', 'upstream', 'hardened'];
/** The designs that keep Linux's arm_pmu driver as it is (hardened carries the fix). */
const linux: DesignName[] = ['v4', 'v5', 'upstream'];

function ev(world: World, n = 0) {
  return [...world.events.values()][n]!;
}

function overflows(world: World): number {
  return ringEntries(world.log).filter((e) => e.kind === 'overflow').length;
}

/** A u64 as C's %lld prints it. */
function signed(v: bigint): bigint {
  return BigInt.asIntN(64, v);
}

describe('Linux 6.1: a page published after read(2) has an offset 2^32 too low', () => {
  // armpmu_event_update leaves prev_count zero-extended; perf_mmap publishes count - prev_count.
  for (const event of ['cycles', 'instructions'] as const) {
    for (const longCounters of [false, true]) {
      it.each(linux)(`${event}, long counters ${longCounters ? 'on' : 'off'}: %s`, (design) => {
        const { world } = play(`spawn a on 0\nopen 100 ${event} user\ntick`, { design, ...on, longCounters });
        expect(last(world, 'read 100 3')).toMatch(/^fallback read\(\)/);
        expect(last(world, 'mmap 100 3')).toBe('mmap fd 3 done');
        // On a real 6.1 kernel: offset=-2147483649 where 2147483647 is right.
        expect(signed(ev(world).page.offset)).toBe(-2147483649n);
        expect(last(world, 'read 100 3')).toMatch(/; wrong: the event counted \d+, 2\^32 below it \(mod 2\^64\)$/);
        expect(world.findingCounts.get('read/wrong-count')).toBe(1);
      });
    }
  }

  it.each(arm)('mmap before any read publishes the right offset, and reads are right: %s', (design) => {
    const { world } = play('spawn a on 0\nopen 100 cycles user\nmmap 100 3\ntick\nread 100 3\ntick\nread 100 3', { design, ...on });
    expect(signed(ev(world).page.offset)).toBe(2147483647n);
    expect(world.findingCounts.get('read/wrong-count')).toBeUndefined();
  });

  it.each(linux)('the next set_period mends it: a switch out and back in: %s', (design) => {
    const { world } = play('spawn a on 0\nspawn b on 0\nopen 100 cycles user\ntick\nread 100 3\nmmap 100 3', { design, ...on });
    playLines(world, 'switch 0 101\nswitch 0 100');
    const page = ev(world).page;
    // set_period stored prev_count = -(period_left) sign-extended again, and the counter
    // carried on: offset = count + period_left = 2^31 - 1 until the first overflow.
    expect(page.offset).toBe(2147483647n);
    expect(last(world, 'read 100 3')).not.toContain('wrong');
  });

  it.each(linux)('reset of a mapped event publishes the same wrong offset: %s', (design) => {
    const { world } = play('spawn a on 0\nopen 100 cycles user\nmmap 100 3\ntick', { design, ...on });
    expect(last(world, 'read 100 3')).not.toContain('wrong');
    expect(last(world, 'reset 100 3')).toBe('fd 3 reset');
    expect(ev(world).count).toBe(0n);
    // offset = 0 - prev_count, prev_count the raw counter zero-extended (0x8xxxxxxx).
    expect(ev(world).page.offset).toBe(BigInt.asUintN(64, -ev(world).prevCount));
    expect(ev(world).prevCount >> 31n).toBe(1n);
    expect(last(world, 'read 100 3')).toMatch(/2\^32 below it \(mod 2\^64\)$/);
  });

  it('hardened keeps prev_count sign-extended: after read(2) then mmap, and after reset, reads are right', () => {
    const { world } = play('spawn a on 0\nopen 100 cycles user\ntick\nread 100 3\nmmap 100 3', { design: 'hardened', ...on });
    expect(ev(world).page.offset).toBe(2147483647n);
    expect(last(world, 'read 100 3')).not.toContain('wrong');
    playLines(world, 'tick\nreset 100 3\ntick');
    expect(last(world, 'read 100 3')).not.toContain('wrong');
    expect(world.findingCounts.size).toBe(0);
  });

  it('reset without a mapping: the count restarts and read(2) reads from 0', () => {
    const { world } = play('spawn a on 0\nopen 100 cycles\ntick\nreset 100 3\ntick', { design: 'upstream' });
    expect(last(world, 'read 100 3')).toBe('fallback read() = 1000000 (user page not mapped)');
  });

  it('reset of a closed fd is refused (the ioctl would get -EBADF), though the mapping still reads', () => {
    const { world } = play('spawn a on 0\nopen 100 cycles user\nmmap 100 3\nclose 100 3\ntick', { design: 'upstream', ...on });
    expect(last(world, 'reset 100 3')).toBe('rejected: reset/closed');
    expect(last(world, 'read 100 3')).not.toContain('wrong');
  });

  it.each(allDesigns)('mmap of a task-bound inherit event is -EINVAL, and no hook runs: %s', (design) => {
    const { world } = play('spawn a on 0\nopen 100 cycles user inherit', { design, ...on });
    const before = JSON.stringify(world.mms.get(1)!.design);
    expect(last(world, 'mmap 100 3')).toBe('mmap: -EINVAL');
    expect(ev(world).maps).toEqual([]);
    expect(JSON.stringify(world.mms.get(1)!.design)).toBe(before);
  });

  it('reset is refused for an fd the task does not have', () => {
    const { world } = play('spawn a on 0');
    expect(last(world, 'reset 100 3')).toBe('rejected: reset/no-such-fd');
  });
});

describe('period_left: the counter carries on across switch-ins', () => {
  it.each(arm)('slices each far shorter than 2^31 - 1 cycles still overflow once in all: %s', (design) => {
    // Two tasks share CPU 0 in slices of 4 ticks (4 * 10^6 cycles); each runs 2.5 * 10^9.
    const { world } = play('spawn a on 0\nspawn b on 0\nopen 100 cycles\nopen 101 cycles\ntick 5000', { design });
    expect(overflows(world)).toBe(2);
    for (const e of world.events.values()) {
      expect(e.count).toBe(e.trueCount);
      expect(e.count).toBe(2_500_000_000n);
      // The overflow came after 2^31 - 1 events, and period_left counts down to the next.
      expect(e.periodLeft).toBe(2n * 2147483647n - 2_500_000_000n);
    }
  });

  it('x86: 48-bit counters, max_period 2^47 - 1: the same slices do not overflow', () => {
    const { world } = play('spawn a on 0\nspawn b on 0\nopen 100 cycles\nopen 101 cycles 64bit\ntick 5000', { design: 'x86' });
    expect(overflows(world)).toBe(0);
    for (const e of world.events.values()) {
      expect(e.count).toBe(2_500_000_000n);
      expect(e.periodLeft).toBe((1n << 47n) - 1n - 2_500_000_000n);
      expect(e.chained).toBe(false);
    }
    // A fresh 48-bit counter starts at 2^47 + 1, carried on across slices.
    expect(world.cpus[0]!.cycleCounter.width).toBe(48);
    expect(world.cpus[0]!.cycleCounter.value).toBe((1n << 47n) + 1n + 2_500_000_000n);
  });

  it('x86: a 64-bit instructions event takes one 48-bit counter, never a chained pair', () => {
    const { world } = play('spawn a on 0\nopen 100 instructions 64bit\nmmap 100 3\nrun 300000000000000\nread 100 3', { design: 'x86' });
    expect(ev(world)).toMatchObject({ chained: false, counter: 0, page: { pmcWidth: 48 } });
    // 1.5 * 10^14 instructions: past 2^47 - 1, one overflow, and the read is right.
    expect(overflows(world)).toBe(1);
    expect(world.findingCounts.get('read/wrong-count')).toBeUndefined();
  });

  it.each(arm)('the raw counter after a sleep is where it stopped: %s', (design) => {
    const { world } = play('spawn a on 0\nspawn b on 0\nopen 100 instructions\ntick', { design });
    const before = world.cpus[0]!.counters[0]!.value;
    playLines(world, 'sleep 100\ntick 3\nwake 100\nswitch 0 100');
    expect(world.cpus[0]!.counters[0]!.value).toBe(before);
    expect(before).toBe(0x80000001n + ev(world).count);
  });

  it('a read(2) shrinks period_left but leaves the counter counting', () => {
    const { world } = play('spawn a on 0\nopen 100 cycles\ntick\nread 100 3', { design: 'upstream' });
    const e = ev(world);
    expect(e.periodLeft).toBe(2147483647n - e.count);
    expect(e.prevCount).toBe(0x80000001n + e.count);
  });
});

describe('AArch32: MRC p15 reads 32 bits', () => {
  it.each(arm)('an AArch32 task reads PMCCNTR[31:0] where an AArch64 task reads all 64 bits: %s', (design) => {
    // The cycle counter holds a 32-bit event biased: 0xffffffff_8xxxxxxx.
    const setup = (arch: string) => play(`spawn a${arch} on 0\nopen 100 cycles user\nmmap 100 3\ntick`, { design, ...on }).world;
    const wide = setup('');
    const narrow = setup(' aarch32');
    const raw = wide.cpus[0]!.cycleCounter.value;
    expect(raw >> 32n).toBe(0xffffffffn);
    const got64 = last(wide, 'mrs 100 pmccntr');
    const got32 = last(narrow, 'mrs 100 pmccntr');
    // hardened refuses AArch32 tasks access at all.
    if (design === 'hardened') return expect(got32).toBe('SIGILL');
    expect(BigInt(got64) >> 32n).toBe(0xffffffffn);
    expect(BigInt(got32)).toBe(BigInt(got64) & 0xffffffffn);
  });

  it('x86: a 32-bit task reads all 48 bits (RDPMC fills EDX:EAX)', () => {
    const { world } = play('spawn a aarch32 on 0\nopen 100 cycles\nmmap 100 3\ntick', { design: 'x86' });
    expect(BigInt(last(world, 'mrs 100 pmccntr'))).toBe(world.cpus[0]!.cycleCounter.value);
    expect(world.cpus[0]!.cycleCounter.value >> 32n).not.toBe(0n);
    expect(last(world, 'read 100 3')).not.toContain('wrong');
  });

  it('a 32-bit event reads right from AArch32 (pmc_width 32 needs only the low half)', () => {
    const { world } = play('spawn a aarch32 on 0\nopen 100 cycles\nmmap 100 3\ntick\nread 100 3', { design: 'v4' });
    expect(world.findingCounts.get('read/wrong-count')).toBeUndefined();
  });

  it('a 64-bit event read from AArch32 loses the high half: the monitor flags the count', () => {
    const { world } = play('spawn a aarch32 on 0\nopen 100 cycles 64bit\nmmap 100 3\nrun 5000000000\nread 100 3', { design: 'v4' });
    expect(world.findingCounts.get('read/wrong-count')).toBe(1);
  });
});

describe('do_exit: exit_mm before exit_files and perf_event_exit_task', () => {
  // With IPIs held, does exit_mm wait for the unmap hook's IPIs (so the event still counts)?
  const waits: Record<DesignName, boolean> = { v4: false, v5: true, upstream: false, x86: true, hardened: false };
  it.each(allDesigns)('the last user exits with its page mapped and IPIs held: %s', (design) => {
    // Task 100 ran on CPU 1 before CPU 0, so x86's mm_cpumask has both.
    const { world } = play('spawn a on 1\nspawn b on 0\nopen 100 cycles user\nmmap 100 3\nmigrate 100 0\nswitch 0 100\nipi manual\nexit 100', { design, ...on });
    // v4's unmap IPI goes to an empty mm_cpumask; upstream and hardened have no hook.
    expect(world.tasks.get(100)?.resume != null).toBe(waits[design]);
    expect(world.events.size).toBe(waits[design] ? 1 : 0);
    playLines(world, 'ipi auto');
    expect(world.events.size).toBe(0);
    expect(world.cpus[0]!.cycleCounter.event).toBe(null);
  });

  it('v5: the exiting task waits in exit_mm for its unmap IPIs with its event still counting', () => {
    const { world } = play('spawn a on 0\nspawn b on 1\nopen 100 cycles\nmmap 100 3\nipi manual\nexit 100', { design: 'v5' });
    expect(world.tasks.get(100)!.resume).toMatchObject({ op: 'exit' });
    expect(world.cpus[0]!.cycleCounter.event).not.toBe(null);
    expect(world.events.size).toBe(1);
    playLines(world, 'ipi auto');
    expect(world.events.size).toBe(0);
    expect(world.cpus[0]!.cycleCounter.event).toBe(null);
  });

  it('v4 with a maintained mm_cpumask: the NULL refresh halts the CPU inside exit_mm, before exit_files frees the event', () => {
    const { world } = play('fault cpumask-maintained on\nspawn a on 0\nopen 100 cycles\nmmap 100 3\nexit 100', { design: 'v4' });
    expect(world.findingCounts.get('oops/null-deref')).toBe(1);
    expect(world.events.size).toBe(1);
    expect(world.cpus[0]!.cycleCounter.event).not.toBe(null);
  });
});
