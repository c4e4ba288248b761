/**
 * The one parser of the command language (format.ts is the other half). The TUI prompt,
 * scripts, recordings and demos all go through `parseCommand` / `formatCommand`, and
 * `parseCommand(formatCommand(c))` gives `c` back. The parser never throws on user input: a
 * bad line is an error value naming the command, the column and what was expected.
 * Tokens (words, quoted strings and their escapes) come from lex.ts. An error about a known
 * command ends with its usage, from the one command table (commands-spec.ts).
 */
import {
  type Command,
  type EventType,
  type FaultName,
  type FindingCode,
  type ReadOutcome,
  type Reg,
  faultNames,
  findingCodes,
} from './command.js';
import { type CommandSpec, commandWords, playgroundWords, scenarioWords, specsOf, usage } from './commands-spec.js';
import { Fail, type ParseError, type Token, echo, parseUint, pidMax, tokenize } from './lex.js';
import { backStepsMax, countersMax, knobValueMax, nameLengthMax, sayLengthMax, ticksPerCommandMax } from './limits.js';
import { parseExplore, parseProgram } from './parse-scenario.js';

export { parseUint } from './lex.js';

export type ParseResult =
  | { ok: true; command: Command }
  | { ok: true; command: null } // a blank or comment-only line
  | { ok: false; error: ParseError };

/** A cursor over one line's tokens; each `take*` either returns a value or throws a Fail. */
class Cursor {
  private i = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly word: string,
    private readonly lineLength: number,
  ) {}

  private fail(column: number, what: string, got?: string): never {
    const tail = got === undefined ? 'the line ended' : `got '${echo(got)}'`;
    throw new Fail({ column, message: `${this.word}: expected ${what} at column ${column}, ${tail}` });
  }

  private next(what: string): Token {
    const t = this.tokens[this.i];
    if (!t) this.fail(this.lineLength + 1, what);
    this.i++;
    return t;
  }

  peek(): string | undefined {
    return this.tokens[this.i]?.text;
  }

  uint(what: string, max: number): number {
    const t = this.next(what);
    const v = parseUint(t.text);
    if (v === null || v > BigInt(max)) this.fail(t.column, `${what} (a whole number up to ${max})`, t.text);
    return Number(v);
  }

  big(what: string, max: bigint): bigint {
    const t = this.next(what);
    const v = parseUint(t.text);
    if (v === null || v > max) this.fail(t.column, `${what} (a whole number up to ${max})`, t.text);
    return v;
  }

  oneOf<T extends string>(what: string, options: readonly T[]): T {
    const t = this.next(`${what} (${options.join('|')})`);
    if (!(options as readonly string[]).includes(t.text)) this.fail(t.column, options.join('|'), t.text);
    return t.text as T;
  }

  /** Step over a token the caller has read itself. */
  skip(): void {
    this.i++;
  }

  /** An optional keyword: consumed and true when it is next. */
  flag(word: string): boolean {
    if (this.peek() !== word) return false;
    this.i++;
    return true;
  }

  string(what: string, max: number): string {
    const t = this.next(what);
    if (!t.quoted) this.fail(t.column, `${what} in double quotes`, t.text);
    if (t.text.length > max) this.fail(t.column, `${what} of at most ${max} characters`, `${t.text.length} characters`);
    return t.text;
  }

  name(what: string): string {
    const t = this.next(what);
    if (t.quoted || !/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(t.text) || t.text.length > nameLengthMax) {
      this.fail(t.column, `${what} (letters, digits, '_', '.', '-'; at most ${nameLengthMax})`, t.text);
    }
    return t.text;
  }

  /** Fail at the token `text` (already taken), expecting `what`. */
  failAt(text: string, what: string): never {
    const t = this.tokens.find((x) => x.text === text)!;
    this.fail(t.column, what, t.text);
  }

  end(expected: string): void {
    const t = this.tokens[this.i];
    if (t) this.fail(t.column, `the end of the line${expected ? ` or ${expected}` : ''}`, t.text);
  }

  /** `on CPU` at the end of spawn, thread and fork. */
  optionalOn(): number | null {
    if (!this.flag('on')) return null;
    return this.uint('a CPU', 1023);
  }
}


const u64Max = (1n << 64n) - 1n;
/** Findings are numbered from 1 in a session. */
const findingNumberMax = 2 ** 53 - 1;
const fdMax = 65_535;

function parseReg(word: 'mrs' | 'msr', t: string | undefined, column: number): Reg {
  if (t === 'pmccntr') return { kind: 'pmccntr' };
  if (t === 'pmselr') return { kind: 'pmselr' };
  const m = t === undefined ? null : /^pmevcntr([0-9]{1,2})$/.exec(t);
  if (m && Number(m[1]) < countersMax) return { kind: 'pmevcntr', n: Number(m[1]) };
  throw new Fail({
    column,
    message: `${word}: expected a register (pmccntr|pmevcntrN|pmselr, N below ${countersMax}) at column ${column}, ${t === undefined ? 'the line ended' : `got '${echo(t)}'`}`,
  });
}

/**
 * The optional words after `open … cycles|instructions`, in any order, each once: `words`, and
 * (for a per-CPU event) `by PID`. `cloexec` on a per-CPU event needs `by`: the system-wide
 * tool outside the model never execs.
 */
function parseOpenFlags(c: Cursor, words: readonly string[], withBy: boolean): { seen: Set<string>; by: number | null } {
  const seen = new Set<string>();
  let by: number | null = null;
  for (;;) {
    const w = c.peek();
    if (w !== undefined && words.includes(w) && !seen.has(w)) {
      c.flag(w);
      seen.add(w);
    } else if (withBy && by === null && c.flag('by')) {
      by = c.uint('a pid', pidMax);
    } else break;
  }
  const left = words.filter((w) => !seen.has(w));
  if (withBy && by === null) left.push('by PID');
  c.end(left.join('|'));
  if (withBy && by === null && seen.has('cloexec')) c.failAt('cloexec', 'by PID with cloexec (only a task\'s fd is closed at exec)');
  return { seen, by };
}

function parseExpect(c: Cursor): Command {
  const what = c.oneOf('what to expect', ['finding', 'no-finding', 'read', 'reg'] as const);
  if (what === 'finding') {
    const code = c.oneOf<FindingCode>('a finding code', findingCodes);
    c.end('');
    return { kind: 'expect-finding', code };
  }
  if (what === 'no-finding') {
    const code = c.peek() === undefined ? null : c.oneOf<FindingCode>('a finding code', findingCodes);
    c.end('');
    return { kind: 'expect-no-finding', code };
  }
  if (what === 'read') {
    const pid = c.uint('a pid', pidMax);
    const fd = c.uint('an fd', fdMax);
    const kind = c.oneOf('an outcome', ['sigill', 'sigsegv', 'fallback', 'value'] as const);
    let outcome: ReadOutcome;
    if (kind === 'value') outcome = { kind, value: c.big('a count', u64Max) };
    else outcome = { kind };
    c.end('');
    return { kind: 'expect-read', pid, fd, outcome };
  }
  const cpu = c.uint('a CPU', 1023);
  const reg = c.oneOf('a register', ['pmuserenr', 'pmselr'] as const);
  const value = c.uint('a value', 0xffff_ffff);
  c.end('');
  return { kind: 'expect-reg', cpu, reg, value };
}

function parseTokens(tokens: Token[], lineLength: number): Command {
  const head = tokens[0]!;
  const word = head.text;
  const c = new Cursor(tokens.slice(1), word, lineLength);
  const pidCmd = <K extends 'exec32' | 'exec64' | 'exit' | 'sleep' | 'wake'>(kind: K) => {
    const pid = c.uint('a pid', pidMax);
    c.end('');
    return { kind, pid };
  };
  const fdCmd = <K extends 'mmap' | 'munmap' | 'read' | 'reset'>(kind: K) => {
    const pid = c.uint('a pid', pidMax);
    const fd = c.uint('an fd', fdMax);
    c.end('');
    return { kind, pid, fd };
  };
  switch (word) {
    case 'spawn': {
      const name = c.name('a program name');
      const aarch32 = c.flag('aarch32');
      const cpu = c.optionalOn();
      c.end(cpu === null ? (aarch32 ? 'on CPU' : 'aarch32|on CPU') : '');
      return { kind: 'spawn', name, aarch32, cpu };
    }
    case 'thread':
    case 'fork': {
      const pid = c.uint('a pid', pidMax);
      const cpu = c.optionalOn();
      c.end(cpu === null ? 'on CPU' : '');
      return { kind: word, pid, cpu };
    }
    case 'open': {
      if (c.flag('cpu')) {
        const cpu = c.uint('a CPU', 1023);
        const event = c.oneOf<EventType>('an event', ['cycles', 'instructions']);
        const { seen, by } = parseOpenFlags(c, ['user', '64bit', 'cloexec'], true);
        return { kind: 'open-cpu', cpu, event, user: seen.has('user'), is64: seen.has('64bit'), cloexec: seen.has('cloexec'), by };
      }
      const pid = c.uint("a pid or 'cpu'", pidMax);
      const event = c.oneOf<EventType>('an event', ['cycles', 'instructions']);
      const { seen } = parseOpenFlags(c, ['user', '64bit', 'inherit', 'cloexec'], false);
      return { kind: 'open', pid, event, user: seen.has('user'), is64: seen.has('64bit'), inherit: seen.has('inherit'), cloexec: seen.has('cloexec') };
    }
    case 'close': {
      if (c.flag('cpu')) {
        const fd = c.uint('an fd', fdMax);
        c.end('');
        return { kind: 'close-cpu', fd };
      }
      const pid = c.uint("a pid or 'cpu'", pidMax);
      const fd = c.uint('an fd', fdMax);
      c.end('');
      return { kind: 'close', pid, fd };
    }
    case 'mmap':
    case 'munmap':
    case 'read':
    case 'reset':
      return fdCmd(word);
    case 'mrs': {
      const pid = c.uint('a pid', pidMax);
      const t = tokens[2];
      const reg = parseReg('mrs', t?.text, t?.column ?? lineLength + 1);
      const rest = tokens[3];
      if (rest) throw new Fail({ column: rest.column, message: `mrs: expected the end of the line at column ${rest.column}, got '${echo(rest.text)}'` });
      return { kind: 'mrs', pid, reg };
    }
    case 'msr': {
      // msr PID pmselr|pmccntr|pmevcntrN VALUE: PMSELR takes 32 bits, a counter 64 (the
      // counter keeps what fits its width).
      const pid = c.uint('a pid', pidMax);
      const t = tokens[2];
      const reg = parseReg('msr', t?.text, t?.column ?? lineLength + 1);
      c.skip();
      const value = reg.kind === 'pmselr' ? BigInt(c.uint('a value', 0xffff_ffff)) : c.big('a value', u64Max);
      c.end('');
      return { kind: 'msr', pid, reg, value };
    }
    case 'migrate': {
      const pid = c.uint('a pid', pidMax);
      const cpu = c.uint('a CPU', 1023);
      c.end('');
      return { kind: 'migrate', pid, cpu };
    }
    case 'exec32':
    case 'exec64':
    case 'exit':
    case 'sleep':
    case 'wake':
      return pidCmd(word);
    case 'switch': {
      const cpu = c.uint('a CPU', 1023);
      const pid = c.uint('a pid', pidMax);
      c.end('');
      return { kind: 'switch', cpu, pid };
    }
    case 'tick': {
      const n = c.peek() === undefined ? 1 : c.uint('a number of ticks one command may do (more: split it over several tick lines)', ticksPerCommandMax);
      c.end('');
      if (n === 0) throw new Fail({ column: tokens[1]!.column, message: 'tick: expected at least 1 tick' });
      return { kind: 'tick', n };
    }
    case 'run': {
      const cycles = c.big('a number of cycles', u64Max);
      c.end('');
      return { kind: 'run', cycles };
    }
    case 'ipi': {
      const mode = c.oneOf('a mode', ['manual', 'auto'] as const);
      c.end('');
      return { kind: 'ipi', mode };
    }
    case 'deliver': {
      const cpu = c.uint('a CPU', 1023);
      c.end('');
      return { kind: 'deliver', cpu };
    }
    case 'policy': {
      const name = c.name('a design name');
      c.end('');
      return { kind: 'policy', name };
    }
    case 'sysctl': {
      c.oneOf('a sysctl', ['perf_user_access'] as const);
      // Any int is written; the kernel's handler is what refuses one out of range (-EINVAL).
      const value = c.uint('a value', knobValueMax);
      c.end('');
      return { kind: 'knob', knob: 'perf_user_access', value };
    }
    case 'rdpmc': {
      const value = c.uint('a mode', knobValueMax);
      c.end('');
      return { kind: 'knob', knob: 'rdpmc', value };
    }
    case 'fault': {
      const name = c.oneOf<FaultName>('a fault', faultNames);
      const on = c.oneOf('on|off', ['on', 'off'] as const) === 'on';
      c.end('');
      return { kind: 'fault', name, on };
    }
    case 'check':
    case 'pause':
      c.end('');
      return { kind: word };
    case 'explain': {
      const n = c.peek() === undefined ? null : c.uint('a finding number', findingNumberMax);
      c.end('');
      return { kind: 'explain', n };
    }
    case 'why': {
      const cpu = c.uint('a CPU', 1023);
      c.end('');
      return { kind: 'why', cpu };
    }
    case 'say': {
      const text = c.string('a caption', sayLengthMax);
      c.end('');
      return { kind: 'say', text };
    }
    case 'expect':
      return parseExpect(c);
    case 'explore':
      return parseExplore(tokens.slice(1));
    case 'checkpoint': {
      const t = tokens[1];
      if (!t || !/^[0-9a-f]{16}$/.test(t.text)) {
        const column = t?.column ?? lineLength + 1;
        throw new Fail({ column, message: `checkpoint: expected a state hash (16 hex digits) at column ${column}${t ? `, got '${echo(t.text)}'` : ''}` });
      }
      const parts: [string, string][] = [];
      for (const p of tokens.slice(2)) {
        const m = /^([a-z][a-z0-9.]*)=([0-9a-f]{8})$/.exec(p.text);
        if (!m) throw new Fail({ column: p.column, message: `checkpoint: expected PART=HASH (8 hex digits) at column ${p.column}, got '${echo(p.text)}'` });
        parts.push([m[1]!, m[2]!]);
      }
      return { kind: 'checkpoint', hash: t.text, parts };
    }
    case 'back': {
      const n = c.peek() === undefined ? 1 : c.uint('a number of steps', backStepsMax);
      c.end('');
      if (n === 0) throw new Fail({ column: tokens[1]!.column, message: 'back: expected at least 1 step' });
      return { kind: 'back', n };
    }
    case 'help': {
      const t = tokens[1];
      if (t === undefined) return { kind: 'help', topic: null };
      if (t.quoted || !(commandWords.includes(t.text) || scenarioWords.includes(t.text) || t.text === 'marks')) {
        const near = nearWords(t.text);
        throw new Fail({ column: t.column, message: `help: no command '${echo(t.text)}'${near.startsWith(' (') ? near : ''}` });
      }
      c.skip();
      c.end('');
      return { kind: 'help', topic: t.text };
    }
    default: {
      if (playgroundWords.includes(word)) {
        throw new Fail({ column: head.column, message: `${word}: only in the playground's command line, not in a script` });
      }
      throw new Fail({ column: head.column, message: `unknown command '${echo(word)}'${nearWords(word)}` });
    }
  }
}

/** "Did you mean" for a word that is no command. */
function nearWords(word: string): string {
  const near = commandWords.filter((w) => w.startsWith(word.slice(0, 2))).slice(0, 4);
  return near.length > 0 ? ` (did you mean ${near.join(', ')}?)` : '; type help for the list';
}

/**
 * The forms of a command an error is about: the one whose fixed second word (`open cpu`,
 * `expect read`) the line has, else those without one (`open PID`); every form when the line
 * stops after the command word or names no form.
 */
function formsFor(tokens: Token[]): CommandSpec[] {
  const rows = specsOf(tokens[0]!.text);
  const second = tokens[1]?.text;
  if (second === undefined) return rows;
  const lead = (s: CommandSpec) => (s.args[0]?.t === 'word' ? s.args[0].word : null);
  const named = rows.filter((s) => lead(s) === second);
  if (named.length > 0) return named;
  const plain = rows.filter((s) => lead(s) === null);
  return plain.length > 0 ? plain : rows;
}

/** A parse error about a known command, with the usage of the form it is about. */
function withUsage(error: ParseError, tokens: Token[]): ParseError {
  // A program's command brings its own usage.
  if (error.message.includes('; usage: ')) return error;
  const forms = formsFor(tokens);
  if (forms.length === 0 || forms.every((s) => s.scope !== 'language')) return error;
  return { column: error.column, message: `${error.message}; usage: ${forms.map(usage).join(' or ')}` };
}

export function parseCommand(line: string): ParseResult {
  const tokens = tokenize(line);
  if (tokens instanceof Fail) return { ok: false, error: tokens.error };
  if (tokens.length === 0) return { ok: true, command: null };
  if (tokens[0]!.quoted) return { ok: false, error: { column: tokens[0]!.column, message: 'expected a command word, got a string' } };
  try {
    if (tokens[0]!.text === 'program') return { ok: true, command: parseProgram(line, tokens, parseCommand) };
    return { ok: true, command: parseTokens(tokens, line.length) };
  } catch (e) {
    if (e instanceof Fail) return { ok: false, error: withUsage(e.error, tokens) };
    throw e;
  }
}
