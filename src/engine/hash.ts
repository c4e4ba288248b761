/**
 * The state hash: 64 bits (16 hex digits) over every field of the world, by construction — a
 * generic walk of the plain world (objects, arrays, Maps, Sets, bigints, numbers, strings,
 * booleans, null), so a field added to the world is hashed without a line here. Same seed and
 * commands give the same hash on any machine; `checkpoint HASH` lines in a recording prove a
 * replay reproduced the world, and the per-part hashes say which part differs.
 *
 * Order: objects in key order (the order the engine built them in: each kind of object is built
 * in one place, and copies keep the order), arrays in index order, Maps and Sets in insertion
 * order. Nothing is sorted, on purpose: insertion order is state. A task's `fds` is walked in
 * that order when its events are scheduled in, which decides which counter each one gets, so
 * two worlds whose fd tables differ only in order behave differently and must hash apart.
 * Field names are not hashed (that would cost more than the values): a field is known by its
 * position, and each object ends with its field count, so a value cannot slide into the next
 * object unnoticed.
 *
 * Each value goes to the hasher as 32-bit words, never as text: a small integer is one word
 * (top bit clear); everything else is a tag word (top bit set) and a fixed or counted payload,
 * so the encoding is prefix-free. Frozen objects (lifecycle states: interned, never changed)
 * are walked once and their words remembered by identity.
 */
import type { World } from './world.js';

/**
 * Fields left out, and why. Everything else is hashed.
 * - `log`, `findings`: history, not state — nothing the engine does next reads them (the
 *   findings ring is also a copy of log lines, and its total is the sum of `findingCounts`).
 */
export const excludedFields = { world: ['log', 'findings'], cpu: [] as string[] } as const;

const worldExcluded = new Set<string>(excludedFields.world);
const cpuExcluded = new Set<string>(excludedFields.cpu);

/** Tags (top bit set); a word with the top bit clear is a small non-negative integer. */
const TAG_NULL = 0x80000001;
const TAG_UNDEFINED = 0x80000002;
const TAG_FALSE = 0x80000003;
const TAG_TRUE = 0x80000004;
const TAG_INT = 0x80000005; // + low word, high word
const TAG_FLOAT = 0x80000006; // + two words of the float64
const TAG_BIGINT = 0x80000007; // + low word, high word: 0 <= v < 2^64
const TAG_BIGINT_LONG = 0x80000008; // + sign, limb count, 32-bit limbs
const TAG_STRING = 0x80000009; // + length, two UTF-16 units a word
const TAG_STRING_LONG = 0x8000000a; // + the string's two-word digest
const TAG_ARRAY = 0x8000000b; // + length, elements
const TAG_MAP = 0x8000000c; // + size, key and value pairs
const TAG_SET = 0x8000000d; // + size, elements
const TAG_OBJECT = 0x8000000e; // fields, then TAG_END and the field count
const TAG_END = 0x8000000f;

const two32 = 2 ** 32;
const u64Max = (1n << 64n) - 1n;

/**
 * The words of one walk, appended to one buffer and hashed afterwards in a tight loop (cheaper
 * than mixing as we go). Grows as needed; one walk at a time (the engine is single-threaded).
 */
class Words {
  buf = new Int32Array(1 << 14);
  len = 0;
}
const out = new Words();

function grow(): void {
  const bigger = new Int32Array(out.buf.length * 2);
  bigger.set(out.buf);
  out.buf = bigger;
}

function put(w: number): void {
  if (out.len === out.buf.length) grow();
  out.buf[out.len++] = w;
}

/** u64 bigints and floats go in as their bytes, low word first on every machine. */
const big = new BigUint64Array(1);
const float = new Float64Array(big.buffer);
const halves = new Uint32Array(big.buffer);
const lowFirst = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const LO = lowFirst ? 0 : 1;
const HI = lowFirst ? 1 : 0;

/**
 * Hash words [from, to) of the buffer — or, given `spans`, the words of each [from, to) pair in
 * turn, as one run: two 32-bit lanes (murmur3's block mix, and a multiply-xorshift fed the same
 * block), each finished with murmur3's fmix32 and folded into the other.
 */
function digest(from: number, to: number, spans: readonly number[] = [from, to]): [number, number] {
  let a = 0x9747b28c;
  let b = 0x2545f491;
  let n = 0;
  const words = out.buf;
  for (let s = 0; s < spans.length; s += 2) {
    const end = spans[s + 1]!;
    n += end - spans[s]!;
    for (let i = spans[s]!; i < end; i++) {
      const w = words[i]!;
      let k = Math.imul(w, 0xcc9e2d51);
      k = (k << 15) | (k >>> 17);
      k = Math.imul(k, 0x1b873593);
      a ^= k;
      a = (a << 13) | (a >>> 19);
      a = (Math.imul(a, 5) + 0xe6546b64) | 0;
      b = Math.imul(b ^ w, 0x85ebca6b);
      b ^= (b >>> 15) ^ k;
    }
  }
  a = fmix(a ^ Math.imul(b, 0x27d4eb2f) ^ n);
  b = fmix(b ^ a);
  return [a >>> 0, b >>> 0];
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

function hex(d: [number, number]): string {
  return d[0].toString(16).padStart(8, '0') + d[1].toString(16).padStart(8, '0');
}

/** Strings longer than this are hashed once and remembered (a Map lookup costs about what four words do); shorter ones go in inline. */
const shortString = 4;
/** Remembered string digests; past this the table starts again (speed, not correctness, is lost). */
const stringsKeptMax = 8192;
let strings = new Map<string, [number, number]>();

function putString(s: string): void {
  if (s.length <= shortString) {
    put(TAG_STRING);
    putChars(s);
    return;
  }
  let d = strings.get(s);
  if (!d) {
    const at = out.len;
    putChars(s);
    d = digest(at, out.len);
    out.len = at;
    if (strings.size >= stringsKeptMax) strings = new Map();
    strings.set(s, d);
  }
  put(TAG_STRING_LONG);
  put(d[0]);
  put(d[1]);
}

function putChars(s: string): void {
  const n = s.length;
  put(n);
  let i = 0;
  for (; i + 1 < n; i += 2) put((s.charCodeAt(i) << 16) | s.charCodeAt(i + 1));
  if (i < n) put(s.charCodeAt(i));
}

function putNumber(v: number): void {
  if (Number.isSafeInteger(v)) {
    put(TAG_INT);
    put(v >>> 0);
    put(Math.floor(v / two32) | 0);
  } else {
    float[0] = v;
    put(TAG_FLOAT);
    put(halves[LO]!);
    put(halves[HI]!);
  }
}

function putBigint(v: bigint): void {
  if (v >= 0n && v <= u64Max) {
    // The common case (counts, counter values, cycles are u64): two words, no bigint arithmetic.
    big[0] = v;
    put(TAG_BIGINT);
    put(halves[LO]!);
    put(halves[HI]!);
    return;
  }
  put(TAG_BIGINT_LONG);
  put(v < 0n ? 1 : 0);
  let m = v < 0n ? -v : v;
  const limbs: number[] = [];
  while (m > 0n) {
    limbs.push(Number(BigInt.asUintN(32, m)));
    m >>= 32n;
  }
  put(limbs.length);
  for (const l of limbs) put(l);
}

/**
 * The words of frozen objects, by identity: they never change, so they are walked once and
 * their words copied after that. The words are the same a walk would give, so a copy that is
 * not frozen (structuredClone of a lifecycle state) hashes the same.
 */
const frozenWords = new WeakMap<object, Int32Array>();

/** Is every object under `o` frozen? Only then may its words be remembered. */
function deeplyFrozen(o: object): boolean {
  if (!Object.isFrozen(o)) return false;
  for (const k in o) {
    const v = (o as Record<string, unknown>)[k];
    if (v !== null && typeof v === 'object' && !frozenWords.has(v) && !deeplyFrozen(v)) return false;
  }
  return true;
}

function putFrozen(o: object): void {
  const words = frozenWords.get(o);
  if (words === undefined) {
    const at = out.len;
    putObject(o);
    if (deeplyFrozen(o)) frozenWords.set(o, out.buf.slice(at, out.len));
    return;
  }
  while (out.len + words.length > out.buf.length) grow();
  out.buf.set(words, out.len);
  out.len += words.length;
}

function putObject(o: object): void {
  put(TAG_OBJECT);
  let n = 0;
  for (const k in o) {
    putValue((o as Record<string, unknown>)[k]);
    n++;
  }
  put(TAG_END);
  put(n);
}

/** Append any plain value. */
function putValue(v: unknown): void {
  if (typeof v === 'number') {
    if ((v | 0) === v && v >= 0) put(v);
    else putNumber(v);
  } else if (v === null) put(TAG_NULL);
  else if (typeof v === 'object') {
    const proto = Object.getPrototypeOf(v);
    if (proto === Object.prototype) {
      if (Object.isFrozen(v)) putFrozen(v);
      else putObject(v);
    } else if (proto === Array.prototype) {
      const a = v as unknown[];
      put(TAG_ARRAY);
      put(a.length);
      for (let i = 0; i < a.length; i++) putValue(a[i]);
    } else if (proto === Map.prototype) {
      const m = v as Map<unknown, unknown>;
      put(TAG_MAP);
      put(m.size);
      m.forEach(putEntry);
    } else if (proto === Set.prototype) {
      const m = v as Set<unknown>;
      put(TAG_SET);
      put(m.size);
      m.forEach(putValue);
    } else throw new Error('engine bug: the world holds an object that is not plain data');
  } else if (typeof v === 'bigint') putBigint(v);
  else if (typeof v === 'string') putString(v);
  else if (typeof v === 'boolean') put(v ? TAG_TRUE : TAG_FALSE);
  else if (v === undefined) put(TAG_UNDEFINED);
  else throw new Error(`engine bug: the world holds a ${typeof v}, which is not plain data`);
}

function putEntry(v: unknown, k: unknown): void {
  putValue(k);
  putValue(v);
}

/** The part of the state a top-level world field belongs to, if not `world` (`cpus` is split per CPU). */
const partOfField = new Map([['tasks', 'tasks'], ['mms', 'mms'], ['events', 'events'], ['findingCounts', 'findings'], ['reported', 'findings']]);

/** A CPU's fields that are its counters' part. */
const counterFields = new Set(['counters', 'cycleCounter']);

/**
 * Append the world's hashed fields in order, noting which part each run of words belongs to
 * (`note(part, from)` is called as a part begins). Exclusions and the part split are the only
 * special cases: any other field is walked as it is.
 */
function putWorld(world: World, note?: (part: string, from: number) => void): void {
  out.len = 0;
  const w = world as unknown as Record<string, unknown>;
  note?.('world', out.len);
  put(TAG_OBJECT);
  let n = 0;
  for (const k in w) {
    if (worldExcluded.has(k)) continue;
    n++;
    if (k !== 'cpus') {
      const part = partOfField.get(k);
      if (part !== undefined) note?.(part, out.len);
      putValue(w[k]);
      if (part !== undefined) note?.('world', out.len);
      continue;
    }
    put(TAG_ARRAY);
    put(world.cpus.length);
    for (const cpu of world.cpus) {
      const c = cpu as unknown as Record<string, unknown>;
      const own = `cpu${cpu.id}`;
      note?.(own, out.len);
      put(TAG_OBJECT);
      let fields = 0;
      for (const f in c) {
        if (cpuExcluded.has(f)) continue;
        const counters = counterFields.has(f);
        if (counters) note?.(`${own}.counters`, out.len);
        putValue(c[f]);
        if (counters) note?.(own, out.len);
        fields++;
      }
      put(TAG_END);
      put(fields);
    }
    note?.('world', out.len);
  }
  put(TAG_END);
  put(n);
}

/** The hash of every field of the world but those in `excludedFields`. */
export function stateHash(world: World): string {
  putWorld(world);
  return hex(digest(0, out.len));
}

/** Per-part hashes (8 hex digits each), in a fixed order: world, each CPU and its counters, tasks, mms, events, findings. */
export function stateParts(world: World): [string, string][] {
  // Each part's runs of words, [from, to) in the buffer, in walk order.
  const runs = new Map<string, number[]>();
  let current = '';
  let from = 0;
  putWorld(world, (part, at) => {
    if (current !== '' && at > from) runs.get(current)!.push(from, at);
    current = part;
    from = at;
    if (!runs.has(part)) runs.set(part, []);
  });
  if (out.len > from) runs.get(current)!.push(from, out.len);
  const parts: [string, string][] = [];
  for (const [part, spans] of runs) parts.push([part, hex(digest(0, 0, spans)).slice(0, 8)]);
  return parts;
}

/** A value as canonical text, for a person comparing two worlds. */
function text(v: unknown): string {
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null || typeof v !== 'object') return String(v);
  if (Array.isArray(v)) return `[${v.map(text).join(',')}]`;
  if (v instanceof Map) return `Map{${[...v].map(([k, x]) => `${text(k)}=>${text(x)}`).join(',')}}`;
  if (v instanceof Set) return `Set{${[...v].map(text).join(',')}}`;
  return `{${Object.entries(v).map(([k, x]) => `${k}:${text(x)}`).join(',')}}`;
}

/**
 * The hashed state as text, field by field, in the hash's order: each top-level field, a CPU
 * as `cpuN` and `cpuN.counters`, and each entry of a Map of records as `field.key` (`tasks.100`).
 * For people and tests comparing worlds; the hash does not build it.
 */
export function stateFields(world: World): Record<string, string> {
  const f: Record<string, string> = {};
  for (const [k, v] of Object.entries(world)) {
    if (worldExcluded.has(k)) continue;
    if (k === 'cpus') {
      for (const cpu of world.cpus) {
        const own: string[] = [];
        const counters: string[] = [];
        for (const [field, x] of Object.entries(cpu)) {
          if (!cpuExcluded.has(field)) (counterFields.has(field) ? counters : own).push(`${field}:${text(x)}`);
        }
        f[`cpu${cpu.id}`] = own.join(' ');
        f[`cpu${cpu.id}.counters`] = counters.join(' ');
      }
    } else if (v instanceof Map && [...v.values()].every((x) => x !== null && typeof x === 'object')) {
      f[k] = `${v.size} entries`;
      for (const [key, x] of v) f[`${k}.${key}`] = text(x);
    } else f[k] = text(v);
  }
  return f;
}

/** Hash any text (for tools and tests that want a short fingerprint). */
export function hashText(s: string): string {
  out.len = 0;
  putChars(s);
  return hex(digest(0, out.len));
}

/** What a differing part means to a person. */
export function describePart(part: string): string {
  const cpu = /^cpu(\d+)(\.counters)?$/.exec(part);
  if (cpu) return cpu[2] ? `CPU ${cpu[1]}'s counters (values, owners, overflow flags)` : `CPU ${cpu[1]} (mode, task, loaded mm, PMUSERENR/PMUACR/PCE and grant, PMSELR, run queue, IPIs, per-CPU events and their rotation)`;
  return (
    { tasks: 'the tasks (state, CPU, mm, fds, cycles, perf context and its rotation)', mms: 'the mms (users, access count, mmap_lock, mappings)', events: 'the perf events (counts, counters, user pages)', findings: "the monitor's findings", world: "the world's clock, PRNG, settings, IPI calls or per-CPU fds" } as Record<string, string>
  )[part] ?? part;
}

