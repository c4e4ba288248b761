/**
 * `x86`: the design the arm64 patch copied — KERNEL.md §5.4 — applied to this machine's PMU,
 * with CR4.PCE standing where PMUSERENR_EL0 stands (RDPMC reads any counter; there is no
 * PMSELR at user level). Per-mm `perf_rdpmc_allowed`; `x86_pmu_event_mapped/unmapped` change
 * it and on the edge run `cr4_update_pce` on the CPUs in `mm_cpumask(mm)` (x86 maintains it),
 * a function that ignores its argument and recomputes from the mm the CPU has loaded;
 * `switch_mm` recomputes for the incoming mm. sysfs `rdpmc`: 0 never, 1 while an event is
 * mapped (default), 2 always. Since 5.15, dirty counters are zeroed before PCE is set
 * (`perf_clear_dirty_counters`). RDPMC without CR4.PCE raises #GP, which
 * `do_general_protection` turns into SIGSEGV for a user task; user mode cannot write a counter
 * (WRMSR is for ring 0: #GP too). There is no chaining: the `64bit` word (arm64's config1 bit 0)
 * means nothing to x86, and the event takes one counter.
 */
import type { Reg } from '../command.js';
import { mmContext } from '../lifecycle.js';
import { logEvent } from '../log.js';
import { onEachCpu } from '../ipi.js';
import { eventWidth } from '../perf.js';
import { regrant } from '../sysreg.js';
import type { Cpu, Mm, World } from '../world.js';
import type { GrantReason } from '../sysreg.js';
import { type Cause, viaIpi } from '../events.js';
import { type Design, armIndex, isCounter, mmMapsReadable, zeroUnusedCounters } from './design.js';

/** Set or clear CR4.PCE, x86's counterpart of PMUSERENR_EL0, kept per CPU as the design's own. */
function writePce(world: World, cpu: Cpu, on: boolean, why: GrantReason): void {
  const same = cpu.design.cr4_pce === +on;
  cpu.design.cr4_pce = +on;
  regrant(world, cpu, on, same, why, `CR4.PCE = ${on ? 1 : 0}`);
}

/** `cr4_update_pce_mm(mm)`. */
function updatePce(world: World, cpu: Cpu, mm: Mm | undefined, by: Cause): void {
  const rdpmc = world.knobs.rdpmc;
  const allowed = rdpmc === 2 || (rdpmc === 1 && mm !== undefined && mm.design.perf_rdpmc_allowed! > 0);
  if (allowed) zeroUnusedCounters(cpu);
  writePce(world, cpu, allowed, { forMm: mm?.id ?? null, forPid: null, by });
}

function entitled(world: World, mmId: number): boolean {
  const rdpmc = world.knobs.rdpmc;
  return rdpmc === 2 || (rdpmc === 1 && mmMapsReadable(world, world.mms.get(mmId)));
}

export const x86: Design = {
  name: 'x86',
  summary: 'x86: CR4.PCE, per-mm perf_rdpmc_allowed, IPIs to a maintained mm_cpumask, rdpmc 0|1|2',
  cpuState: { cr4_pce: 0 },
  mmState: { perf_rdpmc_allowed: 0 },
  knobs: ['rdpmc'],
  accessLabel: 'CR4',
  open(world, ev) {
    // x86_pmu_event_init: PERF_X86_EVENT_RDPMC_ALLOWED unless rdpmc is 0.
    ev.readable = world.knobs.rdpmc !== 0;
    return null;
  },
  mayChain: () => false,
  addError: () => null,
  mapped(world, ev, mm, task) {
    if (!ev.readable) return;
    const holder = mmContext(mm).lockHolder;
    if (holder !== task.pid) logEvent(world, task.cpu, { kind: 'hook', what: 'lock-not-held', fn: 'x86_pmu_event_mapped', mm: mm.id, pid: task.pid, holder });
    const count = ++mm.design.perf_rdpmc_allowed!;
    logEvent(world, task.cpu, { kind: 'hook', what: 'count', fn: 'x86_pmu_event_mapped', mm: mm.id, field: 'perf_rdpmc_allowed', from: count - 1, to: count });
    if (count === 1) onEachCpu(world, task.cpu, [...mm.cpumask], 'refresh_pce', null, task);
  },
  unmapped(world, ev, mm, caller) {
    if (!ev.readable) return;
    const count = --mm.design.perf_rdpmc_allowed!;
    logEvent(world, caller.cpu, { kind: 'hook', what: 'count', fn: 'x86_pmu_event_unmapped', mm: mm.id, field: 'perf_rdpmc_allowed', from: count + 1, to: count });
    if (count === 0) onEachCpu(world, caller.cpu, [...mm.cpumask], 'refresh_pce', null, caller);
  },
  switchMm(world, cpu, mm, cause) {
    updatePce(world, cpu, mm, cause);
  },
  reconsider() {},
  pmuStart() {},
  runIpi(world, cpu, ipi) {
    // cr4_update_pce(info) ignores info and looks at the mm this CPU has loaded.
    const loaded = cpu.activeMm === null ? undefined : world.mms.get(cpu.activeMm);
    updatePce(world, cpu, loaded, viaIpi(`${ipi.from === cpu.id ? 'local call' : 'IPI'} cr4_update_pce (loaded mm ${cpu.activeMm ?? 'none'})`, ipi));
  },
  eventIndex: (_world, ev) => (ev.readable ? armIndex(ev) : 0),
  capUserRdpmc: (_world, ev) => ev.readable,
  // x86_pmu.cntval_bits (48), whatever the event: eventWidth gives it under x86.
  pmcWidth: (world, ev) => (ev.readable ? eventWidth(world, ev) : 0),
  entitled: (world, task) => entitled(world, task.mm),
  promises: (world, _cpu, task, reg: Reg) => isCounter(reg) && entitled(world, task.mm),
  maintainsCpumask: () => true,
  mayAccess: (_world, cpu, reg) => cpu.design.cr4_pce === 1 && isCounter(reg),
  accessBits: (cpu) => cpu.design.cr4_pce!,
  accessName: (cpu) => (cpu.design.cr4_pce ? 'PCE' : 'PCE=0'),
  el0Write: () => 'trap',
  signal: 'SIGSEGV',
  knobChanged(world, _knob, value, was) {
    if (value !== was) onEachCpu(world, null, null, 'refresh_pce', null, null);
  },
};
