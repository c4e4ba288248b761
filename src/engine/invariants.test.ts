import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Command, faultNames } from './command.js';
import { designNames } from './designs/index.js';
import { formatCommand } from './format.js';
import { assertInvariants, checkInvariants } from './invariants.js';
import { cpuMode, mmContext, sendCpu, sendMm, sendTask, taskState } from './lifecycle.js';
import { copyWorld } from './snapshot.js';
import { parseCommand } from './parse.js';
import { play, playLines } from './session.js';
import { applyCommand } from './step.js';
import { generateWorkload } from './workload.js';
import { type World, createWorld, defaultConfig } from './world.js';

/** Apply `commands`, checking the invariants after each; fail with the broken links and the path there. */
function playChecked(world: World, commands: Command[], prefix: string[] = [], each?: (world: World) => void): void {
  const done = [...prefix];
  for (const c of commands) {
    applyCommand(world, c);
    done.push(formatCommand(c));
    assertInvariants(world, () => `after '${formatCommand(c)}' (design ${world.config.design}) in:\n${done.join('\n')}\n`);
    each?.(world);
  }
}

/** Play command lines into a fresh world, checking the invariants after each; the last result. */
function playText(text: string, design: World['config']['design'] = 'v4') {
  const world = createWorld({ ...defaultConfig, design });
  const commands = text.trim().split('\n').map((line) => {
    const r = parseCommand(line);
    if (!r.ok || !r.command) throw new Error(`line '${line}'`);
    return r.command;
  });
  playChecked(world, commands.slice(0, -1));
  const last = applyCommand(world, commands.at(-1)!);
  assertInvariants(world, () => 'after the last line');
  return { world, last };
}

// A world with most links in use: threads, a queued task, the cycle counter and a chained pair
// in use, a per-CPU event, mappings and grants, a task waiting for IPIs while holding mmap_lock
// of mm 2 and a thread waiting for that lock, pending IPIs, a reported access condition.
const { world: base } = play(`spawn a on 0
thread 100 on 1
spawn b on 2
thread 102 on 3
spawn c on 1
open 100 cycles
open 100 instructions
open 101 instructions 64bit
open cpu 3 instructions
open 102 cycles
open 103 cycles
mmap 100 3
ipi manual
mmap 102 3
mmap 103 3
switch 1 101`);

const corruptions: [string, (w: World) => void, RegExp][] = [
  ['a CPU id', (w) => { w.cpus[1]!.id = 2; }, /^cpus\[1\] has id 2$/],
  ['a counter beyond its width', (w) => { w.cpus[0]!.counters[0]!.value = 1n << 32n; }, /^cpu0 PMEVCNTR0 holds 4294967296, outside 32 bits$/],
  ['PMSELR', (w) => { w.cpus[0]!.pmselr = 32; }, /^cpu0 PMSELR_EL0 is 32/],
  ['a slice', (w) => { w.cpus[0]!.sliceLeft = 0; }, /^cpu0 sliceLeft 0 outside/],
  ['a task CPU', (w) => { w.tasks.get(104)!.cpu = 4; }, /^task 104 is on CPU 4, out of range$/],
  ['an exited task left in the table', (w) => { sendTask(w.tasks.get(101)!, { type: 'task.exit' }); }, /^task 101 has exited but is still in the task table$/],
  ['a task mm', (w) => { w.tasks.get(104)!.mm = 9; }, /^task 104 uses mm 9, which is not in the mm table$/],
  ['nextPid', (w) => { w.nextPid = 104; }, /^task 104 is not below nextPid 104$/],
  ['a counter naming no event', (w) => { w.cpus[2]!.counters[3]!.event = 99; }, /^cpu2 PMEVCNTR3 holds event 99, which does not exist$/],
  ['a free counter left enabled', (w) => { w.cpus[2]!.counters[3]!.enabled = true; }, /^cpu2 PMEVCNTR3 is free but enabled=true/],
  ['a counter naming an event elsewhere', (w) => { w.cpus[2]!.counters[3]!.event = 1; }, /^cpu2 PMEVCNTR3 holds event 1, but the event is on counter 31 of cpu 0$/],
  ['the high half of a chained pair', (w) => { w.cpus[1]!.counters[1]!.counts = 'instructions'; }, /^cpu1 PMEVCNTR1 holds event 3 \(instructions\) but enabled=true counts=instructions, want counting chain$/],
  ['the low half raising the interrupt', (w) => { w.cpus[1]!.counters[0]!.irq = true; }, /^cpu1 PMEVCNTR0 holds event 3 with irq=true, want false$/],
  ['an event whose counter was freed', (w) => { Object.assign(w.cpus[0]!.counters[0]!, { event: null, enabled: false, counts: null, irq: false }); }, /^event 2 is active on cpu0 counter 0 but is held by no counter$/],
  ['an event on two counters', (w) => { Object.assign(w.cpus[0]!.counters[1]!, { event: 2, enabled: true, counts: 'instructions', irq: true }); }, /^event 2 is active on cpu0 counter 0 but is held by cpu0 PMEVCNTR0 and cpu0 PMEVCNTR1$/],
  ['an event counting for a task not running there', (w) => { w.cpus[0]!.current = null; }, /^event 1 of task 100 is active on cpu0, but the task is on cpu0 and cpu0 runs nothing$/],
  ['an fd under another number', (w) => { w.tasks.get(104)!.fds = [{ fd: 4, event: 1, open: true, cloexec: false }]; }, /^task 104 fd 4 names event 1, which was opened as fd 3$/],
  ['an fd the event does not count', (w) => { w.tasks.get(104)!.fds = [{ fd: 3, event: 1, open: true, cloexec: false }]; }, /^event 1 has fdRefs 1, but 2 open fds name it$/],
  ['an event missing from its fd table', (w) => { w.tasks.get(100)!.fds = w.tasks.get(100)!.fds.filter((e) => e.fd !== 4); }, /^event 2 has fdRefs 1, but 0 open fds name it$/],
  ['a per-CPU event missing from the tool\'s table', (w) => { w.cpuFds.clear(); }, /^event 4 has fdRefs 1, but 0 open fds name it$/],
  ['an event nothing holds', (w) => { w.tasks.get(100)!.fds = w.tasks.get(100)!.fds.filter((e) => e.fd !== 4); w.events.get(2)!.fdRefs = 0; }, /^event 2 has no open fd and no mapping, so nothing keeps it alive$/],
  ['a closed fd with no mapping', (w) => { const t = w.tasks.get(100)!; t.fds = t.fds.map((e) => (e.fd === 4 ? { ...e, open: false } : e)); }, /^task 100 keeps closed fd 4 of event 2, which its mm 1 does not map$/],
  ['an event missing from its perf context', (w) => { const t = w.tasks.get(100)!; t.perfContext = t.perfContext.filter((id) => id !== 2); }, /^event 2 counts task 100, but is not in its perf context$/],
  ['a perf context listing another task\'s event', (w) => { w.tasks.get(104)!.perfContext = [1]; }, /^task 104 perf context lists event 1, which counts task 100$/],
  ['a mapping its mm does not list', (w) => { w.events.get(2)!.maps = [1]; }, /^event 2 is mapped 1 times in mm 1, which lists it 0 times$/],
  ['an mm listing a mapping twice', (w) => { w.mms.get(1)!.mappings.push(1); }, /^event 1 is mapped 1 times in mm 1, which lists it 2 times$/],
  ['an mm user count', (w) => { w.mms.get(3)!.users = 2; }, /^mm 3 has 2 users, but 1 tasks use it/],
  ['a per-mm access count', (w) => { w.mms.get(1)!.design.pmu_direct_access = 2; }, /^mm 1 pmu_direct_access is 2, but it maps 1 user-readable events$/],
  ['a dead mm nobody has loaded', (w) => {
    const mm = { id: w.nextMm++, life: w.mms.get(3)!.life, users: 0, mappings: [], cpumask: [], design: {}, copiedFrom: null };
    sendMm(mm, { type: 'mm.release' });
    w.mms.set(mm.id, mm);
  }, /^dead mm 4 is loaded nowhere but was not reaped$/],
  ['a sleeping task on a queue', (w) => { sendTask(w.tasks.get(104)!, { type: 'task.sleep' }); }, /^cpu1 run queue holds task 104, which is blocked.sleep$/],
  ['a runnable task on no queue', (w) => { w.cpus[1]!.runqueue = []; }, /^task 104 is runnable but on no run queue/],
  ['a pid twice', (w) => { w.cpus[3]!.runqueue.push(104); }, /^task 104 is both queued on cpu1 at 0 and queued on cpu3 at 0$/],
  ['a running task on a queue', (w) => { w.cpus[0]!.runqueue.push(100); }, /^cpu0 run queue holds task 100, which is running$/],
  ['the loaded mm of a running CPU', (w) => { w.cpus[0]!.activeMm = 3; }, /^cpu0 runs task 100 of mm 1 with mm 3 loaded$/],
  ['a CPU left in a handler', (w) => { sendCpu(w.cpus[3]!, { type: 'cpu.ipi' }); }, /^cpu3 \(ipi, no task\) is still in a handler between steps$/],
  ['a CPU at EL0 whose task is in the kernel', (w) => { sendCpu(w.cpus[2]!, { type: 'cpu.sysret' }); }, /^cpu2 \(el0, task 102 blocked.ipi\) is at EL0 but its task is not running$/],
  ['a grant dropped while access stands', (w) => { w.cpus[0]!.grant = null; }, /^cpu0 access is CR\|ER under v4 but it holds no grant$/],
  ['a grant kept after access ended', (w) => { w.cpus[1]!.pmuserenr = 0; }, /^cpu1 access is 0 under v4 but it holds grant \d+ \(.*\)$/],
  ['two CPUs holding one grant', (w) => { w.cpus[0]!.grant = w.cpus[2]!.grant; }, /^cpu2 and cpu0 hold the same grant 5$|^cpu0 and cpu2 hold the same grant/],
  ['a pending IPI taken without answering', (w) => { w.cpus[1]!.pendingIpis = []; }, /^call 2 waits on cpu1, which holds no IPI of it$/],
  ['pending IPIs under ipi auto', (w) => { w.ipiMode = 'auto'; }, /^cpu0 holds pending IPIs under ipi auto$/],
  ['a call answered but kept', (w) => { w.calls.get(2)!.waitingOn = []; }, /^call 2 waits on no CPU but was not dropped$/],
  ['a call whose caller does not wait', (w) => { w.calls.get(2)!.caller = 100; }, /^call 2 was made by task 100, which is running instead of waiting for it$/],
  ['a waiter without its call', (w) => { w.calls.clear(); }, /^task 102 waits for IPIs but no call of its is pending$/],
  ['a parked syscall with nothing to resume', (w) => { w.tasks.get(102)!.resume = null; }, /^task 102 is blocked.ipi with resume null$/],
  ['a lock waiter not queued', (w) => { sendMm(w.mms.get(2)!, { type: 'mm.unlock' }); sendMm(w.mms.get(2)!, { type: 'mm.unlock' }); }, /^task 103 is blocked on mmap_lock but not queued on its mm 2$/],
  ['a lock held by a task that is gone', (w) => { w.tasks.delete(102); }, /^mm 2 mmap_lock is held by task 102, which is gone$/],
  ['a lock holder outside any syscall', (w) => { sendMm(w.mms.get(1)!, { type: 'mm.lock', pid: 100 }); }, /^mm 1 mmap_lock is held by task 100, which is running and finishing no mmap or munmap$/],
  ['a per-CPU bound list', (w) => { w.cpus[3]!.boundEvents = []; }, /^cpu3 boundEvents is \[\] but its per-CPU events are \[4\]$/],
  ['an mm_cpumask where none is kept', (w) => { w.mms.get(1)!.cpumask = [0]; }, /^mm 1 cpumask is \[0\], want \[\] \(not maintained\)$/],
  ['the finding counts', (w) => { w.findingCounts.set('leak/pmselr', 1); }, /^findingCounts add up to 3 but 2 findings were recorded$/],
  ['a report under an old grant', (w) => { w.reported.set(0, { seq: 1, keys: [400] }); }, /^cpu0 reported conditions under grant 1, but its grant is 4$/],
  ['the log ring', (w) => { w.log.items.pop(); }, /^log ring keeps/],
];

describe('each invariant can fail', () => {
  it('the base world keeps them all', () => {
    expect(checkInvariants(base)).toEqual([]);
  });

  it.each(corruptions)('%s', (_what, corrupt, line) => {
    const w = copyWorld(base);
    corrupt(w);
    const broken = checkInvariants(w);
    expect(broken.some((b) => line.test(b)), broken.join('\n')).toBe(true);
    expect(checkInvariants(base)).toEqual([]);
  });
});

describe('what the invariants found', () => {
  it('a syscall parked on a CPU that halts under it stays parked (settleKernel threw on cpu.sysret)', () => {
    // Task 102 waits on CPU 0 for its mmap IPIs; CPU 0 then takes a NULL refresh queued
    // earlier by task 101's last unmap and halts; the last IPI is taken elsewhere.
    const { world, last } = playText(`fault cpumask-maintained on
spawn c on 0
thread 100 on 1
spawn a on 2
migrate 102 0
open 101 cycles
mmap 101 3
open 102 cycles
switch 0 100
ipi manual
munmap 101 3
switch 0 102
mmap 102 3
deliver 0
deliver 2
deliver 3`);
    expect(last.ok).toBe(true);
    expect(cpuMode(world.cpus[0]!)).toBe('halted');
    expect(taskState(world.tasks.get(102)!)).toBe('blocked.ipi');
  });

  it('a waiter handed mmap_lock cannot act before its mmap ends (it could exit holding the lock)', () => {
    const race = `spawn a on 0
thread 100 on 1
spawn b on 1
open 100 cycles
open 101 cycles
ipi manual
mmap 100 3
mmap 101 3
deliver 1
deliver 2
deliver 3`;
    // 101 got the lock but waits on CPU 1's run queue behind task 102.
    expect(playText(`${race}\nexit 101`).last).toMatchObject({ ok: false, rejection: { code: 'exit/blocked' } });
    expect(playText(`${race}\nmmap 101 3`).last).toMatchObject({ ok: false, rejection: { code: 'mmap/blocked' } });
    expect(playText(`${race}\nexec64 100`).last).toMatchObject({ ok: false, rejection: { code: 'exec64/sibling-in-kernel' } });
    const { world, last } = playText(`${race}\nswitch 1 101\nexit 101\nmunmap 100 3`);
    expect(last).toMatchObject({ ok: true, lines: ['munmap fd 3 done'] });
    expect(mmContext(world.mms.get(1)!).lockHolder).toBe(null);
  });

  it.each(['x86', 'upstream'] as const)('%s: turning the cpumask fault on or off leaves mm_cpumask as the design keeps it', (design) => {
    const { world } = playText('spawn a on 0\nspawn b on 1\nfault cpumask-maintained on\nfault cpumask-maintained off\nfault cpumask-maintained on\nspawn c on 2', design);
    expect([...world.mms.values()].map((mm) => mm.cpumask)).toEqual(design === 'x86' ? [[0], [1], [2]] : [[], [], []]);
  });

  it('the design cannot change once the old one has acted, even after every task and event is gone', () => {
    expect(playText('spawn a on 0\nopen 100 cycles\nmmap 100 3\nexit 100\npolicy x86').last).toMatchObject({ ok: false, rejection: { code: 'policy/mid-session' } });
    // x86's rdpmc 2 sets CR4.PCE everywhere: under v4 the grants would stand for nothing, and
    // IPIs still pending would run v4's refresh_pmuserenr(NULL).
    expect(playText('rdpmc 2\npolicy v4', 'x86').last).toMatchObject({ ok: false, rejection: { code: 'policy/mid-session' } });
    expect(playText('sysctl perf_user_access 1\npolicy hardened', 'upstream').last).toMatchObject({ ok: true });
  });
});

// A small world under every design, with the knobs, every fault and a few design changes: pids
// 100..109, fds 3..5, CPUs 0..3.
const pid = fc.integer({ min: 100, max: 109 });
const fd = fc.integer({ min: 3, max: 5 });
const cpu = fc.integer({ min: 0, max: 3 });
const ev = fc.constantFrom('cycles' as const, 'instructions' as const);
const commandArb: fc.Arbitrary<Command[]> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('spawn' as const), name: fc.constant('p'), aarch32: fc.boolean(), cpu: fc.option(cpu) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('thread' as const), pid, cpu: fc.option(cpu) }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('open' as const), pid, event: ev, user: fc.boolean(), is64: fc.boolean(), inherit: fc.boolean(), cloexec: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('fork' as const), pid, cpu: fc.option(cpu) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('open-cpu' as const), cpu, event: ev, user: fc.boolean(), is64: fc.boolean(), cloexec: fc.boolean(), by: fc.option(pid) }).map((c) => ({ ...c, cloexec: c.cloexec && c.by !== null })) },
  { weight: 8, arbitrary: fc.record({ kind: fc.constantFrom('close' as const, 'mmap' as const, 'munmap' as const, 'read' as const, 'reset' as const), pid, fd }) },
  fc.record({ kind: fc.constant('close-cpu' as const), fd }),
  fc.record({ kind: fc.constant('mrs' as const), pid, reg: fc.constantFrom({ kind: 'pmccntr' as const }, { kind: 'pmselr' as const }, { kind: 'pmevcntr' as const, n: 1 }) }),
  fc.record({ kind: fc.constant('msr' as const), pid, reg: fc.constantFrom({ kind: 'pmselr' as const }, { kind: 'pmccntr' as const }, { kind: 'pmevcntr' as const, n: 1 }), value: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }) }),
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('migrate' as const), pid, cpu }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constantFrom('exec32' as const, 'exec64' as const, 'exit' as const, 'sleep' as const, 'wake' as const), pid }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('switch' as const), cpu, pid }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('tick' as const), n: fc.integer({ min: 1, max: 6 }) }) },
  fc.record({ kind: fc.constant('run' as const), cycles: fc.bigInt({ min: 0n, max: 1n << 33n }) }),
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('ipi' as const), mode: fc.constantFrom('manual' as const, 'auto' as const) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('deliver' as const), cpu }) },
  fc.record({ kind: fc.constant('policy' as const), name: fc.constantFrom(...designNames) }),
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('knob' as const), knob: fc.constant('perf_user_access' as const), value: fc.constantFrom(0, 1) }) },
  fc.record({ kind: fc.constant('knob' as const), knob: fc.constant('rdpmc' as const), value: fc.constantFrom(0, 1, 2) }),
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('fault' as const), name: fc.constantFrom(...faultNames), on: fc.boolean() }) },
).map((c) => [c]);

// Two threads of one process mapping while IPIs are held: one waits for them holding
// mmap_lock, the other waits for the lock.
const raceArb = fc.constantFrom([100, 101], [101, 100], [102, 103], [103, 102]).map(([a, b]): Command[] => [
  { kind: 'ipi', mode: 'manual' },
  { kind: 'mmap', pid: a!, fd: 3 },
  { kind: 'mmap', pid: b!, fd: 3 },
]);

// Under v4 with an arm64 that fills mm_cpumask, the last unmap sends refresh_pmuserenr(NULL) to
// the CPUs that have the mm loaded: they oops and halt.
const oopsArb = pid.map((a): Command[] => [
  { kind: 'fault', name: 'cpumask-maintained', on: true },
  { kind: 'mmap', pid: a, fd: 3 },
  { kind: 'munmap', pid: a, fd: 3 },
]);

describe('the invariants', () => {
  it('hold after every step of random sessions under every design', () => {
    const reached = { steps: 0, parked: 0, lockWait: 0, halted: 0, mapped: 0, pending: 0 };
    fc.assert(
      fc.property(
        fc.constantFrom(...designNames),
        fc.integer({ min: 0, max: 1000 }),
        fc.boolean(),
        fc.array(fc.oneof({ weight: 24, arbitrary: commandArb }, { weight: 2, arbitrary: raceArb }, { weight: 1, arbitrary: oopsArb }), { minLength: 30, maxLength: 120 }),
        (design, seed, longCounters, steps) => {
          const world = createWorld({ ...defaultConfig, design, seed, longCounters, counters: 4, perfUserAccess: 1 });
          const setup = 'spawn a on 0\nthread 100 on 1\nspawn b on 2\nthread 102 on 3\nopen 100 cycles user\nopen 101 instructions user\nopen 102 cycles user 64bit\nopen 103 cycles user';
          playLines(world, setup);
          expect(checkInvariants(world)).toEqual([]);
          playChecked(world, steps.flat(), setup.split('\n'), (w) => {
            reached.steps++;
            for (const t of w.tasks.values()) {
              if (taskState(t) === 'blocked.ipi') reached.parked++;
              if (taskState(t) === 'blocked.lock') reached.lockWait++;
            }
            reached.halted += w.cpus.filter((c) => cpuMode(c) === 'halted').length;
            reached.pending += w.cpus.reduce((n, c) => n + c.pendingIpis.length, 0);
            reached.mapped += [...w.events.values()].filter((e) => e.maps.length > 0).length;
          });
        },
      ),
      // INV_RUNS=5000 INV_SEED=n npx vitest run src/engine/invariants.test.ts searches further.
      { numRuns: Number(process.env.INV_RUNS ?? 500), seed: process.env.INV_SEED ? Number(process.env.INV_SEED) : 20261126 },
    );
    // The sessions must reach the hard states, or the property proves little.
    expect(reached.parked).toBeGreaterThan(20);
    expect(reached.lockWait).toBeGreaterThan(5);
    expect(reached.pending).toBeGreaterThan(20);
    expect(reached.mapped).toBeGreaterThan(100);
  }, 120_000);

  it('hold along long generated workloads under every design', () => {
    for (const design of designNames) {
      const config = { ...defaultConfig, design, cpus: 4, counters: 4, seed: 5, perfUserAccess: 1 as const };
      const commands = generateWorkload({ seed: 11, commands: 1500, tasks: 10, config });
      playChecked(createWorld(config), commands);
    }
  }, 60_000);
});
