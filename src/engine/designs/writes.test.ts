import { describe, expect, it } from 'vitest';
import type { DesignName, Reg } from '../command.js';
import { play, playLines } from '../session.js';
import { USERENR_CR, USERENR_EN, USERENR_ER, USERENR_UEN } from '../userenr.js';
import { type Config, type PerfEvent, type World, createWorld, defaultConfig } from '../world.js';
import { ringEntries } from '../ring.js';
import { type Publish, type WriteEffect, armMayAccess, armWrite } from './design.js';
import { designs } from './index.js';

const all: DesignName[] = ['v4', 'v5', 'upstream', 'x86', 'hardened'];
const on: Partial<Config> = { perfUserAccess: 1 };

function last(world: World, lines: string): string {
  const r = playLines(world, lines).at(-1)!.result;
  return r.ok ? r.lines.join(' ') : `rejected: ${r.rejection.code}`;
}

function codes(world: World): string[] {
  return [...world.findingCounts.keys()].sort();
}

describe('PMUSERENR_EL0 (and PMUACR_EL1 under UEN): what EL0 may read and write', () => {
  const cyc: Reg = { kind: 'pmccntr' };
  const ev0: Reg = { kind: 'pmevcntr', n: 0 };
  const ev1: Reg = { kind: 'pmevcntr', n: 1 };
  const sel: Reg = { kind: 'pmselr' };
  const C = 0x8000_0000;
  const P0 = 1;
  // [what, PMUSERENR bits, PMUACR, register, read allowed, write effect]
  const rows: [string, number, number, Reg, boolean, WriteEffect][] = [
    ['nothing set', 0, 0, cyc, false, 'trap'],
    ['CR: reads the cycle counter, writes nothing', USERENR_CR, 0, cyc, true, 'trap'],
    ['CR does not open the event counters', USERENR_CR, 0, ev0, false, 'trap'],
    ['ER: reads event counters, writes none', USERENR_ER, 0, ev0, true, 'trap'],
    ['ER opens PMSELR for reads and writes', USERENR_ER, 0, sel, true, 'write'],
    ['EN writes the cycle counter', USERENR_EN, 0, cyc, true, 'write'],
    ['EN writes an event counter', USERENR_EN, 0, ev1, true, 'write'],
    ['UEN alone: a selected counter is read and written', USERENR_UEN, C, cyc, true, 'write'],
    ['UEN alone: an unselected counter traps', USERENR_UEN, C, ev0, false, 'trap'],
    ['ER|CR|UEN: a selected cycle counter is read, its write ignored', USERENR_ER | USERENR_CR | USERENR_UEN, C, cyc, true, 'ignore'],
    ['ER|CR|UEN: a selected event counter is read, its write ignored', USERENR_ER | USERENR_CR | USERENR_UEN, P0, ev0, true, 'ignore'],
    ['ER|CR|UEN: ER no longer opens an unselected counter', USERENR_ER | USERENR_CR | USERENR_UEN, P0, ev1, false, 'trap'],
    ['ER|CR|UEN: PMSELR stays closed', USERENR_ER | USERENR_CR | USERENR_UEN, P0, sel, false, 'trap'],
    ['CR|UEN: CR blocks cycle counter writes only', USERENR_CR | USERENR_UEN, C | P0, ev0, true, 'write'],
    ['EN|UEN: EN opens everything', USERENR_EN | USERENR_UEN, 0, ev1, true, 'write'],
  ];
  it.each(rows)('%s', (_what, bits, pmuacr, reg, read, write) => {
    expect([armMayAccess(bits, reg, pmuacr), armWrite(bits, reg, pmuacr)]).toEqual([read, write]);
  });
});

describe('msr of a counter, per design', () => {
  // Task 100 maps its cycles event and runs on CPU 0; then it writes its own cycle counter.
  const setup = 'spawn a on 0\nopen 100 cycles user\nmmap 100 3\ntick';
  const cases: [string, string, Record<DesignName, RegExp>][] = [
    ['the designs as they are', '',
      { v4: /^SIGILL$/, v5: /^SIGILL$/, upstream: /^SIGILL$/, x86: /^SIGSEGV$/, hardened: /^PMCCNTR_EL0 write ignored \(CR\|ER\|UEN C: EL0 writes disabled\)$/ }],
    ['hardened writing UEN alone (what-if uen-alone)', 'fault uen-alone on\nspawn b on 0\nswitch 0 101\nswitch 0 100',
      { v4: /^SIGILL$/, v5: /^SIGILL$/, upstream: /^SIGILL$/, x86: /^SIGSEGV$/, hardened: /^PMCCNTR_EL0 = 5$/ }],
    ['grants that carry EN (what-if userenr-en)', 'fault userenr-en on\nspawn b on 0\nswitch 0 101\nswitch 0 100',
      { v4: /^PMCCNTR_EL0 = 5$/, v5: /^PMCCNTR_EL0 = 5$/, upstream: /^PMCCNTR_EL0 = 5$/, x86: /^SIGSEGV$/, hardened: /^PMCCNTR_EL0 write ignored/ }],
  ];
  for (const [what, before, want] of cases) {
    it.each(all)(`${what}: %s`, (design) => {
      const { world } = play(`${before}\n${setup}`, { design, ...on });
      const cycles = world.cpus[0]!.cycleCounter.value;
      const out = last(world, 'msr 100 pmccntr 5');
      expect(out).toMatch(want[design]);
      // Only a write that took effect changes the register.
      expect(world.cpus[0]!.cycleCounter.value).toBe(out.endsWith('= 5') ? 5n : cycles);
      // Writing one's own counter is no finding; the task's own next read is then wrong.
      playLines(world, 'read 100 3');
      expect(codes(world)).toEqual(out.endsWith('= 5') ? ['read/wrong-count'] : []);
    });
  }

  it('the counter keeps within its width: a 32-bit event counter takes the low 32 bits, PMCCNTR all 64', () => {
    const { world } = play('fault userenr-en on\nspawn a on 0\nopen 100 instructions user\nmmap 100 3');
    expect(last(world, 'msr 100 pmevcntr1 0x123456789')).toBe('PMEVCNTR1_EL0 = 591751049');
    expect(last(world, 'msr 100 pmccntr 18446744073709551615')).toBe('PMCCNTR_EL0 = 18446744073709551615');
    const long = play('fault userenr-en on\nspawn a on 0\nopen 100 instructions user\nmmap 100 3', { longCounters: true }).world;
    expect(last(long, 'msr 100 pmevcntr1 0x123456789')).toBe('PMEVCNTR1_EL0 = 4886718345');
  });

  it('an AArch32 task (MCR) writes bits [31:0] and leaves the rest', () => {
    const { world } = play('fault userenr-en on\nspawn a aarch32 on 0\nopen 100 cycles user\nmmap 100 3');
    world.cpus[0]!.cycleCounter.value = 0x7_0000_0001n;
    expect(last(world, 'msr 100 pmccntr 0x1ffffffff')).toBe(`PMCCNTR_EL0 = ${0x7_ffff_ffffn}`);
  });

  it('a denied write is no broken promise (designs promise reads): no access/denied', () => {
    const { world } = play(`${setup}\nmsr 100 pmccntr 5`, { design: 'v4' });
    expect(codes(world)).toEqual([]);
    expect(ringEntries(world.log).some((e) => e.what === 'trap' && e.access === 'write' && e.signal === 'SIGILL')).toBe(true);
  });

  it('msr of a counter the PMU does not have is refused', () => {
    const { world } = play('spawn a on 0');
    expect(last(world, 'msr 100 pmevcntr6 1')).toBe('rejected: msr/no-such-counter');
  });
});

describe('write/counter: a task writes a counter another event is using', () => {
  // A system-wide tool counts instructions on CPU 0 (counter 0); task 100 has its own event.
  const script = 'fault userenr-en on\nopen cpu 0 instructions\nspawn a on 0\nopen 100 cycles user\nmmap 100 3\ntick\nmsr 100 pmevcntr0 7';
  const want: Record<DesignName, { out: string; codes: string[] }> = {
    v4: { out: 'PMEVCNTR0_EL0 = 7', codes: ['write/counter'] },
    v5: { out: 'PMEVCNTR0_EL0 = 7', codes: ['write/counter'] },
    upstream: { out: 'PMEVCNTR0_EL0 = 7', codes: ['write/counter'] },
    x86: { out: 'SIGSEGV', codes: [] },
    hardened: { out: 'SIGILL', codes: [] }, // PMUACR_EL1 opens only the task's own cycle counter
  };
  it.each(all)('%s', (design) => {
    const { world, played } = play(script, { design, ...on });
    const r = played.at(-1)!.result;
    expect(r.ok && r.lines.join(' ')).toBe(want[design].out);
    expect(codes(world)).toEqual(want[design].codes);
  });

  it('says what was written, where, and whose count it was, with the cause as data', () => {
    const { world } = play(script, { design: 'v4' });
    const f = ringEntries(world.findings).find((x) => x.code === 'write/counter')!;
    expect(f.text).toMatch(/^task 100 wrote 7 to PMEVCNTR0 on CPU 0, the live count of per-CPU event cpu:3 \(it held \d+\)$/);
    expect(f.cause).toMatchObject({ kind: 'write', pid: 100, counter: 'PMEVCNTR0', value: '7', owner: { pid: null, label: 'cpu:3' } });
    expect(world.cpus[0]!.counters[0]!.value).toBe(7n);
  });

  it('a write to a free counter corrupts nothing, and the writer owns the value it left', () => {
    const { world } = play('fault userenr-en on\nspawn a on 0\nopen 100 cycles user\nmmap 100 3\nmsr 100 pmevcntr3 9\nmrs 100 pmevcntr3');
    expect(codes(world)).toEqual([]);
    expect(world.cpus[0]!.counters[3]!.lastOwner).toEqual({ pid: 100, label: '100:msr' });
  });
});

describe('x86: a denied RDPMC raises #GP, delivered as SIGSEGV', () => {
  it.each(all)('%s: the read after access is withdrawn', (design) => {
    // x86: rdpmc 0 clears CR4.PCE everywhere but leaves the page's index; others: a
    // bystander whose own event is mapped elsewhere is simply denied at the hardware.
    const { world } = play('spawn a on 0\nopen 100 cycles user\nmmap 100 3\ntick', { design, ...on });
    if (design === 'x86') playLines(world, 'rdpmc 0');
    else world.cpus[0]!.pmuserenr = 0;
    const r = playLines(world, 'expect read 100 3 sigsegv\nexpect read 100 3 sigill');
    const passed = r.map((p) => p.result.ok && p.result.check?.passed);
    expect(passed).toEqual(design === 'x86' ? [true, false] : [false, true]);
  });

  it('the log says #GP and SIGSEGV; mrs traps the same way', () => {
    const { world } = play('spawn a on 0', { design: 'x86' });
    expect(last(world, 'mrs 100 pmccntr')).toBe('SIGSEGV');
    const trap = ringEntries(world.log).find((e) => e.what === 'trap')!;
    expect(trap).toMatchObject({ signal: 'SIGSEGV', ec: '#GP' });
  });

  it('x86 never chains: a 64-bit instructions event takes one counter and is readable', () => {
    const { world } = play('spawn a on 0\nopen 100 instructions 64bit\nmmap 100 3\nrun 5000\nread 100 3', { design: 'x86' });
    const ev = [...world.events.values()][0]!;
    expect(ev).toMatchObject({ chained: false, counter: 0, readable: true, page: { index: 1, pmcWidth: 48 } });
    expect(codes(world)).toEqual([]);
  });
});

describe("cap_user_rdpmc at a publish: v5 asks event->oncpu == smp_processor_id()", () => {
  const world = createWorld({ ...defaultConfig, ...on });
  const ev = { readable: true } as PerfEvent;
  const notReadable = { readable: false } as PerfEvent;
  // [where, oncpu, publishing CPU]
  const at: [string, Publish, Record<DesignName, boolean>][] = [
    ['active on the publishing CPU', { cpu: 1, oncpu: 1 }, { v4: true, v5: true, upstream: true, x86: true, hardened: true }],
    ['active on another CPU (a perf_mmap elsewhere)', { cpu: 0, oncpu: 1 }, { v4: true, v5: false, upstream: true, x86: true, hardened: true }],
    ['inactive (oncpu -1)', { cpu: 0, oncpu: null }, { v4: true, v5: false, upstream: true, x86: true, hardened: true }],
  ];
  for (const [where, publish, want] of at) {
    it.each(all)(`${where}: %s`, (design) => {
      expect(designs[design].capUserRdpmc(world, ev, publish)).toBe(want[design]);
      expect(designs[design].capUserRdpmc(world, notReadable, publish)).toBe(false);
    });
  }

  it('v5 publishes cap_user_rdpmc 1 at armpmu_add and armpmu_del (oncpu is still this CPU during del)', () => {
    const { world: w } = play('spawn a on 0\nspawn b on 0\nopen 100 cycles\nmmap 100 3\nswitch 0 101', { design: 'v5' });
    const e = [...w.events.values()][0]!;
    expect(e.page).toMatchObject({ index: 0, capUserRdpmc: true });
    playLines(w, 'switch 0 100');
    expect(e.page).toMatchObject({ index: 32, capUserRdpmc: true });
  });
});
