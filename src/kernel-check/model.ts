/**
 * The model's side of a kernel-check: what one step of the engine showed, as an Observation,
 * taken from the step's typed result (its log events) and the world after it — never from
 * the text it prints.
 */
import type { Command } from '../engine/command.js';
import { knobs } from '../engine/knobs.js';
import type { StepResult } from '../engine/step.js';
import { eventOf } from '../engine/validate.js';
import { regName } from '../engine/events.js';
import type { LogEntry, World } from '../engine/world.js';
import type { Observation } from './observation.js';

type Done = StepResult & { ok: true };

function readOf(events: LogEntry[]): Observation {
  for (const e of events) {
    if (e.kind === 'sigill' && e.what === 'trap') return { what: 'read', kind: e.signal === 'SIGSEGV' ? 'sigsegv' : 'sigill', right: null };
    if (e.kind === 'read' && e.what === 'fallback') return { what: 'read', kind: 'fallback', right: null };
    if (e.kind === 'read' && e.what === 'value') return { what: 'read', kind: 'value', right: e.value === e.truth };
  }
  throw new Error('engine bug: a read step logged no outcome');
}

function trapped(events: LogEntry[]): boolean {
  return events.some((e) => e.kind === 'sigill' && e.what === 'trap');
}

/** The model's observation of a step, or null when the command shows nothing kernel-check compares. */
export function modelObservation(world: World, c: Command, r: Done): Observation | null {
  switch (c.kind) {
    case 'open':
    case 'open-cpu': {
      const e = r.events.find((x) => x.kind === 'syscall' && x.what === 'open');
      if (!e || e.kind !== 'syscall' || e.what !== 'open') throw new Error('engine bug: an open logged no open');
      return { what: 'open', fd: e.errno ? null : e.fd, errno: e.errno };
    }
    case 'mmap': {
      // Mapped: the event's page is in the task's mm now (a refused mmap, -EINVAL for an
      // inherit event, leaves it out).
      const ev = eventOf(world, c.pid, c.fd);
      const mm = world.tasks.get(c.pid)?.mm;
      if (!ev || mm === undefined || !ev.maps.includes(mm)) return { what: 'mmap', ok: false, cap: false, index: 0, width: 0 };
      return { what: 'mmap', ok: true, cap: ev.page.capUserRdpmc, index: ev.page.index, width: ev.page.pmcWidth };
    }
    case 'read':
    case 'expect-read':
      return readOf(r.events);
    case 'mrs':
    case 'msr':
      return { what: c.kind, reg: regName(c.reg), trap: trapped(r.events) };
    case 'expect-reg': {
      const cpu = world.cpus[c.cpu]!;
      return { what: 'reg', reg: c.reg, value: c.reg === 'pmuserenr' ? cpu.pmuserenr : cpu.pmselr };
    }
    case 'knob':
      return { what: 'sysctl', errno: knobs[c.knob].values.includes(c.value) ? null : 'EINVAL' };
    default:
      return null;
  }
}
