import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stateHash } from './hash.js';
import { assertInvariants } from './invariants.js';
import { parseScript } from './script.js';
import { recordCommands } from './session.js';
import { Timeline } from './timeline.js';
import { generateWorkload } from './workload.js';
import { defaultConfig } from './world.js';

const config = { ...defaultConfig, cpus: 3, counters: 4 };

describe('the timeline', () => {
  it('back N then the same N commands forward returns to the same hash', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 1, max: 120 }), fc.constantFrom(7, 50, 0), (seed, n, every) => {
        const commands = generateWorkload({ seed, commands: 300, tasks: 6, config });
        const t = new Timeline(config, every, 3);
        const accepted = commands.filter((c) => t.apply(c).ok && !['check', 'say', 'pause', 'expect-no-finding', 'expect-finding', 'expect-reg', 'checkpoint'].includes(c.kind));
        const end = stateHash(t.world);
        const back = Math.min(n, t.position);
        expect(t.apply({ kind: 'back', n: back }).ok).toBe(true);
        expect(t.position).toBe(accepted.length - back);
        assertInvariants(t.world, () => `after back ${back}`);
        for (const c of accepted.slice(accepted.length - back)) t.apply(c);
        expect(stateHash(t.world)).toBe(end);
      }),
      { numRuns: 40, seed: 20261125 },
    );
  }, 60_000);

  it('stops at the start of the session and says so', () => {
    const t = new Timeline(config);
    expect(t.apply({ kind: 'back', n: 1 })).toMatchObject({ ok: false, rejection: { code: 'back/at-start' } });
    t.apply({ kind: 'spawn', name: 'a', aarch32: false, cpu: null });
    const r = t.apply({ kind: 'back', n: 5 });
    expect(r).toMatchObject({ ok: true, lines: ['back 1 step to step 0 (the start of the session); a new command starts a new branch'] });
    expect(t.world.tasks.size).toBe(0);
  });

  it('holds a bounded number of snapshots', () => {
    const t = new Timeline(config, 10, 4);
    for (let i = 0; i < 200; i++) t.apply({ kind: 'tick', n: 1 });
    expect(t.snapshotCount).toBe(5);
    t.apply({ kind: 'back', n: 150 }); // older than the oldest kept: replays from the start
    expect(t.world.tick).toBe(50);
  });
});

describe('recordings', () => {
  it('replay with every checkpoint matching, for many seeds', () => {
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const c = { ...config, seed };
      const text = recordCommands(c, generateWorkload({ seed, commands: 250, tasks: 6, config: c }), 20);
      const parsed = parseScript(text);
      if (!parsed.ok) throw new Error(parsed.errors[0]!.message);
      const t = new Timeline({ ...c, ...parsed.script.header });
      let checkpoints = 0;
      for (const line of parsed.script.lines) {
        const r = t.apply(line.command);
        expect(r.ok).toBe(true);
        if (r.ok && r.check) {
          checkpoints++;
          expect(r.check.passed, r.check.text).toBe(true);
        }
      }
      expect(checkpoints).toBeGreaterThan(5);
    }
  });

  it('name the part that differs when a checkpoint does not match', () => {
    const text = recordCommands(config, generateWorkload({ seed: 9, commands: 60, tasks: 4, config }), 1000);
    const lines = text.trimEnd().split('\n');
    // Tamper with the recorded hash of CPU 1's counters only.
    lines[lines.length - 1] = lines.at(-1)!.replace(/cpu1\.counters=[0-9a-f]{8}/, 'cpu1.counters=00000000').replace(/^checkpoint [0-9a-f]{16}/, 'checkpoint 0000000000000000');
    const parsed = parseScript(lines.join('\n'));
    if (!parsed.ok) throw new Error('parse');
    const t = new Timeline(config);
    const last = parsed.script.lines.map((l) => t.apply(l.command)).at(-1)!;
    expect(last.ok && last.check?.passed).toBe(false);
    expect(last.ok && last.check?.text).toMatch(/differs in CPU 1's counters \(values, owners, overflow flags\)$/);
  });
});

describe('a long session', () => {
  it('keeps a run of ticks as one entry and steps back anywhere in it', () => {
    const t = new Timeline(config, 16, 4);
    t.apply({ kind: 'spawn', name: 'a', aarch32: false, cpu: 0 });
    for (let i = 0; i < 1000; i++) t.apply({ kind: 'tick', n: 1 });
    expect(t.position).toBe(1001);
    expect(t.history()).toEqual([{ kind: 'spawn', name: 'a', aarch32: false, cpu: 0 }, { kind: 'tick', n: 1000 }]);
    expect(t.snapshotCount).toBeLessThanOrEqual(5);
    const twin = new Timeline(config);
    twin.apply({ kind: 'spawn', name: 'a', aarch32: false, cpu: 0 });
    for (let i = 0; i < 337; i++) twin.apply({ kind: 'tick', n: 1 });
    t.apply({ kind: 'back', n: 663 });
    expect(t.position).toBe(338);
    expect(stateHash(t.world)).toBe(stateHash(twin.world));
    t.apply({ kind: 'tick', n: 1 });
    twin.apply({ kind: 'tick', n: 1 });
    expect(stateHash(t.world)).toBe(stateHash(twin.world));
  });
});

describe('back N counts steps', () => {
  const spawn = { kind: 'spawn', name: 'a', aarch32: false, cpu: 0 } as const;

  it('a tick N is N steps: back 1 after tick 3 is tick 2, and the position is the world\'s step', () => {
    const t = new Timeline(config);
    t.apply(spawn);
    t.apply({ kind: 'tick', n: 3 });
    expect([t.position, t.world.step]).toEqual([4, 4]);
    const twin = new Timeline(config);
    twin.apply(spawn);
    twin.apply({ kind: 'tick', n: 2 });
    expect(t.apply({ kind: 'back', n: 1 })).toMatchObject({ ok: true, lines: ['back 1 step to step 3; a new command starts a new branch'] });
    expect(stateHash(t.world)).toBe(stateHash(twin.world));
    expect(t.history()).toEqual(twin.history());
  });

  it('history writes a long tick run as lines a file may hold', () => {
    const t = new Timeline({ ...config, cpus: 4 });
    for (let i = 0; i < 3; i++) t.apply({ kind: 'tick', n: 100_000 });
    t.apply({ kind: 'tick', n: 7 });
    expect(t.history()).toEqual([{ kind: 'tick', n: 100_000 }, { kind: 'tick', n: 100_000 }, { kind: 'tick', n: 100_000 }, { kind: 'tick', n: 7 }]);
  });

  it('takes a snapshot when a long tick crosses a boundary, so back 1 after it stays short', () => {
    const t = new Timeline(config, 16, 64);
    t.apply(spawn);
    t.apply({ kind: 'tick', n: 1000 });
    expect(t.snapshotCount).toBe(2);
  });

  it('a back done in pieces, cut anywhere, lands where one back lands, and nothing changes until it ends', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1000 }), fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 6 }), fc.integer({ min: 1, max: 1500 }), fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 50 }), (seed, ticks, n, clockSteps) => {
        const c = { ...config, seed };
        const setup = generateWorkload({ seed, commands: 40, tasks: 4, config: c });
        const build = () => {
          const t = new Timeline(c, 64, 2);
          for (const cmd of setup) t.apply(cmd);
          for (const k of ticks) t.apply({ kind: 'tick', n: k });
          return t;
        };
        const whole = build();
        const pieces = build();
        const before = stateHash(pieces.world);
        expect(whole.apply({ kind: 'back', n }).ok).toBe(true);
        const work = pieces.backWork(n);
        if ('rejection' in work) throw new Error(work.rejection.message);
        // A clock that moves by the given amounts: pieces end at arbitrary points.
        let now = 0;
        let k = 0;
        const clock = () => (now += clockSteps[k++ % clockSteps.length]!);
        while (!work.runUntil(clock, now + 3)) expect(stateHash(pieces.world)).toBe(before);
        expect(work.done).toBe(work.total);
        expect(pieces.position).toBe(whole.position);
        expect(stateHash(pieces.world)).toBe(stateHash(whole.world));
        assertInvariants(pieces.world, () => `after back ${n}`);
      }),
      { numRuns: 40, seed: 20261126 },
    );
  }, 60_000);
});
