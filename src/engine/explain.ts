/**
 * Why a finding happened, and why a CPU allows what it allows: the causal chain read back from
 * the engine's typed records — the finding's cause, the grant it rests on (which write, at
 * which step, for whom), the context switch or cross-CPU call that wrote it, the call that
 * sent it and the per-mm count edge behind it (from the log, while it still holds them) — then
 * the design's rule with its KERNEL.md section, and what a design that fixes it does instead.
 * Pure: it reads the world and changes nothing (`explain` and `why` are observing commands).
 */
import type { FindingCode } from './command.js';
import { designOf } from './designs/design.js';
import type { Cause, Finding, Grant } from './events.js';
import { cpuMode, taskArch } from './lifecycle.js';
import { accessMarks } from './monitor.js';
import { ringEntries } from './ring.js';
import { counterName } from './perf.js';
import type { Cpu, World } from './world.js';

/** One link of the chain: what happened, where and when (null when not one instant). */
export interface Link {
  step: number | null;
  cpu: number | null;
  text: string;
}

export interface Explanation {
  /** 1 for the first finding of the session; `why` has none. */
  finding: number | null;
  code: FindingCode | null;
  chain: Link[];
  /** The design's rule that let it happen, and where KERNEL.md says so. */
  rule: string;
  section: string;
  /** What a design that does not have this finding does instead. */
  fix: string;
}

interface Rule {
  rule: string;
  section: string;
  fix: string;
}

/** Per finding code, the rule behind it (by design where they differ) and the fix. */
const rules: Record<FindingCode, (design: string) => Rule> = {
  'access/other-mm': (d) => ({
    rule: d === 'v4' ? "the first mmap's 0 -> 1 edge runs refresh_pmuserenr(mm) on every online CPU, and it sets PMUSERENR for whatever task that CPU runs"
      : d === 'upstream' ? 'access is decided only in armv8pmu_start(), which runs only while a counter is in use: a task with no event keeps the grant of the one before'
        : d === 'x86' ? 'CR4.PCE is recomputed at switch_mm and by the mapping IPIs; a grant left by another mm stands until then'
          : 'a grant written for another mm was still in place when this task ran at EL0',
    section: d === 'v4' ? 'docs/KERNEL.md 5.1' : d === 'upstream' ? 'docs/KERNEL.md 5.3' : d === 'x86' ? 'docs/KERNEL.md 5.4' : 'docs/KERNEL.md 5.5',
    fix: d === 'upstream' ? 'hardened decides again every time the PMU is enabled, counters in use or not, so a task with no event loses the grant (try --policy hardened)'
      : 'v5 refreshes only where active_mm == mm; hardened decides again at every PMU enable, counters in use or not (try --policy v5 or --policy hardened)',
  }),
  'access/stale': (d) => ({
    rule: d === 'v4' ? "the last munmap's refresh_pmuserenr(NULL) goes to mm_cpumask(mm), which arm64 leaves empty, so no CPU clears the grant; a fork copies the per-mm count without the mappings"
      : 'the grant outlived what the design meant it for (the last unmap, the last user event, a fork that copied the per-mm count)',
    section: d === 'v4' ? 'docs/KERNEL.md 5.1, 3 (fork)' : 'docs/KERNEL.md 5.5',
    fix: 'v5 sends the unmap IPI to every CPU with the mm; hardened keeps nothing per mm and decides again at every PMU enable',
  }),
  'access/aarch32': () => ({
    rule: 'nothing in the design looks at whether the task is AArch32: the same PMUSERENR bits open the counters to compat tasks',
    section: 'docs/KERNEL.md 5.1, 5.3, 5.5',
    fix: 'hardened refuses access to AArch32 tasks',
  }),
  'access/denied': () => ({
    rule: 'the design promised this task the register, but the CPU it ran on had not been granted access yet (an IPI not yet taken, or a mapping without mmap_lock)',
    section: 'docs/KERNEL.md 5.1 (mmap_lock), 6 (IPI)',
    fix: 'with mmap_lock held for write, a second mapper waits until the IPIs are taken',
  }),
  'leak/pmselr': () => ({
    rule: 'PMSELR_EL0 is plain per-CPU state: nothing saves, restores or clears it at a context switch, and ER lets EL0 read and write it',
    section: 'docs/KERNEL.md 2, 5.5',
    fix: 'hardened keeps PMSELR closed (PMUv3.9 UEN) and zeroes it whenever access changes hands',
  }),
  'leak/counter': () => ({
    rule: 'ER and CR open every counter of the CPU to EL0, including those other events (per-CPU, system-wide) count with or left behind',
    section: 'docs/KERNEL.md 5.5',
    fix: "hardened opens only the task's own counters (PMUv3.9 PMUACR_EL1); upstream zeroes unused counters before it grants",
  }),
  'oops/null-deref': () => ({
    rule: 'the last unmap sends refresh_pmuserenr(NULL), and the function dereferences its argument: harmless only while mm_cpumask is empty',
    section: 'docs/KERNEL.md 5.1',
    fix: 'v5 carries the mm in the unmap IPI',
  }),
  'lockdep/mmap-lock': () => ({
    rule: 'event_mapped changes the per-mm count and asserts mmap_lock held for write; a caller that skips the lock races another mapper of the mm',
    section: 'docs/KERNEL.md 5.1, 5.5',
    fix: 'perf_mmap holds mmap_lock for write, as the patch requires',
  }),
  'read/wrong-count': (d) => ({
    rule: d === 'v4' ? "v4 flags chained 64-bit events readable (map_event sees idx 0), and armpmu_event_update leaves prev_count zero-extended, so a page published after read(2) or reset is 2^32 off"
      : "armpmu_event_update leaves prev_count zero-extended where set_period stores it sign-extended: a page published in between (first mmap after read(2), reset) is 2^32 off; an AArch32 MRC reads 32 bits",
    section: 'docs/KERNEL.md 3, 4, 5.1',
    fix: 'hardened keeps prev_count sign-extended (a one-line driver fix); upstream never chains a user-readable event',
  }),
  'write/counter': () => ({
    rule: 'PMUSERENR.EN opens every counter to EL0 writes, and a task can corrupt the live count of another',
    section: 'docs/KERNEL.md 2',
    fix: 'no design sets EN; hardened writes ER|CR|UEN, under which EL0 writes to selected counters are ignored',
  }),
};

function causeLinks(cause: Cause, cpu: number, step: number, world: World): Link[] {
  const links: Link[] = [];
  if (cause.switch) {
    const s = cause.switch;
    links.push({ step, cpu, text: `it ran in ${cause.fn}, in the context switch ${s.from === null ? 'from idle' : `from task ${s.from}`} to task ${s.to} (${s.reason})` });
  } else if (cause.ipi) {
    const i = cause.ipi;
    const arg = i.arg === null ? 'NULL' : `mm ${i.arg}`;
    links.push({ step, cpu, text: `it ran in the IPI ${i.fn}(${arg}), call #${i.call}, from CPU ${i.from ?? '?'}${i.caller === null ? '' : ` on behalf of task ${i.caller}`}` });
    const log = ringEntries(world.log);
    const send = log.find((e) => e.what === 'send' && e.call === i.call);
    if (send && send.what === 'send') {
      links.push({ step: send.step, cpu: send.cpu, text: `sent by ${send.how}(${send.fn}, ${arg}) to CPU${send.targets.length === 1 ? '' : 's'} ${send.targets.join(', ') || '(none)'}` });
      const edge = log.find((e) => e.what === 'count' && e.step === send.step && e.cpu === send.cpu);
      if (edge && edge.what === 'count') links.push({ step: edge.step, cpu: edge.cpu, text: `after ${edge.fn} moved ${edge.field} of mm ${edge.mm} from ${edge.from} to ${edge.to}` });
    } else {
      links.push({ step: null, cpu: null, text: `(the IPI's send is no longer in the log)` });
    }
  } else {
    links.push({ step, cpu, text: `it ran in ${cause.fn}` });
  }
  return links;
}

function grantLinks(world: World, cpu: number, grant: Grant): Link[] {
  const whom = grant.forPid !== null ? `task ${grant.forPid}` : grant.forMm !== null ? `mm ${grant.forMm}` : 'no one in particular';
  return [
    { step: grant.step, cpu, text: `granted at step ${grant.step}: ${grant.write}, for ${whom}` },
    ...causeLinks(grant.by, cpu, grant.step, world),
  ];
}

function findingLinks(world: World, f: Finding): Link[] {
  const at = { step: f.step, cpu: f.cpu };
  const c = f.cause;
  switch (c.kind) {
    case 'access':
      return [{ ...at, text: `task ${c.pid} (mm ${c.mm}) ran at EL0 on CPU ${c.cpu} with ${c.access}` }, ...grantLinks(world, c.cpu, c.grant)];
    case 'denied':
      return [{ ...at, text: `task ${c.pid} got a trap on ${c.reg}, with ${c.access} on its CPU` }];
    case 'pmselr':
      return [{ ...at, text: `task ${c.pid} read PMSELR_EL0 = ${c.value}` }, { step: null, cpu: f.cpu, text: `task ${c.writer} wrote that value earlier, on the same CPU; nothing cleared it at the switch` }];
    case 'counter':
      return [{ ...at, text: `task ${c.pid} read ${c.counter}: ${c.live ? 'the live count' : 'a value left behind'} of ${c.owner.pid === null ? `per-CPU event ${c.owner.label}` : `event ${c.owner.label} of task ${c.owner.pid}`}` }];
    case 'wrong-count':
      return [{ ...at, text: `task ${c.pid} read ${c.value} from fd ${c.fd}; the event counted ${c.truth}` }];
    case 'null-deref':
      return [{ ...at, text: `${c.fn}(NULL) dereferenced its argument` }, ...(c.ipi ? [{ step: f.step, cpu: c.ipi.from, text: `the IPI came from CPU ${c.ipi.from ?? '?'}, call #${c.ipi.call}${c.ipi.caller === null ? '' : `, on behalf of task ${c.ipi.caller}`}` }] : [])];
    case 'lock':
      return [{ ...at, text: `${c.fn} ran for task ${c.pid} on mm ${c.mm} without mmap_lock held for write${c.holder === null ? '' : ` (task ${c.holder} held it)`}` }];
    case 'write':
      return [{ ...at, text: `task ${c.pid} wrote ${c.value} to ${c.counter}, which held ${c.was}: the live count of ${c.owner.label}` }];
  }
}

export type Explained = { ok: true; explanation: Explanation } | { ok: false; message: string };

/** Finding `n` (1 = the session's first), or the latest when `n` is null. */
export function explainFinding(world: World, n: number | null): Explained {
  const total = world.findings.total;
  const kept = ringEntries(world.findings);
  const first = total - kept.length + 1;
  if (total === 0) return { ok: false, message: 'no finding yet' };
  const which = n ?? total;
  if (which < 1 || which > total) return { ok: false, message: `no finding ${which}: there ${total === 1 ? 'is 1' : `are ${total}`} (1..${total})` };
  if (which < first) return { ok: false, message: `finding ${which} is no longer kept: the oldest kept is ${first}` };
  const f = kept[which - first]!;
  const r = rules[f.code](world.config.design);
  return { ok: true, explanation: { finding: which, code: f.code, chain: findingLinks(world, f), ...r } };
}

/** Why the CPU allows what it allows now: its access, the grant it rests on, PMSELR, counters. */
export function whyCpu(world: World, cpu: Cpu): Explanation {
  const design = designOf(world);
  const task = cpu.current === null ? undefined : world.tasks.get(cpu.current);
  const chain: Link[] = [];
  const bits = design.accessBits(cpu);
  const runs = task ? `task ${task.pid} (mm ${task.mm}${taskArch(task) === 'aarch32' ? ', AArch32' : ''}) in ${cpuMode(cpu)}` : `no task (${cpuMode(cpu)})`;
  chain.push({ step: world.step, cpu: cpu.id, text: `CPU ${cpu.id} runs ${runs}; ${design.accessLabel} ${bits === 0 ? 'grants nothing' : `is ${design.accessName(cpu)}`}` });
  if (bits !== 0 && cpu.grant) chain.push(...grantLinks(world, cpu.id, cpu.grant));
  if (task) chain.push({ step: null, cpu: cpu.id, text: `design ${design.name} ${design.entitled(world, task) ? 'means' : 'does not mean'} task ${task.pid} to read counters` });
  if (cpu.pmselrWriter !== null) chain.push({ step: null, cpu: cpu.id, text: `PMSELR_EL0 = ${cpu.pmselr}, written by task ${cpu.pmselrWriter}` });
  const used = [cpu.cycleCounter, ...cpu.counters].filter((c) => c.event !== null).map((c) => `${counterName(c.id)} (${c.lastOwner?.label ?? '?'})`);
  chain.push({ step: null, cpu: cpu.id, text: used.length === 0 ? 'no counter in use' : `counters in use: ${used.join(', ')}` });
  // What is wrong now is what a finding would say: its rule's fix, the same words explain gives.
  const wrong = accessMarks(world, cpu)[0];
  return {
    finding: null,
    code: null,
    chain,
    rule: design.summary,
    section: 'docs/KERNEL.md 5',
    fix: wrong ? rules[wrong.code](design.name).fix
      : bits !== 0 && task && !design.entitled(world, task) ? `a design that decides access for the running task at every switch and PMU enable (hardened) would clear it` : 'nothing to fix: access matches what the design means',
  };
}

/** The explanation as lines of text, the chain indented. */
export function explanationLines(e: Explanation): string[] {
  const head = e.finding === null ? [] : [`finding ${e.finding}: ${e.code}`];
  const chain = e.chain.map((l, i) => `${i === 0 ? '' : '  <- '}${l.step === null ? '' : `step ${l.step}${l.cpu === null ? '' : ` cpu${l.cpu}`}: `}${l.text}`);
  return [...head, ...chain, `rule: ${e.rule} (${e.section})`, `fix: ${e.fix}`];
}
