import { describe, expect, it } from 'vitest';
import { excludedFields, stateFields, stateHash, stateParts } from './hash.js';
import { play } from './session.js';
import { copyWorld } from './snapshot.js';
import type { World } from './world.js';

/**
 * One step down a path: an object's field, an array's element, a Map's value or its key (the
 * key itself is data: an fd, a pid), a Set's element.
 */
type Step = { field: string } | { index: number } | { value: unknown } | { key: unknown } | { element: unknown };
type Path = Step[];

function show(path: Path): string {
  return path.map((s) => ('field' in s ? `.${s.field}` : 'index' in s ? `[${s.index}]` : 'value' in s ? `{${String(s.value)}}` : 'key' in s ? `{${String(s.key)}}#key` : `<${String(s.element)}>`)).join('').slice(1);
}

/** The path with positions and keys blanked: `cpus[*].grant.seq`, `tasks{*}.fds{*}#key`. */
function pattern(path: Path): string {
  return show(path.map((s) => ('index' in s ? { index: -1 } : 'value' in s ? { value: '*' } : 'key' in s ? { key: '*' } : 'element' in s ? { element: '*' } : s))).replace(/\[-1\]/g, '[*]');
}

/**
 * Objects copyWorld shares with the original because the engine only ever replaces them (see
 * snapshot.ts); frozen objects (lifecycle states) are shared too. Anything else shared is a bug.
 */
const sharedByContract = [
  'config', 'cpus[*].grant', 'cpus[*].pendingIpis[*]', 'cpus[*].counters[*].lastOwner', 'cpus[*].cycleCounter.lastOwner',
  'tasks{*}.resume', 'tasks{*}.deferred', 'tasks{*}.fds[*]', 'events{*}.page', 'mms{*}.copiedFrom', 'log.items[*]', 'findings.items[*]',
];

/** Paths the hash leaves out, from hash.ts's own list. */
const excluded = [...excludedFields.world, ...excludedFields.cpu.map((f) => `cpus[*].${f}`)];
const isExcluded = (p: string) => excluded.some((e) => p === e || p.startsWith(`${e}.`) || p.startsWith(`${e}[`) || p.startsWith(`${e}{`));

function isObject(v: unknown): v is object {
  return v !== null && typeof v === 'object';
}

function child(parent: unknown, step: Step): unknown {
  if ('field' in step) return (parent as Record<string, unknown>)[step.field];
  if ('index' in step) return (parent as unknown[])[step.index];
  if ('value' in step) return (parent as Map<unknown, unknown>).get(step.value);
  if ('key' in step) return step.key;
  return step.element;
}

/** Every leaf (and every container, to grow) under `v`, with its path. */
function walk(v: unknown, path: Path, visit: (path: Path, v: unknown) => void): void {
  visit(path, v);
  if (!isObject(v)) return;
  if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, { index: i }], visit));
  else if (v instanceof Map) {
    for (const [k, x] of v) {
      visit([...path, { key: k }], k);
      walk(x, [...path, { value: k }], visit);
    }
  } else if (v instanceof Set) for (const x of v) visit([...path, { element: x }], x);
  else for (const [k, x] of Object.entries(v)) walk(x, [...path, { field: k }], visit);
}

function shallowCopy(v: object): object {
  if (Array.isArray(v)) return v.slice();
  if (v instanceof Map) return new Map(v);
  if (v instanceof Set) return new Set(v);
  return { ...v };
}

/** A key not in the Map or Set yet, of the same type as `like`. */
function freshKey(keys: Iterable<unknown>, like: unknown): unknown {
  const all = [...keys];
  if (typeof like === 'number') return Math.max(0, ...(all as number[])) + 1000;
  let s = `${String(like)}x`;
  while (all.includes(s)) s += 'x';
  return s;
}

function changed(v: unknown): unknown {
  switch (typeof v) {
    case 'number':
      return v + 1;
    case 'bigint':
      return v + 1n;
    case 'string':
      return `${v}x`;
    case 'boolean':
      return !v;
    default:
      return 1; // null or undefined: a value of the field's other type
  }
}

/**
 * In the copy, change the leaf at `path` (or grow the container there). Containers on the way
 * that copyWorld shares by contract, or that are frozen, are replaced by a changed copy, as
 * the engine replaces them; all others are changed in place.
 */
function change(world: World, path: Path, grow: boolean): void {
  let parent: unknown = world;
  // Below a shared object everything is shared too: it is replaced whole, never changed.
  let shared = false;
  for (let i = 0; i < path.length; i++) {
    const step = path[i]!;
    const last = i === path.length - 1;
    if (last && !grow) {
      setLeaf(parent, step);
      return;
    }
    let next = child(parent, step);
    shared ||= isObject(next) && (Object.isFrozen(next) || sharedByContract.includes(pattern(path.slice(0, i + 1))));
    if (shared && isObject(next)) {
      next = shallowCopy(next);
      setChild(parent, step, next);
    }
    parent = next;
  }
  // Grow the container at the end of the path.
  if (Array.isArray(parent)) parent.push(parent.length > 0 ? parent[0] : 1);
  else if (parent instanceof Map) parent.set(freshKey(parent.keys(), [...parent.keys()][0] ?? 0), 1);
  else if (parent instanceof Set) parent.add(freshKey(parent, [...parent][0] ?? 'x'));
}

function setChild(parent: unknown, step: Step, v: unknown): void {
  if ('field' in step) (parent as Record<string, unknown>)[step.field] = v;
  else if ('index' in step) (parent as unknown[])[step.index] = v;
  else if ('value' in step) (parent as Map<unknown, unknown>).set(step.value, v);
  else throw new Error('a key or element holds no child');
}

function setLeaf(parent: unknown, step: Step): void {
  if ('key' in step) {
    // The same entries in the same order, one key changed.
    const m = parent as Map<unknown, unknown>;
    const entries = [...m];
    const k = freshKey(m.keys(), step.key);
    m.clear();
    for (const [key, v] of entries) m.set(key === step.key ? k : key, v);
  } else if ('element' in step) {
    const s = parent as Set<unknown>;
    const elements = [...s];
    const e = freshKey(s, step.element);
    s.clear();
    for (const x of elements) s.add(x === step.element ? e : x);
  } else setChild(parent, step, changed(child(parent, step)));
}

function valueAt(world: World, path: Path): unknown {
  let v: unknown = world;
  for (const step of path) v = child(v, step);
  return v;
}

// A session that fills most of the world: threads, a queued task, counters and a chained pair,
// a per-CPU event, mappings, grants, findings and reported conditions, a task waiting for IPIs
// holding mmap_lock and a thread waiting for the lock, pending IPIs, faults, a halted CPU.
const session = `spawn a on 0
thread 100 on 1
spawn b on 2
thread 102 on 3
spawn c on 1
spawn d aarch32 on 3
open 100 cycles
open 100 instructions
open 101 instructions 64bit
open cpu 3 instructions
open 102 cycles
open 103 cycles
mmap 100 3
tick 3
read 100 3
mrs 104 pmccntr
msr 100 pmselr 3
switch 1 101
fault zero-extend on
fault cpumask-maintained on
ipi manual
mmap 102 3
mmap 103 3
deliver 1
munmap 100 3
open 105 cycles inherit
fork 105 on 3`;

describe('the state hash', () => {
  const { world } = play(session);
  const base = stateHash(world);
  const leaves: { path: Path; grow: boolean }[] = [];
  walk(world, [], (path, v) => {
    if (path.length === 0) return;
    if (!isObject(v)) leaves.push({ path, grow: false });
    else if (Array.isArray(v) || v instanceof Map || v instanceof Set) leaves.push({ path, grow: true });
  });

  it('the session reaches the rare fields', () => {
    const seen = new Set(leaves.map((l) => pattern(l.path)));
    for (const p of ['tasks{*}.resume.unlock', 'tasks{*}.deferred.op', 'calls{*}.waitingOn[*]', 'cpus[*].pendingIpis[*].fn', 'reported{*}.keys[*]',
      'cpus[*].grant.forMm', 'mms{*}.life.context.lockWaiters[*]', 'tasks{*}.fds[*].fd', 'mms{*}.design.pmu_direct_access', 'faults<*>', 'cpuFds{*}', 'cpus[*].counters[*].lastOwner.label', 'findingCounts{*}',
      'tasks{*}.perfContext[*]', 'mms{*}.copiedFrom.design.pmu_direct_access', 'events{*}.maps[*]', 'events{*}.parent']) {
      expect(seen, p).toContain(p);
    }
    expect(leaves.length).toBeGreaterThan(500);
  });

  it('changes when any field changes, except the fields it leaves out; a copy shares nothing the engine changes in place', () => {
    let hashed = 0;
    for (const { path, grow } of leaves) {
      const p = pattern(path);
      const before = valueAt(world, path);
      const copy = copyWorld(world);
      change(copy, path, grow);
      const where = `${show(path)}${grow ? ' (grown)' : ''}`;
      if (isExcluded(p)) expect(stateHash(copy), `${where} is left out of the hash`).toBe(base);
      else {
        expect(stateHash(copy), `${where} is hashed`).not.toBe(base);
        hashed++;
      }
      expect(stateHash(world), `changing ${where} in a copy changed the original`).toBe(base);
      if (!grow) expect(valueAt(world, path), `changing ${where} in a copy changed the original`).toBe(before);
    }
    expect(hashed).toBeGreaterThan(500);
  });

  it('copyWorld shares only frozen objects and those the engine replaces', () => {
    const copy = copyWorld(world);
    const shared: string[] = [];
    const pair = (a: unknown, b: unknown, path: Path) => {
      if (!isObject(a) || !isObject(b)) return;
      if (a === b) {
        const p = pattern(path);
        if (!Object.isFrozen(a) && !sharedByContract.includes(p)) shared.push(show(path));
        return;
      }
      if (Array.isArray(a)) a.forEach((x, i) => pair(x, (b as unknown[])[i], [...path, { index: i }]));
      else if (a instanceof Map) for (const [k, x] of a) pair(x, (b as Map<unknown, unknown>).get(k), [...path, { value: k }]);
      else if (!(a instanceof Set)) for (const [k, x] of Object.entries(a)) pair(x, (b as Record<string, unknown>)[k], [...path, { field: k }]);
    };
    pair(world, copy, []);
    expect(shared).toEqual([]);
  });

  it('is the same for a copy, and for a copy whose lifecycle states are not frozen (structuredClone)', () => {
    expect(stateHash(copyWorld(world))).toBe(base);
    expect(stateHash(structuredClone(world))).toBe(base);
  });

  it('splits into parts that each change with their own fields', () => {
    const parts = new Map(stateParts(world));
    expect([...parts.keys()]).toEqual(['world', ...world.cpus.flatMap((c) => [`cpu${c.id}`, `cpu${c.id}.counters`]), 'tasks', 'mms', 'events', 'findings']);
    const cases: [string, (w: World) => void][] = [
      ['world', (w) => { w.tick++; }],
      ['cpu2', (w) => { w.cpus[2]!.pmselr++; }],
      ['cpu2.counters', (w) => { w.cpus[2]!.counters[1]!.value++; }],
      ['tasks', (w) => { w.tasks.get(101)!.sigills++; }],
      ['mms', (w) => { w.mms.get(1)!.users++; }],
      // A user page is shared by copies and replaced, never changed in place (snapshot.ts).
      ['events', (w) => { const ev = w.events.get(1)!; ev.page = { ...ev.page, lock: ev.page.lock + 2 }; }],
      ['findings', (w) => { w.findingCounts.set('leak/pmselr', 9); }],
    ];
    for (const [part, edit] of cases) {
      const copy = copyWorld(world);
      edit(copy);
      const now = stateParts(copy).filter(([p, h]) => parts.get(p) !== h).map(([p]) => p);
      expect(now, part).toEqual([part]);
    }
  });

  it('gives readable fields for people comparing worlds', () => {
    const f = stateFields(world);
    expect(Object.keys(f)).toContain('tasks.100');
    expect(f['cpu0.counters']).toMatch(/^cycleCounter:\{id:31,value:\d+n/);
    expect(Object.keys(f).some((k) => k.startsWith('log') || k.startsWith('findings'))).toBe(false);
  });
});
