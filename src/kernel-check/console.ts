/**
 * The kernel's side of a kernel-check: the program's framed console lines
 * (`@@kc LINE WHAT key=value…`, c-runtime.ts) read back into Observations, one per script line,
 * with how many context switches the observation's window saw.
 */
import type { Command } from '../engine/command.js';
import { regName } from '../engine/events.js';
import type { Observation, ReadKind } from './observation.js';

export interface Framed {
  line: number;
  what: string;
  fields: Record<string, string>;
}

export function parseFramed(lines: readonly string[]): Framed[] {
  const out: Framed[] = [];
  for (const l of lines) {
    const m = /^@@kc (\d+) (\S+)(.*)$/.exec(l);
    if (!m) continue;
    const fields: Record<string, string> = {};
    for (const kv of m[3]!.trim().split(/\s+/)) {
      const eq = kv.indexOf('=');
      if (eq > 0) fields[kv.slice(0, eq)] = kv.slice(eq + 1);
    }
    out.push({ line: Number(m[1]), what: m[2]!, fields });
  }
  return out;
}

export interface KernelSeen {
  observation: Observation | null;
  /** Context switches in the window the observation was made in (null: not measured). */
  switches: number | null;
  raw: Framed;
}

const num = (s: string | undefined) => (s === undefined ? NaN : Number(s));

/** The kernel's observation for a script line's command, from its framed line. */
export function kernelObservation(c: Command, f: Framed): KernelSeen {
  const sw = f.fields['switches'] === undefined ? null : num(f.fields['switches']);
  const seen = (observation: Observation | null): KernelSeen => ({ observation, switches: sw, raw: f });
  const errno = (e: string | undefined) => (e === undefined || e === '0' ? null : e);
  switch (c.kind) {
    case 'open':
    case 'open-cpu':
      return seen({ what: 'open', fd: num(f.fields['fd']) >= 0 ? num(f.fields['fd']) : null, errno: errno(f.fields['errno']) });
    case 'mmap':
      return seen(f.fields['ok'] === '1' ? { what: 'mmap', ok: true, cap: f.fields['cap'] === '1', index: num(f.fields['index']), width: num(f.fields['width']) } : { what: 'mmap', ok: false, cap: false, index: 0, width: 0 });
    case 'read':
    case 'expect-read': {
      const kind = f.fields['kind'] as ReadKind;
      return seen({ what: 'read', kind, right: kind === 'value' ? f.fields['right'] === '1' : null });
    }
    case 'mrs':
    case 'msr':
      return seen({ what: c.kind, reg: regName(c.reg), trap: f.fields['trap'] === '1' });
    case 'expect-reg':
      return seen({ what: 'reg', reg: c.reg, value: f.fields['trap'] === '1' ? null : num(f.fields['value']) });
    case 'knob':
      return seen({ what: 'sysctl', errno: errno(f.fields['errno']) });
    default:
      return seen(null);
  }
}
