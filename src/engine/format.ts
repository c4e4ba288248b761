/**
 * The canonical spelling of each command: the other half of the parser (parse.ts), so that
 * `parseCommand(formatCommand(c))` gives `c` back. Recordings and `save` write through it.
 */
import { type Command, type Reg, exploreKeys } from './command.js';
import { knobs } from './knobs.js';

const named: Record<string, string> = { '\\': '\\\\', '"': '\\"', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** The escape of one control character (C0, DEL or C1) as the parser reads it: `\n` `\r` `\t`,
 * or `\xHH`. The shell shows text from outside with the same spelling (src/visible.ts). */
export function controlEscape(c: string): string {
  return named[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
}

/** A string in double quotes, one line whatever it holds: backslash and quote escaped, every
 * control character escaped (`controlEscape`), so a recording reads back through the file
 * parser and holds no raw control byte. */
function quote(text: string): string {
  // eslint-disable-next-line no-control-regex
  return '"' + text.replace(/[\\"\x00-\x1f\x7f-\x9f]/g, controlEscape) + '"';
}

function regName(reg: Reg): string {
  return reg.kind === 'pmevcntr' ? `pmevcntr${reg.n}` : reg.kind;
}

function openFlags(c: { user: boolean; is64: boolean; inherit?: boolean; cloexec: boolean }): string {
  return (c.user ? ' user' : '') + (c.is64 ? ' 64bit' : '') + (c.inherit ? ' inherit' : '') + (c.cloexec ? ' cloexec' : '');
}

/** The canonical spelling of a command; parsing it gives the same command back. */
export function formatCommand(c: Command): string {
  switch (c.kind) {
    case 'spawn':
      return `spawn ${c.name}${c.aarch32 ? ' aarch32' : ''}${c.cpu === null ? '' : ` on ${c.cpu}`}`;
    case 'thread':
    case 'fork':
      return `${c.kind} ${c.pid}${c.cpu === null ? '' : ` on ${c.cpu}`}`;
    case 'open':
      return `open ${c.pid} ${c.event}${openFlags(c)}`;
    case 'open-cpu':
      return `open cpu ${c.cpu} ${c.event}${openFlags(c)}${c.by === null ? '' : ` by ${c.by}`}`;
    case 'close':
      return `close ${c.pid} ${c.fd}`;
    case 'close-cpu':
      return `close cpu ${c.fd}`;
    case 'mmap':
    case 'munmap':
    case 'read':
    case 'reset':
      return `${c.kind} ${c.pid} ${c.fd}`;
    case 'mrs':
      return `mrs ${c.pid} ${regName(c.reg)}`;
    case 'msr':
      return `msr ${c.pid} ${regName(c.reg)} ${c.value}`;
    case 'migrate':
      return `migrate ${c.pid} ${c.cpu}`;
    case 'exec32':
    case 'exec64':
    case 'exit':
    case 'sleep':
    case 'wake':
      return `${c.kind} ${c.pid}`;
    case 'switch':
      return `switch ${c.cpu} ${c.pid}`;
    case 'tick':
      return c.n === 1 ? 'tick' : `tick ${c.n}`;
    case 'run':
      return `run ${c.cycles}`;
    case 'ipi':
      return `ipi ${c.mode}`;
    case 'deliver':
      return `deliver ${c.cpu}`;
    case 'policy':
      return `policy ${c.name}`;
    case 'knob':
      return knobs[c.knob].command(c.value);
    case 'fault':
      return `fault ${c.name} ${c.on ? 'on' : 'off'}`;
    case 'check':
    case 'pause':
      return c.kind;
    case 'explain':
      return c.n === null ? 'explain' : `explain ${c.n}`;
    case 'why':
      return `why ${c.cpu}`;
    case 'say':
      return `say ${quote(c.text)}`;
    case 'expect-finding':
      return `expect finding ${c.code}`;
    case 'expect-no-finding':
      return `expect no-finding${c.code ? ` ${c.code}` : ''}`;
    case 'expect-read':
      return `expect read ${c.pid} ${c.fd} ${c.outcome.kind}${c.outcome.kind === 'value' ? ` ${c.outcome.value}` : ''}`;
    case 'expect-reg':
      return `expect reg ${c.cpu} ${c.reg} ${c.value}`;
    case 'checkpoint':
      return `checkpoint ${c.hash}${c.parts.map(([k, v]) => ` ${k}=${v}`).join('')}`;
    case 'back':
      return c.n === 1 ? 'back' : `back ${c.n}`;
    case 'help':
      return c.topic === null ? 'help' : `help ${c.topic}`;
    case 'explore':
      return ['explore', ...exploreKeys.flatMap((k) => (c.bounds[k] === undefined ? [] : [`${k}=${c.bounds[k]}`]))].join(' ');
    case 'program':
      return `program ${c.pid}: ${c.commands.map(formatCommand).join('; ')}`;
  }
}
