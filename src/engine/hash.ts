/**
 * The state hash: a canonical text of everything that makes the world what it is (not the
 * log), hashed to 16 hex digits. Same seed and commands give the same hash on any machine;
 * `checkpoint HASH` lines in a recording prove a replay reproduced the world.
 */
import { cpuMode, mmContext, mmLive, taskArch, taskState } from './lifecycle.js';
import type { World } from './world.js';

/** The canonical text, field by field, in a fixed order. */
export function stateFields(world: World): Record<string, string> {
  const f: Record<string, string> = {};
  visitState(world, (k, v) => {
    f[k] = v;
  });
  return f;
}

/** Every field of the state, in a fixed order, to a visitor (no big string is built). */
function visitState(world: World, visit: (key: string, value: string) => void): void {
  const c = world.config;
  visit('config', `${c.cpus},${c.counters},${c.longCounters},${c.seed},${c.design},${c.cyclesPerTick},${c.sliceTicks},${c.perfUserAccess},${c.rdpmc}`);
  const knobs = Object.entries(world.knobs).map(([k, v]) => `${k}=${v}`).join(',');
  visit('world', `step=${world.step} tick=${world.tick} prng=${world.prng.join('.')} ipi=${world.ipiMode} faults=${[...world.faults].sort().join('+')} knobs=${knobs} next=${world.nextPid},${world.nextMm},${world.nextEvent},${world.nextCall},${world.grantSeq}`);
  for (const cpu of world.cpus) {
    const g = cpu.grant;
    visit(`cpu${cpu.id}`, [
      cpuMode(cpu), `cur=${cpu.current}`, `mm=${cpu.activeMm}`, `rq=${cpu.runqueue.join('.')}`, `slice=${cpu.sliceLeft}`,
      `cyc=${cpu.cycles}`, `userenr=${cpu.pmuserenr}`, `design=${Object.entries(cpu.design).join(';')}`, `grant=${g ? `${g.seq}/${g.forMm}/${g.forPid}` : '-'}`,
      `pmselr=${cpu.pmselr}/${cpu.pmselrWriter}`, `ipis=${cpu.pendingIpis.map((i) => `${i.call}:${i.fn}:${i.arg}`).join('.')}`,
    ].join(' '));
    for (const k of [cpu.cycleCounter, ...cpu.counters]) {
      visit(`cpu${cpu.id}.ctr${k.id}`, `${k.value} ${k.counts} ${+k.enabled}${+k.irq}${+k.overflow} ${k.event} ${k.lastOwner?.label ?? '-'}`);
    }
  }
  for (const t of world.tasks.values()) {
    visit(`task${t.pid}`, `${t.name} ${taskState(t)} ${taskArch(t)} mm=${t.mm} cpu=${t.cpu} ipc=${t.ipcQuarters} cyc=${t.cyclesRun} sigill=${t.sigills} fds=${t.fds.map((e) => `${e.fd}:${e.event}`).join('.')} resume=${JSON.stringify(t.resume)} deferred=${JSON.stringify(t.deferred)}`);
  }
  for (const mm of world.mms.values()) {
    const ctx = mmContext(mm);
    visit(`mm${mm.id}`, `${mmLive(mm) ? 'live' : 'dead'} users=${mm.users} design=${Object.entries(mm.design).join(';')} lock=${ctx.lockHolder}/${ctx.lockWaiters.join('.')} maps=${mm.mappings.join('.')} mask=${mm.cpumask.join('.')}`);
  }
  for (const ev of world.events.values()) {
    const p = ev.page;
    visit(`event${ev.id}`, `${ev.owner} ${ev.boundCpu} ${ev.fd} ${ev.type} ${+ev.userRequest}${+ev.is64}${+ev.readable}${+ev.chained}${+ev.fdOpen} ctr=${ev.counter}@${ev.activeCpu} ${ev.count} ${ev.prevCount} ${ev.trueCount} map=${ev.mappedIn} page=${p.lock},${p.index},${p.offset},${+p.capUserRdpmc},${p.pmcWidth}`);
  }
  for (const call of world.calls.values()) visit(`call${call.id}`, `${call.caller} ${call.waitingOn.join('.')}`);
  visit('findings', [...world.findingCounts].sort().map(([k, v]) => `${k}=${v}`).join(' ') + ` reported=${[...world.reported].sort((a, b) => a[0] - b[0]).map(([cpu, r]) => `${cpu}:${r.seq}:${r.keys.join('.')}`).join(',')}`);
}

/** Two FNV-1a lanes, fed piece by piece: 64 bits as 16 hex digits. */
class Hasher {
  private a = 0x811c9dc5;
  private b = 0x050c5d1f;

  feed(text: string): void {
    let a = this.a;
    let b = this.b;
    for (let i = 0; i < text.length; i++) {
      const ch = text.charCodeAt(i);
      a = Math.imul(a ^ ch, 0x01000193) >>> 0;
      b = Math.imul(b ^ ch ^ (a >>> 13), 0x01000193) >>> 0;
    }
    this.a = a;
    this.b = b;
  }

  digest(): string {
    return this.a.toString(16).padStart(8, '0') + this.b.toString(16).padStart(8, '0');
  }
}

export function hashText(text: string): string {
  const h = new Hasher();
  h.feed(text);
  return h.digest();
}

/** The hash of every field as `key=value` lines. */
export function stateHash(world: World): string {
  const h = new Hasher();
  visitState(world, (k, v) => {
    h.feed(k);
    h.feed('=');
    h.feed(v);
    h.feed('\n');
  });
  return h.digest();
}

/** The part of the state a field belongs to, for checkpoints that can say what differs. */
function partOf(field: string): string {
  const cpu = /^cpu(\d+)(\.ctr)?/.exec(field);
  if (cpu) return cpu[2] ? `cpu${cpu[1]}.counters` : `cpu${cpu[1]}`;
  if (field.startsWith('task')) return 'tasks';
  if (field.startsWith('mm')) return 'mms';
  if (field.startsWith('event')) return 'events';
  if (field === 'findings') return 'findings';
  return 'world';
}

/** Per-part hashes (8 hex digits each), in a fixed order. */
export function stateParts(world: World): [string, string][] {
  const f = stateFields(world);
  const parts = new Map<string, string[]>();
  for (const k of Object.keys(f)) {
    const p = partOf(k);
    const list = parts.get(p) ?? [];
    list.push(`${k}=${f[k]}`);
    parts.set(p, list);
  }
  return [...parts].map(([p, lines]) => [p, hashText(lines.join('\n')).slice(0, 8)]);
}

/** What a differing part means to a person. */
export function describePart(part: string): string {
  const cpu = /^cpu(\d+)(\.counters)?$/.exec(part);
  if (cpu) return cpu[2] ? `CPU ${cpu[1]}'s counters (values, owners, overflow flags)` : `CPU ${cpu[1]} (mode, task, loaded mm, PMUSERENR/PMUACR/PCE and grant, PMSELR, run queue, IPIs)`;
  return (
    { tasks: 'the tasks (state, CPU, mm, fds, cycles)', mms: 'the mms (users, access count, mmap_lock, mappings)', events: 'the perf events (counts, counters, user pages)', findings: "the monitor's findings", world: "the world's clock, PRNG, settings or IPI calls" } as Record<string, string>
  )[part] ?? part;
}
