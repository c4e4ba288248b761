/**
 * The scenario lines of `pmuplay explore` (explore.ts): `explore KEY=VALUE…` (the search's
 * bounds) and `program PID: CMD; CMD; …` (what one task does). Part of the one parser: a
 * program's commands go through `parseCommand` (passed in, so parse.ts, which calls these,
 * is not imported back), at their own columns in the line.
 */
import { type Command, type ExploreBounds, type ProgramCommand, exploreKeys, programKinds } from './command.js';
import { Fail, type ParseError, type Token, echo, parseUint, pidMax } from './lex.js';
import { exploreChoicesMax, exploreDepthMax, exploreStatesMax, exploreWalksMax, programLengthMax } from './limits.js';

/** The largest value each numeric `explore` key takes, and the smallest. */
const exploreRanges: Record<Exclude<(typeof exploreKeys)[number], 'ipi'>, [number, number]> = {
  switches: [0, exploreChoicesMax],
  migrations: [0, exploreChoicesMax],
  ticks: [0, exploreChoicesMax],
  depth: [1, exploreDepthMax],
  states: [1, exploreStatesMax],
  walks: [0, exploreWalksMax],
  seed: [0, 0xffff_ffff],
};

/** `explore [ipi=any|auto] [switches=N] [migrations=N] [ticks=N] [depth=N] [states=N] [walks=N] [seed=N]`: each key once, in any order. */
export function parseExplore(tokens: Token[]): Command {
  const bounds: ExploreBounds = {};
  for (const t of tokens) {
    const eq = t.text.indexOf('=');
    const key = eq < 0 ? t.text : t.text.slice(0, eq);
    if (t.quoted || eq < 1 || !(exploreKeys as readonly string[]).includes(key)) {
      throw new Fail({ column: t.column, message: `explore: expected KEY=VALUE (${exploreKeys.join(', ')}) at column ${t.column}, got '${echo(t.text)}'` });
    }
    const k = key as (typeof exploreKeys)[number];
    if (bounds[k] !== undefined) throw new Fail({ column: t.column, message: `explore: ${k} given twice at column ${t.column}` });
    const text = t.text.slice(eq + 1);
    if (k === 'ipi') {
      if (text !== 'any' && text !== 'auto') throw new Fail({ column: t.column, message: `explore: ipi takes any|auto at column ${t.column}, got '${echo(text)}'` });
      bounds.ipi = text;
      continue;
    }
    const [lo, hi] = exploreRanges[k];
    const v = parseUint(text);
    if (v === null || v < BigInt(lo) || v > BigInt(hi)) {
      throw new Fail({ column: t.column, message: `explore: ${k} takes a whole number from ${lo} to ${hi} at column ${t.column}, got '${echo(text)}'` });
    }
    bounds[k] = Number(v);
  }
  // Canonical order, so formatting gives the line back whatever order it was typed in.
  const ordered: ExploreBounds = {};
  for (const k of exploreKeys) if (bounds[k] !== undefined) (ordered as Record<string, unknown>)[k] = bounds[k];
  return { kind: 'explore', bounds: ordered };
}

/** Where each `;`-separated command of a program starts and ends in `line` (a `;` or `#` in quotes is text). */
function programPieces(line: string, from: number): [number, number][] {
  const pieces: [number, number][] = [];
  let start = from;
  let quoted = false;
  let i = from;
  for (; i < line.length; i++) {
    const ch = line[i];
    if (quoted && ch === '\\') i++;
    else if (ch === '"') quoted = !quoted;
    else if (!quoted && ch === ';') {
      pieces.push([start, i]);
      start = i + 1;
    } else if (!quoted && ch === '#') break;
  }
  pieces.push([start, i]);
  return pieces;
}

/** The task that performs a program command: its pid, or `by` for a per-CPU event. */
function actorOf(c: ProgramCommand): number | null {
  return c.kind === 'open-cpu' ? c.by : c.pid;
}

/**
 * `program PID: CMD; CMD; …`: what task PID does, in order, for `pmuplay explore`. Each
 * command is parsed by the one parser, at its own columns in the line; each must be one the
 * task itself performs (`programKinds`) and name PID as the task.
 */
export function parseProgram(line: string, tokens: Token[], parseCommand: (line: string) => { ok: true; command: Command | null } | { ok: false; error: ParseError }): Command {
  const head = tokens[1];
  const m = head && !head.quoted ? /^([0-9][0-9_x]*):$/.exec(head.text) : null;
  const pid = m ? parseUint(m[1]!) : null;
  if (!head || pid === null || pid > BigInt(pidMax)) {
    const column = head?.column ?? line.length + 1;
    throw new Fail({ column, message: `program: expected a pid and a colon (100:) at column ${column}, ${head ? `got '${echo(head.text)}'` : 'the line ended'}` });
  }
  const commands: ProgramCommand[] = [];
  for (const [start, end] of programPieces(line, head.column - 1 + head.text.length)) {
    // Padded to its place in the line, so every column an error names is the line's.
    const r = parseCommand(' '.repeat(start) + line.slice(start, end));
    if (!r.ok) throw new Fail(r.error);
    const column = start + 1 + (line.slice(start, end).length - line.slice(start, end).trimStart().length);
    if (!r.command) throw new Fail({ column, message: `program: expected a command at column ${column}${end < line.length ? `, got '${line[end]}'` : ', the line ended'}` });
    const c = r.command;
    if (!(programKinds as readonly string[]).includes(c.kind)) {
      throw new Fail({ column, message: `program: '${echo(formatWord(line, start, end))}' is not something a task does itself; a program holds ${[...new Set(programKinds.map((k) => k.split('-')[0]))].join(', ')}` });
    }
    const own = c as ProgramCommand;
    if (actorOf(own) !== Number(pid)) {
      throw new Fail({ column, message: `program ${pid}: '${echo(line.slice(start, end).trim())}' is task ${actorOf(own) ?? 'none'}'s; a program holds its own task's commands (task ${pid})` });
    }
    if (commands.length === programLengthMax) throw new Fail({ column, message: `program: at most ${programLengthMax} commands a line` });
    commands.push(own);
  }
  return { kind: 'program', pid: Number(pid), commands };
}

/** The command word of a piece of a line. */
function formatWord(line: string, start: number, end: number): string {
  return line.slice(start, end).trim().split(/\s+/)[0] ?? '';
}
