import { describe, expect, it } from 'vitest';
import { parseScript, resolveConfig } from '../engine/script.js';
import { cProgram } from './c-program.js';
import { translate } from './translate.js';

const header = 'pmuplay 1 seed=1 cpus=2 counters=6 long-counters=off policy=upstream cycles-per-tick=1000000 slice=4 perf-user-access=1';

function tr(body: string, head = header) {
  const p = parseScript(`${head}\n${body}\n`);
  if (!p.ok) throw new Error(p.errors[0]!.message);
  return translate(p.script, resolveConfig(p.script.header, {}));
}

describe('translate', () => {
  it('refuses what a kernel cannot be made to do, naming each line and why', () => {
    const r = tr('spawn a on 0\nipi manual\nopen 100 cycles user\ndeliver 1\nfault zero-extend on');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.refusals.map((x) => x.line)).toEqual([3, 5, 6]);
    expect(r.refusals[0]!.reason).toMatch(/IPIs/);
    expect(r.refusals[2]!.reason).toMatch(/what-if/);
  });

  it('refuses a file whose design is not upstream, pointing at --policy upstream', () => {
    const r = tr('spawn a on 0', header.replace('policy=upstream', 'policy=v4'));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.refusals[0]!.reason).toMatch(/--policy upstream/);
  });

  it('maps each task to a slot on the CPU the model put it on, and the model\'s fd to the real one', () => {
    const r = tr('spawn a on 1\nspawn b\nopen 100 cycles user\nmmap 100 3\nread 100 3\nmrs 101 pmevcntr2\nsysctl perf_user_access 0');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const c = r.plan.c;
    expect(c).toContain('kc_spawn(2, 0, 1, 0);');
    // b goes to the idle CPU, as the model placed it.
    expect(c).toContain('kc_spawn(3, 1, 0, 0);');
    expect(c).toContain('fd_of[0][3] = kc_open(4, 0, EV_CYCLES, KC_USER);');
    expect(c).toContain('kc_read(6, 0, fd_of[0][3]);');
    expect(c).toContain('kc_mrs(7, 1, REG_PMEVCNTR, 2);');
    expect(c).toContain('kc_sysctl(8, "0");');
    expect(c).toContain('/* 6: read 100 3 */');
    expect(r.plan.slots).toBe(2);
    expect(r.plan.needsAarch32).toBe(false);
  });

  it('opens a per-CPU event in the task named by `by`, or in the system-wide tool (the coordinator)', () => {
    const r = tr('open cpu 1 instructions\nspawn a on 0\nopen cpu 0 cycles by 100\nclose cpu 3');
    if (!r.ok) throw new Error('refused');
    expect(r.plan.c).toContain('tool_fd[3] = kc_open_cpu_tool(2, 1, EV_INSTRUCTIONS, 0);');
    expect(r.plan.c).toContain('fd_of[0][3] = kc_open_cpu(4, 0, 0, EV_CYCLES, 0);');
    expect(r.plan.c).toContain('kc_close_tool(5, tool_fd[3]);');
  });

  it('starts an aarch32 task as the AArch32 agent', () => {
    const r = tr('spawn a aarch32 on 0');
    if (!r.ok) throw new Error('refused');
    expect(r.plan.c).toContain('kc_spawn(2, 0, 0, 1);');
    expect(r.plan.needsAarch32).toBe(true);
  });

  it('takes the model\'s observations from the engine: an open\'s fd, the page, a trap', () => {
    const r = tr('spawn a on 0\nspawn b on 1\nopen 100 cycles user\nmmap 100 3\nsysctl perf_user_access 0\nmrs 101 pmccntr\nsysctl perf_user_access 3');
    if (!r.ok) throw new Error('refused');
    const by = new Map(r.plan.lines.map((l) => [l.line, l.model]));
    expect(by.get(4)).toEqual({ what: 'open', fd: 3, errno: null });
    expect(by.get(5)).toMatchObject({ what: 'mmap', ok: true, cap: true, width: 32 });
    expect(by.get(7)).toEqual({ what: 'mrs', reg: 'PMCCNTR_EL0', trap: true });
    expect(by.get(8)).toEqual({ what: 'sysctl', errno: 'EINVAL' });
  });

  it('keeps finding expectations as model-only lines, and an expect reg on an idle CPU too', () => {
    const r = tr('spawn a on 0\nexpect no-finding\nexpect reg 1 pmuserenr 0');
    if (!r.ok) throw new Error('refused');
    expect(r.plan.lines.filter((l) => l.modelOnly !== null).map((l) => l.line)).toEqual([3, 4]);
    expect(r.plan.c).not.toContain('kc_expect_reg');
  });

  it('writes a whole program that quotes the header and sets the boot sysctl first', () => {
    const r = tr('spawn a on 0\ntick 2');
    if (!r.ok) throw new Error('refused');
    const src = cProgram(r.plan, 'x.pmu');
    expect(src).toContain('perf-user-access=1');
    expect(src.indexOf('kc_sysctl(0, "1")')).toBeLessThan(src.indexOf('kc_spawn(2, '));
    expect(src).toContain('kc_spin_ns(3, 2000000ull);');
  });

  it('keeps the kernel\'s mux timer in step with the model\'s: the arming line starts after a multiple, armed lines check, the firing tick waits one out', () => {
    const r = tr('spawn a on 0\nopen 100 cycles\nopen 100 cycles user 64bit\nmmap 100 4\ntick 3\nread 100 4');
    if (!r.ok) throw new Error('refused');
    const c = r.plan.c;
    // Line 4's -EAGAIN arms the model's timer: the kernel's must be armed just after a multiple.
    expect(c.indexOf('kc_mux_align(4);')).toBeLessThan(c.indexOf('kc_open(4, 0, EV_CYCLES, KC_USER | KC_64BIT);'));
    expect(c).not.toContain('kc_mux_align(3);');
    expect(c).toContain('kc_mux_check(5);');
    // tick 3: the rotation (timer kept), the timer finding nothing (stopped), then one tick at once.
    expect(c.match(/kc_mux_tick\(6, 1000000ull\);/g)).toHaveLength(2);
    expect(c).toContain('kc_spin_ns(6, 1000000ull);');
    expect(c).not.toContain('kc_mux_check(7);');
    expect(r.plan.muxWaits).toBe(3);
    // Lines 4 and 5 run armed: the interval leaves room for them, and is 200 ms at least.
    expect(r.plan.muxMs).toBe(300);
    expect(cProgram(r.plan, 'x.pmu')).toContain('#define KC_MUX_MS 300ull');
    expect(r.plan.lines.find((l) => l.line === 7)!.model).toEqual({ what: 'read', kind: 'value', right: true });
  });

  it('leaves the mux timer alone in a script where every event goes on', () => {
    const r = tr('spawn a on 0\nopen 100 cycles user\ntick 2');
    if (!r.ok) throw new Error('refused');
    expect(r.plan.c).not.toMatch(/kc_mux_/);
    expect(r.plan.muxWaits).toBe(0);
  });
});

