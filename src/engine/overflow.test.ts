import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { designNames, designs } from './designs/index.js';
import { stateFields, stateHash } from './hash.js';
import { logNote } from './log.js';
import { ringEntries, ringLast } from './ring.js';
import { overflowOptions, overflowStats } from './overflow.js';
import { ownerName } from './perf.js';
import { play, playLines } from './session.js';
import { engineStats } from './stats.js';
import { type Config, type World, createWorld, defaultConfig } from './world.js';

/** Play `text` with the closed form on or off (the loop: a handler call at every wrap). */
function playWith(closedForm: boolean, world: World, text: string, genuineWrapsMax = overflowOptions.genuineWrapsMax): { results: string; irqs: number } {
  const saved = { ...overflowOptions };
  overflowOptions.closedForm = closedForm;
  overflowOptions.genuineWrapsMax = genuineWrapsMax;
  const before = engineStats.pmuInterrupts;
  try {
    const played = playLines(world, text);
    return { results: JSON.stringify(played, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)), irqs: engineStats.pmuInterrupts - before };
  } finally {
    Object.assign(overflowOptions, saved);
  }
}

/** Everything the two worlds must agree on: state, the log ring and its total, findings. */
function expectSame(closed: World, loop: World, what: string): void {
  if (stateHash(closed) !== stateHash(loop)) expect(stateFields(closed), what).toEqual(stateFields(loop));
  expect(closed.log.total, what).toBe(loop.log.total);
  expect(ringEntries(closed.log), what).toEqual(ringEntries(loop.log));
  expect(closed.findings.total, what).toBe(loop.findings.total);
  expect(ringEntries(closed.findings), what).toEqual(ringEntries(loop.findings));
}

/**
 * A counter that has counted for a long time: every counting counter is set `gap` events
 * short of its wrap, the same in both worlds. A chained pair is set as one 64-bit counter or,
 * with `lowOnly`, only its low half, so the low half wraps with the other counters that count
 * the same events, while the pair does not. This is how a test reaches the wrap of a 64-bit
 * event, 2^63 events away, with the loop feasible.
 */
function nearWrap(world: World, gap: bigint, lowOnly: boolean): void {
  for (const cpu of world.cpus) {
    for (const c of [cpu.cycleCounter, ...cpu.counters]) {
      if (!c.enabled || c.counts === null || c.counts === 'chain') continue;
      const high = cpu.counters[c.id + 1];
      if (c.id % 2 === 0 && high?.counts === 'chain') {
        const value = (1n << 64n) - gap;
        c.value = lowOnly ? (1n << 32n) - (gap < 1n << 32n ? gap : 1n) : value & 0xffff_ffffn;
        if (!lowOnly) high.value = value >> 32n;
      } else {
        const top = 1n << BigInt(c.width);
        c.value = top - (gap < top ? gap : 1n);
      }
    }
  }
}

type Step = { kind: 'line'; text: string } | { kind: 'near'; gap: bigint; lowOnly: boolean };

interface Scenario {
  config: Config;
  steps: Step[];
  /** 0: every span with an interrupt checks the handler and goes on in closed form. */
  genuineWrapsMax: bigint;
}

const eventWords = fc.tuple(fc.constantFrom('cycles', 'instructions'), fc.boolean(), fc.boolean()).map(([e, user, is64]) => `${e}${user ? ' user' : ''}${is64 ? ' 64bit' : ''}`);

/** A small world and a session that keeps the counters near their wraps. */
const scenarioArb: fc.Arbitrary<Scenario> = fc
  .record({
    design: fc.constantFrom(...designNames),
    seed: fc.integer({ min: 1, max: 100_000 }),
    cpus: fc.integer({ min: 1, max: 3 }),
    counters: fc.integer({ min: 2, max: 5 }),
    longCounters: fc.boolean(),
    perfUserAccess: fc.constantFrom(0 as const, 1 as const),
    // Small ticks make long stretches of quiescent ticks; large ones wrap within a tick.
    cyclesPerTick: fc.oneof(fc.bigInt({ min: 1n << 19n, max: 1n << 22n }), fc.bigInt({ min: 1n << 27n, max: 1n << 31n })),
    sliceTicks: fc.integer({ min: 1, max: 6 }),
    genuineWrapsMax: fc.constantFrom(0n, 16n),
    tasks: fc.array(fc.tuple(fc.boolean(), fc.option(fc.integer({ min: 0, max: 2 }))), { minLength: 1, maxLength: 4 }),
    opens: fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), eventWords), { minLength: 1, maxLength: 6 }),
    cpuEvents: fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), eventWords), { maxLength: 2 }),
    actions: fc.array(
      fc.oneof(
        { weight: 6, arbitrary: fc.tuple(fc.constant('run' as const), fc.bigInt({ min: 1n << 30n, max: 1n << 36n })) },
        { weight: 6, arbitrary: fc.tuple(fc.constant('tick' as const), fc.integer({ min: 1, max: 3000 })) },
        { weight: 3, arbitrary: fc.tuple(fc.constant('near' as const), fc.bigInt({ min: 1n, max: 1n << 33n }), fc.boolean()) },
        { weight: 3, arbitrary: fc.tuple(fc.constantFrom('read' as const, 'mmap' as const, 'munmap' as const, 'close' as const), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 3, max: 6 })) },
        { weight: 2, arbitrary: fc.tuple(fc.constant('open' as const), fc.integer({ min: 0, max: 3 }), eventWords) },
        { weight: 2, arbitrary: fc.tuple(fc.constantFrom('migrate' as const, 'switch' as const), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 2 })) },
        fc.tuple(fc.constantFrom('sleep' as const, 'wake' as const, 'exec64' as const), fc.integer({ min: 0, max: 3 })),
        { weight: 2, arbitrary: fc.tuple(fc.constant('sysctl' as const), fc.constantFrom(0, 1)) },
        fc.tuple(fc.constant('fault' as const), fc.boolean()),
        fc.tuple(fc.constant('ipi' as const), fc.boolean()),
      ),
      { minLength: 3, maxLength: 10 },
    ),
  })
  .map((r): Scenario => {
    const config: Config = { ...defaultConfig, design: r.design, seed: r.seed, cpus: r.cpus, counters: r.counters, longCounters: r.longCounters, perfUserAccess: r.perfUserAccess, cyclesPerTick: r.cyclesPerTick, sliceTicks: r.sliceTicks };
    const cpu = (n: number) => n % r.cpus;
    const pid = (n: number) => 100 + (n % r.tasks.length);
    const lines: string[] = [];
    r.tasks.forEach(([thread, on], i) => {
      const where = on === null ? '' : ` on ${cpu(on)}`;
      lines.push(thread && i > 0 ? `thread ${100 + i - 1}${where}` : `spawn t${i}${where}`);
    });
    for (const [t, words] of r.opens) lines.push(`open ${pid(t)} ${words}`);
    for (const [c, words] of r.cpuEvents) lines.push(`open cpu ${cpu(c)} ${words}`);
    const steps: Step[] = lines.map((text) => ({ kind: 'line', text }));
    // At most ~2^34 cycles a command, so the loop stays a few hundred handler calls.
    const ticksMax = Math.max(1, Math.min(3000, Number((1n << 34n) / r.cyclesPerTick)));
    for (const a of r.actions) {
      if (a[0] === 'near') {
        steps.push({ kind: 'near', gap: a[1], lowOnly: a[2] });
        continue;
      }
      const line = ((): string => {
        switch (a[0]) {
          case 'run': return `run ${a[1]}`;
          case 'tick': return `tick ${1 + ((a[1] - 1) % ticksMax)}`;
          case 'open': return `open ${pid(a[1])} ${a[2]}`;
          case 'migrate': return `migrate ${pid(a[1])} ${cpu(a[2])}`;
          case 'switch': return `switch ${cpu(a[2])} ${pid(a[1])}`;
          case 'sleep': case 'wake': case 'exec64': return `${a[0]} ${pid(a[1])}`;
          case 'sysctl': return `sysctl perf_user_access ${a[1]}`;
          case 'fault': return `fault preempt-in-read ${a[1] ? 'on' : 'off'}`;
          case 'ipi': return `ipi ${a[1] ? 'manual' : 'auto'}`;
          default: return `${a[0]} ${pid(a[1])} ${a[2]}`;
        }
      })();
      steps.push({ kind: 'line', text: line });
    }
    return { config, steps, genuineWrapsMax: r.genuineWrapsMax };
  });

/** Chained events named by the overflow lines a command added. */
function chainedOverflows(world: World, lines: number): number {
  const chained = new Set([...world.events.values()].filter((e) => e.chained).map((e) => ownerName(e)));
  return ringLast(world.log, lines).filter((e) => e.kind === 'overflow' && chained.has(e.what === 'overflow' ? e.event : '')).length;
}

describe('overflows in closed form', () => {
  it('leave exactly the world the per-overflow loop leaves', () => {
    const met = { wraps: 0, closedWraps: 0, batchedTicks: 0, chainedWraps: 0, lowFlags: 0, designs: new Set<string>(), long: 0 };
    const stats0 = { ...overflowStats };
    fc.assert(
      fc.property(scenarioArb, ({ config, steps, genuineWrapsMax }) => {
        const closed = createWorld(config);
        const loop = createWorld(config);
        for (const step of steps) {
          if (step.kind === 'near') {
            nearWrap(closed, step.gap, step.lowOnly);
            nearWrap(loop, step.gap, step.lowOnly);
            continue;
          }
          const logBefore = closed.log.total;
          const a = playWith(true, closed, step.text, genuineWrapsMax);
          const b = playWith(false, loop, step.text);
          expect(a.results, step.text).toBe(b.results);
          expectSame(closed, loop, step.text);
          expect(a.irqs, `${step.text}: PMU interrupts`).toBe(b.irqs);
          met.wraps += ringLast(closed.log, closed.log.total - logBefore).filter((e) => e.kind === 'overflow').length;
          met.chainedWraps += chainedOverflows(closed, closed.log.total - logBefore);
          for (const cpu of closed.cpus) for (const c of cpu.counters) if (c.overflow && c.counts !== null && c.counts !== 'chain') met.lowFlags++;
        }
        met.designs.add(config.design);
        if (config.longCounters) met.long++;
      }),
      { numRuns: 120, seed: 20260401 },
    );
    met.closedWraps = overflowStats.closedWraps - stats0.closedWraps;
    met.batchedTicks = overflowStats.batchedTicks - stats0.batchedTicks;
    // The sessions must have met the hard cases, or the comparison proves little.
    expect(met.designs.size).toBe(designNames.length);
    expect(met.long).toBeGreaterThan(20);
    expect(met.wraps).toBeGreaterThan(3000);
    expect(met.closedWraps).toBeGreaterThan(2000);
    expect(met.batchedTicks).toBeGreaterThan(10_000);
    expect(met.chainedWraps).toBeGreaterThan(0);
    expect(met.lowFlags).toBeGreaterThan(0);
  }, 120_000);

  /** Play `setup` in two worlds, then `text` in one with the closed form and one with the loop. */
  function compare(config: Partial<Config>, setup: string, text: string, genuineWrapsMax = overflowOptions.genuineWrapsMax, poke?: (w: World) => void): World {
    const closed = createWorld({ ...defaultConfig, ...config });
    const loop = createWorld({ ...defaultConfig, ...config });
    for (const line of setup.trim().split('\n')) {
      const a = playWith(true, closed, line);
      expect(a.results).toBe(playWith(false, loop, line).results);
    }
    poke?.(closed);
    poke?.(loop);
    const a = playWith(true, closed, text, genuineWrapsMax);
    const b = playWith(false, loop, text);
    expect(a.results).toBe(b.results);
    expectSame(closed, loop, text);
    expect(a.irqs).toBe(b.irqs);
    return closed;
  }

  // upstream decides access only in start(): after the sysctl, the first interrupt on each CPU
  // grants it. hardened re-decides on every CPU by IPI at the sysctl; held back (ipi manual),
  // the first interrupt's armpmu_enable decides first.
  it.each([
    ['upstream', ''],
    ['hardened', 'ipi manual\n'],
  ] as const)('%s: the first interrupt after the sysctl grants access; the rest are closed form', (design, ipis) => {
    const setup = `spawn a on 0\nspawn b on 1\nopen 100 cycles user\nopen 101 instructions user\nmmap 100 3\n${ipis}sysctl perf_user_access 1`;
    for (const [text, config] of [['run 68719476736', {}], ['tick 20000', { cyclesPerTick: 1n << 22n }]] as const) {
      const changed = overflowStats.enableChanged;
      const closedBefore = overflowStats.closedWraps;
      const world = compare({ design, cpus: 2, ...config }, setup, text, 0n);
      expect(world.cpus.map((c) => c.pmuserenr !== 0)).toEqual([true, true]);
      expect(overflowStats.enableChanged - changed).toBe(2); // once on each CPU
      expect(overflowStats.closedWraps - closedBefore).toBeGreaterThan(20);
    }
  });

  it('a design whose armpmu_enable changes something every time gets the real handler every time', () => {
    // A what-if design: x86 with a reconsider() that logs a line and moves PMSELR each call.
    const x86 = designs.x86;
    const saved = x86.reconsider;
    x86.reconsider = (world, cpu) => {
      cpu.pmselr = (cpu.pmselr + 1) & 0x1f;
      logNote(world, cpu.id, 'hook', `reconsider ${cpu.pmselr}`);
    };
    try {
      const closedBefore = overflowStats.closedWraps;
      const setup = 'spawn a on 0\nspawn b on 1\nopen 100 cycles\nopen 101 instructions';
      compare({ design: 'x86', cpus: 2 }, setup, 'run 68719476736', 0n);
      compare({ design: 'x86', cpus: 2, cyclesPerTick: 1n << 22n }, setup, 'tick 20000', 0n);
      expect(overflowStats.closedWraps - closedBefore).toBe(0);
    } finally {
      x86.reconsider = saved;
    }
  });

  // The cycle counter, a chained pair on counters 0 and 1 and counter 2 all count cycles (no
  // overshoot). Counter 2 wraps after 10 cycles (a real interrupt, seen to change nothing, so
  // the rest is closed form) and again 2^31 - 1 cycles later; the low half wraps `low` cycles
  // after that second wrap (0: in the same cycle).
  describe("a chained pair's low half: its flag stays until an interrupt clears every flag", () => {
    const setup = 'spawn a on 0\nopen 100 cycles\nopen 100 cycles 64bit\nopen 100 cycles';
    const second = 10n + (1n << 31n) - 1n;
    const poke = (low: bigint) => (w: World) => {
      const [c0, , c2] = w.cpus[0]!.counters;
      c2!.value = (1n << 32n) - 10n;
      c0!.value = (1n << 32n) - (second + low);
    };
    it.each([
      ['in the same cycle as an interrupt: cleared', 0n, false],
      ['after the last interrupt: set', 50n, true],
      ['before the last interrupt: cleared', -5n, false],
    ] as const)('%s', (_what, low, flag) => {
      const world = compare({ counters: 4 }, setup, `run ${second + 100n}`, 0n, poke(low));
      expect(world.cpus[0]!.counters[1]!.counts).toBe('chain');
      expect(world.cpus[0]!.counters[0]!.overflow).toBe(flag);
    });
    it('set in a real tick after its interrupt, cleared by an interrupt in the stretch after', () => {
      // Ticks of 2^20 cycles: counter 2 and then the low half wrap in tick 3, which runs as a
      // real tick (the CPU's first interrupt); the stretch after it has interrupts (from tick
      // 2048) and no wrap of the low half.
      const pokeTicks = (w: World) => {
        const [c0, , c2] = w.cpus[0]!.counters;
        c2!.value = (1n << 32n) - ((1n << 21n) + 10n);
        c0!.value = (1n << 32n) - ((1n << 21n) + (1n << 19n));
      };
      const batched = overflowStats.batchedTicks;
      const world = compare({ counters: 4, cyclesPerTick: 1n << 20n }, setup, 'tick 3000', undefined, pokeTicks);
      expect(overflowStats.batchedTicks - batched).toBeGreaterThan(2900);
      expect(ringEntries(world.log).filter((e) => e.kind === 'overflow').map((e) => e.step - world.step + 3000)).toEqual([3, 2048, 2051]);
      expect(world.cpus[0]!.counters[0]!.overflow).toBe(false);
    });
  });

  it('keeps the newest log lines in order when one command overflows more often than the log keeps', () => {
    const setup = 'spawn a on 0\nspawn b on 1\nspawn c on 2\nopen 100 cycles\nopen 100 instructions\nopen 101 instructions\nopen 102 cycles 64bit\nopen 102 instructions\nopen cpu 1 cycles';
    for (const text of ['tick 1000', 'run 2199023255552']) {
      const batched = overflowStats.batchedTicks;
      const world = compare({ cpus: 3, cyclesPerTick: 1n << 31n }, setup, text);
      expect(world.log.total).toBeGreaterThan(world.log.capacity + 1000);
      const lines = ringEntries(world.log).filter((e) => e.kind === 'overflow');
      expect(lines.length).toBe(world.log.capacity);
      expect(new Set(lines.map((e) => e.cpu)).size).toBeGreaterThan(1);
      if (text.startsWith('tick')) {
        expect(overflowStats.batchedTicks - batched).toBeGreaterThan(900);
        expect(new Set(lines.map((e) => e.step)).size).toBeGreaterThan(10);
      }
    }
  });

  it('tick N leaves the world of N single ticks', () => {
    const setup = 'spawn a on 0\nspawn b on 1\nopen 100 cycles\nopen 100 instructions 64bit\nopen 101 instructions\nopen cpu 1 cycles';
    const config = { ...defaultConfig, cpus: 3, cyclesPerTick: (1n << 32n) + 12345n, sliceTicks: 3 };
    const batched = createWorld(config);
    const single = createWorld(config);
    playLines(batched, setup);
    playLines(single, setup);
    const before = overflowStats.batchedTicks;
    playWith(true, batched, 'tick 400', 0n);
    expect(overflowStats.batchedTicks - before).toBeGreaterThan(300);
    playWith(true, single, Array<string>(400).fill('tick').join('\n'), 0n);
    // Single ticks are 400 commands, each a step; tick 400 is 400 steps too.
    expectSame(batched, single, 'tick 400');
  });
});

describe('spans no loop could finish', () => {
  // Eight CPUs, a task on each counting cycles and instructions on 32-bit counters: about
  // 10^11 overflows for run 2^64-1, and as many for 50,000 ticks at 2^48 cycles a tick (as 200
  // lines of tick 250: the most one command may ask for is under 300 there).
  const setup = Array.from({ length: 8 }, (_, i) => `spawn t${i} on ${i}\nopen ${100 + i} cycles\nopen ${100 + i} instructions`).join('\n');

  /** read() folds the counter in: the count must be what the hardware counted. */
  function expectCountsTrue(world: World): void {
    for (const task of world.tasks.values()) {
      for (const { fd, event: id } of task.fds) {
        const ev = world.events.get(id)!;
        const played = playLines(world, `read ${task.pid} ${fd}`);
        const r = played[0]!.result;
        expect(r.ok && r.lines[0]).toBe(`fallback read() = ${ev.trueCount & ((1n << 64n) - 1n)} (user page not mapped)`);
        const q = ev.type === 'cycles' ? 4n : BigInt(task.ipcQuarters);
        expect(ev.trueCount).toBe((task.cyclesRun * q) / 4n);
      }
    }
  }

  it('run 2^64-1', () => {
    const { world } = play(setup, { cpus: 8 });
    const total = world.log.total;
    playLines(world, 'run 18446744073709551615');
    expect(world.log.total - total).toBeGreaterThan(8 * 2 ** 33);
    expect(ringEntries(world.log).at(-1)).toMatchObject({ step: world.step, cpu: 7, kind: 'overflow' });
    expectCountsTrue(world);
  });

  it('50,000 ticks at 2^48 cycles a tick, and the same cycles in one run', () => {
    const config = { cpus: 8, cyclesPerTick: 1n << 48n };
    const ticked = play(setup, config).world;
    const ran = play(setup, config).world;
    const step = ticked.step;
    playLines(ticked, 'tick 250\n'.repeat(4).trim());
    playLines(ran, `run ${1000n << 48n}`);
    // The counters, counts and pages do not care how the cycles were cut.
    const counting = (w: World) => Object.entries(stateFields(w)).filter(([k]) => /^(event|task|cpu\d+\.ctr)/.test(k));
    expect(counting(ticked)).toEqual(counting(ran));
    expect(ticked.log.total).toBe(ran.log.total); // quiescent ticks log nothing but overflows
    playLines(ticked, 'tick 250\n'.repeat(200).trim());
    expect([ticked.step - step, ticked.tick]).toEqual([51_000, 51_000]);
    expect(ringEntries(ticked.log).at(-1)).toMatchObject({ step: ticked.step, cpu: 7, kind: 'overflow' });
    expectCountsTrue(ticked);
  });
});

