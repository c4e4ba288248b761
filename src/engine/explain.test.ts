import { describe, expect, it } from 'vitest';
import { stateHash } from './hash.js';
import { accessMarks } from './monitor.js';
import { play, playLines } from './session.js';
import { allDesigns, last, on } from './testing.js';

// What the busy session below finds under each design (v5, x86 and hardened: nothing).
const busyCodes: Record<string, string[]> = {
  v4: ['access/aarch32', 'access/other-mm', 'access/stale'],
  v5: [],
  upstream: ['access/other-mm', 'leak/counter', 'leak/pmselr'],
  x86: [],
  hardened: [],
};

describe('explain: the chain behind a finding', () => {
  it("v4's 0 -> 1 IPI: the access, the grant, the IPI, its send, the per-mm count edge, the rule and the fix", () => {
    const { world, played } = play('spawn a on 0\nspawn b on 2\nopen 100 cycles\nmmap 100 3\nexplain', { design: 'v4', cpus: 4 });
    const r = played.at(-1)!.result;
    if (!r.ok) throw new Error('explain was rejected');
    const e = r.explanation!;
    expect(e).toMatchObject({ finding: 1, code: 'access/other-mm', section: 'docs/KERNEL.md 5.1' });
    const chain = e.chain.map((l) => l.text);
    expect(chain[0]).toBe('task 101 (mm 2) ran at EL0 on CPU 2 with CR|ER');
    expect(chain[1]).toBe('granted at step 4: PMUSERENR_EL0 = CR|ER, for mm 1');
    expect(chain[2]).toMatch(/^it ran in the IPI refresh_pmuserenr\(mm 1\), call #1, from CPU 0 on behalf of task 100$/);
    expect(chain[3]).toBe('sent by on_each_cpu(refresh_pmuserenr, mm 1) to CPUs 0, 1, 2, 3');
    expect(chain[4]).toBe('after armv8pmu_event_mapped moved pmu_direct_access of mm 1 from 0 to 1');
    expect(e.fix).toMatch(/v5/);
    expect(r.lines[0]).toBe('finding 1: access/other-mm');
    expect(world.step).toBe(4);
  });

  it("upstream's skipped start(): the grant came from armv8pmu_start for the task before", () => {
    const { world } = play('spawn reader on 0\nspawn other on 0\nopen 100 cycles user\ntick\nswitch 0 101', { design: 'upstream', ...on });
    expect(last(world, 'explain')).toMatch(/granted at step 3: PMUSERENR_EL0 = CR\|ER, for task 100[\s\S]*it ran in armv8pmu_start[\s\S]*KERNEL\.md 5\.3[\s\S]*fix: hardened decides again/);
  });

  it.each(allDesigns)('each finding of a busy session explains itself with a rule, a KERNEL.md section and a fix: %s', (design) => {
    const { world } = play('spawn a on 0\nthread 100 on 1\nspawn b on 2\nspawn c aarch32 on 3\nopen 100 cycles user\nmmap 100 3\nmsr 100 pmselr 5\nmigrate 102 0\nswitch 0 102\nmrs 102 pmselr\nmrs 102 pmccntr\nmunmap 100 3\ntick 3', { design, cpus: 4, ...on });
    const codes = new Set<string>();
    for (let n = 1; n <= world.findings.total; n++) {
      const text = last(world, `explain ${n}`);
      expect(text).toMatch(/ rule: .+ \(docs\/KERNEL\.md [0-9]/);
      expect(text).toMatch(/ fix: ./);
      codes.add(text.split(' ')[2]!);
    }
    expect([...codes].sort()).toEqual(busyCodes[design]);
  });
});

describe('bad input changes nothing', () => {
  it('explain with no finding, explain 99, why 9: a clear message', () => {
    const { world } = play('spawn a on 0', { cpus: 4 });
    const before = stateHash(world);
    expect(playLines(world, 'explain').at(-1)!.result).toMatchObject({ ok: false, rejection: { code: 'explain/no-such-finding', message: 'explain: no finding yet' } });
    playLines(world, 'spawn b on 2\nopen 100 cycles\nmmap 100 3');
    const mid = stateHash(world);
    expect(playLines(world, 'explain 99').at(-1)!.result).toMatchObject({ ok: false, rejection: { message: 'explain: no finding 99: there is 1 (1..1)' } });
    expect(playLines(world, 'why 9').at(-1)!.result).toMatchObject({ ok: false, rejection: { code: 'why/no-such-cpu', message: 'why: no CPU 9: the machine has CPUs 0..3' } });
    expect(stateHash(world)).toBe(mid);
    expect(before).not.toBe(mid);
  });
});

describe('why CPU', () => {
  it('names what runs, the access, the grant behind it, and whether the design means it', () => {
    const { world } = play('spawn a on 0\nspawn b on 2\nopen 100 cycles\nmmap 100 3', { design: 'v4', cpus: 4 });
    const text = last(world, 'why 2');
    expect(text).toMatch(/^step 4 cpu2: CPU 2 runs task 101 \(mm 2\) in el0; USERENR is CR\|ER/);
    expect(text).toContain('design v4 does not mean task 101 to read counters');
    // The same fix explain gives for the finding this access is.
    expect(text).toContain('fix: v5 refreshes only where active_mm == mm; hardened decides again at every PMU enable');
    expect(last(world, 'why 0')).toContain('counters in use: PMCCNTR (100:3)');
    expect(last(world, 'why 0')).toContain('nothing to fix');
  });
});

describe('accessMarks: what the screen marks on a CPU whose access is wrong now', () => {
  it('v4: the bystander on CPU 2 holds access granted for mm 1; the mapper and an idle CPU have no mark', () => {
    const { world } = play('spawn a on 0\nspawn b on 2\nspawn c aarch32 on 3\nopen 100 cycles\nmmap 100 3', { design: 'v4', cpus: 4 });
    expect(accessMarks(world, world.cpus[2]!)).toEqual([{ code: 'access/other-mm', reason: 'for mm1, not mm2' }]);
    expect(accessMarks(world, world.cpus[3]!).map((m) => m.code)).toEqual(['access/aarch32', 'access/other-mm']);
    expect(accessMarks(world, world.cpus[0]!)).toEqual([]);
    expect(accessMarks(world, world.cpus[1]!)).toEqual([]);
  });
});
