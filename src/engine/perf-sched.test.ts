import { describe, expect, it } from 'vitest';
import { play, playLines } from './session.js';
import { cycleCounterId } from './pmu.js';
import { allDesigns, last, on } from './testing.js';
import type { World } from './world.js';

// perf-sched.ts: can_add_hw, rotate_necessary, the mux timer, perf_rotate_context, ctx_resched.

/** Where each event is: `id:PMCCNTR`, `id:3`, or `id:off`, in event order. */
function placed(world: World): string[] {
  return [...world.events.values()].map((ev) => `${ev.id}:${ev.counter === null ? 'off' : ev.counter === cycleCounterId ? 'PMCCNTR' : ev.counter}`);
}

const failedAdd = 'spawn app on 0\nopen 100 cycles\nopen 100 cycles user 64bit\nmmap 100 4';

describe('an event left off by -EAGAIN (upstream)', () => {
  it('stays off until the next tick, when the rotation puts it on first: the cycle counter, index 32, the fast path', () => {
    const { world } = play(failedAdd, { design: 'upstream', ...on });
    expect(placed(world)).toEqual(['1:PMCCNTR', '2:off']);
    expect(world.tasks.get(100)!.rotate).toBe(true);
    expect(world.cpus[0]!.muxTimer).toBe(true);
    expect(world.events.get(2)!.page.index).toBe(0);
    expect(last(world, 'read 100 4')).toMatch(/^fallback read\(\)/);
    playLines(world, 'tick');
    // Event 1 went to the back; 2 went on first and took the cycle counter, 1 a counter of its own.
    expect(world.tasks.get(100)!.perfContext).toEqual([2, 1]);
    expect(placed(world)).toEqual(['1:0', '2:PMCCNTR']);
    expect(world.events.get(2)!.page.index).toBe(32);
    expect(last(world, 'read 100 4')).toMatch(/^\d+$/);
    // Everything is on: the timer fires once more, finds nothing to rotate, and stops.
    expect(world.cpus[0]!.muxTimer).toBe(true);
    playLines(world, 'tick');
    expect(world.cpus[0]!.muxTimer).toBe(false);
    expect(world.tasks.get(100)!.perfContext).toEqual([2, 1]);
  });

  it('keeps every group after it off too (can_add_hw = 0), though a counter is free', () => {
    const { world, played } = play(`${failedAdd}\nopen 100 instructions`, { design: 'upstream', ...on });
    expect(played.at(-1)!.result).toMatchObject({ ok: true, lines: ['fd 5 (not counting yet: no counter for it on CPU 0)'] });
    expect(placed(world)).toEqual(['1:PMCCNTR', '2:off', '3:off']);
    playLines(world, 'tick');
    expect(placed(world)).toEqual(['1:1', '2:PMCCNTR', '3:0']);
  });
});

describe('more events than counters', () => {
  // Two event counters, three instructions events: each tick the first one on goes to the back.
  const script = 'spawn app on 0\nopen 100 instructions\nopen 100 instructions\nopen 100 instructions';
  it.each(allDesigns)('%s: rotate one a tick, for as long as one is left off', (design) => {
    const { world } = play(script, { design, ...on, counters: 2 });
    expect(placed(world)).toEqual(['1:0', '2:1', '3:off']);
    playLines(world, 'tick');
    expect(placed(world)).toEqual(['1:off', '2:0', '3:1']);
    playLines(world, 'tick');
    expect(placed(world)).toEqual(['1:1', '2:off', '3:0']);
    // tick 3 is three single ticks: a whole turn, back to the same places, the timer still armed.
    playLines(world, 'tick 3');
    expect(placed(world)).toEqual(['1:1', '2:off', '3:0']);
    expect(world.cpus[0]!.muxTimer).toBe(true);
    // One closed: the rest fit; the next rotation finds them all on, the one after stops the timer.
    playLines(world, 'close 100 5\ntick\ntick');
    expect(world.cpus[0]!.muxTimer).toBe(false);
    expect(placed(world).filter((p) => p.endsWith(':off'))).toEqual([]);
  });

  it('leaves a task that is switched out unmarked, and marks it again when it comes back', () => {
    const { world } = play(`${script}\nspawn other on 0\nswitch 0 101`, { design: 'upstream', ...on, counters: 2 });
    expect(world.tasks.get(100)!.rotate).toBe(false);
    expect(placed(world)).toEqual(['1:off', '2:off', '3:off']);
    playLines(world, 'switch 0 100');
    expect(world.tasks.get(100)!.rotate).toBe(true);
    expect(placed(world)).toEqual(['1:0', '2:1', '3:off']);
  });
});

describe('installing a per-CPU event (ctx_resched with EVENT_CPU)', () => {
  it('puts the CPU\'s groups on before the running task\'s', () => {
    const { world } = play('spawn app on 0\nopen 100 instructions\nopen cpu 0 instructions', { design: 'upstream', ...on });
    // The task's event had counter 0; the resched gives the per-CPU event counter 0 and the task's 1.
    expect(placed(world)).toEqual(['1:1', '2:0']);
  });
});
