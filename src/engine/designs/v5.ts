/**
 * `v5`: the respin after the review — KERNEL.md §5.2. As v4, but `refresh_pmuserenr(mm)` acts
 * only on a CPU whose `current->active_mm == mm`, both the mapped and the unmapped IPIs go
 * to every CPU the PMU supports (here: every CPU), carrying the mm, never to `mm_cpumask`, and
 * `arch_perf_update_userpage` sets `cap_user_rdpmc` only when `event->oncpu ==
 * smp_processor_id()` at the publish. Chained events are still flagged (v6 fixed that).
 */
import { viaIpi } from '../events.js';
import { logNote } from '../log.js';
import { onEachCpu } from '../ipi.js';
import type { Design } from './design.js';
import { isCounter } from './design.js';
import { perMmBase, switchUserAccess } from './v4.js';

export const v5: Design = {
  ...perMmBase,
  name: 'v5',
  summary: 'the respin: refresh only where active_mm == mm; map and unmap IPIs to every PMU CPU',
  unmapped(world, ev, mm, caller) {
    if (perMmBase.dropAccess(world, ev, mm, caller)) onEachCpu(world, caller.cpu, null, 'refresh_pmuserenr', mm.id, caller);
  },
  runIpi(world, cpu, ipi) {
    const mm = ipi.arg === null ? undefined : world.mms.get(ipi.arg);
    if (!mm) return;
    if (cpu.activeMm !== mm.id) {
      logNote(world, cpu.id, 'hook', `refresh_pmuserenr(mm ${mm.id}): active_mm is ${cpu.activeMm === null ? 'none' : `mm ${cpu.activeMm}`}, nothing to do`);
      return;
    }
    switchUserAccess(world, cpu, mm, viaIpi(`${ipi.from === cpu.id ? 'local call' : 'IPI'} refresh_pmuserenr(mm ${mm.id})`, ipi));
  },
  promises: (world, _cpu, task, reg) => isCounter(reg) && perMmBase.entitled(world, task),
  // The flag, and the event on the CPU publishing the page (-1, inactive, is on none).
  capUserRdpmc: (_world, ev, at) => ev.readable && at.oncpu !== null && at.oncpu === at.cpu,
};
