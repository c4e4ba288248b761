import { describe, expect, it } from 'vitest';
import type { Command } from '../engine/command.js';
import { parseCommand } from '../engine/parse.js';
import { type Config, defaultConfig } from '../engine/world.js';
import { cpuPidBase, machinePid } from './build.js';
import { tickByTickMax, traceOf } from './play.js';
import { checkTrace } from './check.js';
import { type TraceEvent, traceJson } from './trace-event.js';

function commands(text: string): Command[] {
  return text.trim().split('\n').map((line) => {
    const r = parseCommand(line);
    if (!r.ok || !r.command) throw new Error(`${line}: does not parse`);
    return r.command;
  });
}

/** The trace of `text`, checked against the format's rules before anything else is asked of it. */
function traced(text: string, config: Partial<Config> = {}): TraceEvent[] {
  const file = traceOf({ ...defaultConfig, ...config }, commands(text));
  expect(checkTrace(traceJson(file))).toEqual([]);
  return file.traceEvents;
}

const cpu = (n: number) => cpuPidBase + n;
/** The slices on a track that contain time `ts` (complete ones). */
const around = (events: TraceEvent[], pid: number, ts: number) => events.filter((e) => e.pid === pid && e.ph === 'X' && e.ts <= ts && ts <= e.ts + e.dur!).map((e) => e.name);
const samples = (events: TraceEvent[], pid: number, name: string) => events.filter((e) => e.ph === 'C' && e.pid === pid && e.name === name).map((e) => [e.ts, e.args!['value']]);

const otherMm = `
spawn reader on 0
spawn victim on 1
open 100 cycles user
mmap 100 3
say "the victim can read now"
mrs 101 pmccntr
expect finding access/other-mm
`;

describe('a session as a timeline', () => {
  it('v4 other-mm: the 0->1 IPI as an arrow from the mmap on CPU 0 to the handler on CPU 1, and the leak there, explained', () => {
    const events = traced(otherMm);
    const flows = events.filter((e) => e.ph === 's' || e.ph === 'f');
    const toCpu1 = flows.find((e) => e.ph === 'f' && e.pid === cpu(1))!;
    const start = flows.find((e) => e.ph === 's' && e.id === toCpu1.id)!;
    expect(start.pid).toBe(cpu(0));
    // The arrow leaves the send, inside the mmap's own work, and lands in the handler.
    expect(around(events, cpu(0), start.ts)).toEqual(['syscall: mmap 100 3', 'on_each_cpu(refresh_pmuserenr, mm 1)']);
    expect(around(events, cpu(1), toCpu1.ts)).toEqual(['IPI refresh_pmuserenr(mm 1)']);
    // The design's hook, inside the syscall.
    const hook = events.find((e) => e.name === 'armv8pmu_event_mapped: pmu_direct_access 0 -> 1')!;
    expect(around(events, cpu(0), hook.ts)).toContain('syscall: mmap 100 3');
    // The register write the IPI made, inside its handler, and the register's track after it.
    const write = events.find((e) => e.pid === cpu(1) && e.name === 'PMUSERENR_EL0 = CR|ER')!;
    expect(around(events, cpu(1), write.ts)).toEqual(['IPI refresh_pmuserenr(mm 1)', 'PMUSERENR_EL0 = CR|ER']);
    expect(samples(events, cpu(1), 'PMUSERENR_EL0').map(([, v]) => v)).toEqual([0, 12]);
    // The finding, on CPU 1, with the chain explain gives.
    const finding = events.find((e) => e.ph === 'i' && e.name === 'access/other-mm')!;
    expect(finding.pid).toBe(cpu(1));
    expect(finding.args!['text']).toMatch(/^task 101 \(victim, mm 2\) runs at EL0 with CR\|ER on CPU 1/);
    expect(finding.args!['explanation']).toEqual(expect.arrayContaining(['finding 1: access/other-mm', expect.stringMatching(/^rule: /), expect.stringMatching(/^fix: /)]));
    // The victim's slice on CPU 1, its read an instant in it; narration and the expect on the machine's track.
    const victim = events.find((e) => e.ph === 'B' && e.pid === cpu(1))!;
    expect(victim).toMatchObject({ name: '101 victim', args: { pid: 101, mm: 2 } });
    const read = events.find((e) => e.ph === 'i' && e.name === 'read PMCCNTR_EL0 = 0')!;
    expect([read.pid, read.ts > victim.ts]).toEqual([cpu(1), true]);
    const machine = events.filter((e) => e.pid === machinePid && e.ph === 'i').map((e) => e.name);
    expect(machine).toEqual(['the victim can read now', 'held: expect finding access/other-mm']);
  });

  it('names its processes and threads, and states the clock', () => {
    const file = traceOf(defaultConfig, commands(otherMm));
    const meta = file.traceEvents.filter((e) => e.ph === 'M' && e.name === 'process_name').map((e) => e.args!['name']);
    expect(meta).toEqual(['pmuplay (v4, seed 1)', 'CPU 0', 'CPU 1', 'CPU 2', 'CPU 3']);
    expect(file.traceEvents.filter((e) => e.ph === 'M' && e.name === 'thread_name')).toHaveLength(5);
    expect(file.otherData['clock']).toMatch(/^simulated cycles at 1 GHz: 1 cycle = 1 ns/);
    // ts in µs, as the format fixes: no displayTimeUnit, which Perfetto would read as ts's unit.
    const text = traceJson(file);
    expect(text).not.toContain('displayTimeUnit');
    expect(text.startsWith('{"traceEvents":[')).toBe(true);
  });

  it('time is the cycle clock: a tick takes cycles-per-tick ns, counters are sampled after each tick', () => {
    const events = traced('spawn a on 0\nopen 100 cycles\ntick 3', { cyclesPerTick: 5000n });
    const cycles = samples(events, cpu(0), 'PMCCNTR_EL0');
    // 0 at the start, preset to -period_left (2^31 - 1) at the open, then 5000 cycles (5 µs) a tick.
    const values = cycles.map(([, v]) => v as number);
    expect(values.slice(0, 2)).toEqual([0, -(2 ** 31 - 1)]);
    expect(values.slice(2).map((v, i) => v - values[i + 1]!)).toEqual([5000, 5000, 5000]);
    const times = cycles.map(([t]) => t as number);
    expect(times[3]! - times[2]!).toBeCloseTo(5, 6);
    expect(times[4]).toBeGreaterThanOrEqual(15);
  });

  it('a long tick goes in pieces of 100 ticks, its events at their ticks, and the trace keeps the rules', () => {
    const n = tickByTickMax + 500;
    const file = traceOf({ ...defaultConfig, cyclesPerTick: 1000n }, commands(`spawn a on 0\nspawn b on 0\nopen 100 cycles\ntick ${n}`));
    expect(checkTrace(traceJson(file))).toEqual([]);
    const events = file.traceEvents;
    const last = Math.max(...events.map((e) => e.ts));
    expect(last).toBeGreaterThanOrEqual(n);
    // a starts at once (b waits in the queue), then a switch every slice (4 ticks) alternates
    // them on CPU 0, each at its tick: none lost.
    const begins = events.filter((e) => e.ph === 'B' && e.pid === cpu(0));
    expect(begins.length).toBe(1 + n / 4);
    expect(begins.at(-1)!.ts).toBeGreaterThan(n - 10);
    expect(file.otherData['dropped']).toBeUndefined();
    // The counter is sampled after each piece of 100 ticks (while its task runs at the end of one).
    const samples = events.filter((e) => e.ph === 'C' && e.pid === cpu(0) && e.name === 'PMCCNTR_EL0');
    expect(samples.length).toBeGreaterThan(5);
    expect(samples.length).toBeLessThanOrEqual(2 + n / 100);
  });

  it('shows each design\'s access register: CR4.PCE under x86 (no PMSELR), PMUACR_EL1 under hardened', () => {
    const names = (design: Config['design']) => [...new Set(traced('spawn a on 0\nopen 100 cycles user\nmmap 100 3', { design, perfUserAccess: 1 }).filter((e) => e.ph === 'C' && e.pid === cpu(0)).map((e) => e.name))];
    expect(names('x86').slice(0, 2)).toEqual(['CR4.PCE', 'PMCCNTR_EL0']);
    expect(names('hardened').slice(0, 3)).toEqual(['PMUSERENR_EL0', 'PMUACR_EL1', 'PMSELR_EL0']);
    expect(names('v4')).toContain('PMEVCNTR5_EL0');
  });

  it('an IPI held under ipi manual keeps its arrow across the steps until deliver', () => {
    const events = traced('ipi manual\nspawn a on 0\nspawn b on 1\nopen 100 cycles user\nmmap 100 3\ntick\ndeliver 1');
    const end = events.find((e) => e.ph === 'f' && e.pid === cpu(1))!;
    const start = events.find((e) => e.ph === 's' && e.id === end.id)!;
    expect(end.ts - start.ts).toBeGreaterThan(1000); // a tick (1 ms) lies between
  });

  it('a sysctl write\'s IPIs start from the machine\'s track, one arrow to each CPU', () => {
    const events = traced('spawn a on 0\nopen 100 cycles user\nsysctl perf_user_access 0', { design: 'upstream', perfUserAccess: 1 });
    const starts = events.filter((e) => e.ph === 's');
    expect(starts.map((e) => e.pid)).toEqual([machinePid, machinePid, machinePid, machinePid]);
    expect(around(events, machinePid, starts[0]!.ts)).toEqual(['on_each_cpu(clear_pmuserenr, NULL)']);
    expect(events.filter((e) => e.ph === 'f').map((e) => e.pid).sort()).toEqual([cpu(0), cpu(1), cpu(2), cpu(3)]);
  });

  it('a SIGILL is an instant on the CPU; an exited task\'s slice ends', () => {
    const events = traced('spawn a on 0\nmrs 100 pmccntr\nexit 100', { design: 'upstream' });
    expect(events.filter((e) => e.ph === 'i' && e.pid === cpu(0)).map((e) => e.name)).toContain('SIGILL: read PMCCNTR_EL0');
    expect(events.filter((e) => e.pid === cpu(0) && (e.ph === 'B' || e.ph === 'E')).map((e) => e.ph)).toEqual(['B', 'E']);
  });

  it('spells out control characters in names (a say\'s text), as the log does', () => {
    const events = traced('say "red \\x1b[31m text"');
    expect(events.find((e) => e.ph === 'i' && e.pid === machinePid)!.name).toBe('red \\x1b[31m text');
  });

  it('stops at a rejected command, and the same commands give the same file, byte for byte', () => {
    const events = traced('spawn a on 0\nmmap 100 9\nspawn b on 1');
    expect(events.some((e) => e.name === '101 b')).toBe(false);
    const once = traceJson(traceOf(defaultConfig, commands(otherMm)));
    expect(traceJson(traceOf(defaultConfig, commands(otherMm)))).toBe(once);
  });
});
