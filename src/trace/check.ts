/**
 * The Trace Event Format's rules, checked on a trace file's text as a viewer would read it: an
 * independent reader for the tests (it knows nothing of how build.ts lays a trace out). It
 * returns every broken rule as a sentence; an empty list means the trace keeps them all.
 *
 * - the text is JSON: an object with a `traceEvents` array (or the bare array form);
 * - as Perfetto's importer reads it: `traceEvents` is the object's first key (it stops at a
 *   top-level key it does not know), no `displayTimeUnit` (it takes it for the unit of `ts`),
 *   no event has an array as a top-level value (it scans for `ts` and fails at one), and no
 *   name holds a control character (JSON's `\u` escape of it fails the same scan);
 * - every event has a known `ph`, a string `name`, integer `pid` and `tid`, a finite `ts` >= 0;
 * - `X` has a finite `dur` >= 0; `C` has numeric args; `i` a valid scope; `M` args;
 * - per track (pid, tid), in file order, slice times never go back, `B`/`E` pairs match
 *   last-in first-out (by name, when an `E` has one), and slices nest: none ends after the
 *   slice it starts in;
 * - per counter track (pid, name), sample times never go back;
 * - every flow id has one start (`s`) and one end (`f`), with the same `cat` and `name`, the end
 *   not before the start, and each end inside a slice of its track to bind to.
 */
import { type Phase, phases } from './trace-event.js';

type Raw = Record<string, unknown>;

interface Open {
  kind: 'B' | 'X';
  name: string;
  /** An `X`'s end; a `B` ends at its `E`. */
  end: number;
}

const isInt = (v: unknown) => typeof v === 'number' && Number.isInteger(v);
const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

export function checkTrace(text: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    return [`not JSON: ${(e as Error).message}`];
  }
  const list = Array.isArray(parsed) ? parsed : (parsed as Raw | null)?.['traceEvents'];
  if (!Array.isArray(list)) return ['no traceEvents array'];
  const problems: string[] = [];
  if (!Array.isArray(parsed)) {
    const keys = Object.keys(parsed as Raw);
    if (keys[0] !== 'traceEvents') problems.push(`traceEvents is not the first key (${keys.join(', ')}): Perfetto skips the rest after a key it does not know`);
    if (keys.includes('displayTimeUnit')) problems.push('displayTimeUnit: Perfetto reads it as the unit of ts, chrome://tracing as a display setting');
  }
  const say = (i: number, what: string) => {
    if (problems.length < 50) problems.push(`event ${i}: ${what}`);
  };
  const stacks = new Map<string, Open[]>();
  const lastTs = new Map<string, number>();
  const flows = new Map<number | string, { s: Raw[]; f: Raw[] }>();

  list.forEach((raw: unknown, i) => {
    if (raw === null || typeof raw !== 'object') return say(i, 'not an object');
    const e = raw as Raw;
    if (Object.values(e).some((v) => Array.isArray(v))) say(i, 'an array as a top-level value (Perfetto cannot find ts past it)');
    const ph = e['ph'];
    if (typeof ph !== 'string' || !phases.includes(ph as Phase)) return say(i, `unknown ph ${JSON.stringify(ph)}`);
    if (typeof e['name'] !== 'string') say(i, 'no name');
    // eslint-disable-next-line no-control-regex
    else if (/[\x00-\x1f\x7f-\x9f]/.test(e['name'])) say(i, 'a control character in a name (JSON writes it as a \\u escape, which Perfetto cannot read before ts)');
    if (!isInt(e['pid']) || !isInt(e['tid'])) return say(i, 'pid and tid must be integers');
    if (!isTime(e['ts'])) return say(i, `bad ts ${JSON.stringify(e['ts'])}`);
    const ts = e['ts'];
    const name = e['name'] as string;
    if (ph === 'M') {
      if (typeof e['args'] !== 'object' || e['args'] === null) say(i, 'metadata without args');
      return;
    }
    if (ph === 'C') {
      const args = e['args'];
      const values = args !== null && typeof args === 'object' ? Object.values(args) : [];
      if (values.length === 0 || !values.every((v) => typeof v === 'number' && Number.isFinite(v))) say(i, 'a counter needs numeric args');
      const key = `${e['pid']} C ${name}`;
      if (ts < (lastTs.get(key) ?? 0)) say(i, `counter ${name} goes back in time`);
      lastTs.set(key, ts);
      return;
    }
    const track = `${e['pid']}/${e['tid']}`;
    if (ts < (lastTs.get(track) ?? 0)) say(i, `track ${track} goes back in time (${ts} after ${lastTs.get(track)})`);
    lastTs.set(track, ts);
    const stack = stacks.get(track) ?? [];
    stacks.set(track, stack);
    // Complete slices that ended by now are closed.
    while (stack.length > 0 && stack[stack.length - 1]!.kind === 'X' && stack[stack.length - 1]!.end <= ts) stack.pop();
    const top = stack[stack.length - 1];
    switch (ph) {
      case 'B':
        stack.push({ kind: 'B', name, end: Infinity });
        break;
      case 'E':
        if (!top) say(i, `E on ${track} with no open slice`);
        else if (top.kind === 'X') say(i, `E on ${track} inside the complete slice '${top.name}', which ends later: slices do not nest`);
        else {
          // Perfetto matches an E to the open B by its name (and category) when it has one.
          if (name !== '' && name !== top.name) say(i, `E '${name}' on ${track} ends the open slice '${top.name}'`);
          stack.pop();
        }
        break;
      case 'X': {
        const dur = e['dur'];
        if (!isTime(dur)) {
          say(i, `complete slice '${name}' without a duration`);
          break;
        }
        if (top && top.end < ts + dur) say(i, `'${name}' on ${track} ends after '${top.name}', which it starts in: slices do not nest`);
        stack.push({ kind: 'X', name, end: ts + dur });
        break;
      }
      case 'i':
        if (e['s'] !== undefined && !['t', 'p', 'g'].includes(e['s'] as string)) say(i, `instant scope ${JSON.stringify(e['s'])}`);
        break;
      case 's':
      case 'f': {
        const id = e['id'];
        if (typeof id !== 'number' && typeof id !== 'string') {
          say(i, 'a flow event without an id');
          break;
        }
        if (!top) say(i, `flow ${id} ${ph === 's' ? 'starts' : 'ends'} outside any slice of ${track}: nothing to bind to`);
        const f = flows.get(id) ?? { s: [], f: [] };
        flows.set(id, f);
        f[ph].push(e);
        break;
      }
    }
  });
  for (const [track, stack] of stacks) {
    const open = stack.filter((o) => o.kind === 'B');
    if (open.length > 0) problems.push(`track ${track}: ${open.length} B without E (${open.map((o) => o.name).join(', ')})`);
  }
  for (const [id, f] of flows) {
    if (f.s.length !== 1 || f.f.length !== 1) {
      problems.push(`flow ${id}: ${f.s.length} start(s) and ${f.f.length} end(s), not one of each`);
      continue;
    }
    const [s, end] = [f.s[0]!, f.f[0]!];
    if (s['cat'] !== end['cat'] || s['name'] !== end['name']) problems.push(`flow ${id}: start and end differ in cat or name`);
    if ((end['ts'] as number) < (s['ts'] as number)) problems.push(`flow ${id}: ends before it starts`);
  }
  return problems;
}
