/**
 * The few types of the Trace Event Format (the "Chrome JSON" format that ui.perfetto.dev and
 * chrome://tracing open) that a pmuplay timeline uses, and its serialisation. The object form,
 * `{ traceEvents: [...], otherData: {...} }`, in that order: Perfetto's importer stops at the
 * first top-level key it does not know, so the events come first. Timestamps (`ts`) and
 * durations (`dur`) are in microseconds, as the format fixes; fractions are allowed (we write
 * nanoseconds as thousandths). No `displayTimeUnit`: chrome://tracing only shows times in it,
 * but Perfetto reads it as the unit of `ts` (`"ns"` would make every time 1,000 times shorter).
 *
 * Phases used, as the format defines them:
 * - `B` / `E`: a slice begins / ends on a thread track (matched last-in first-out per track);
 * - `X`: a complete slice, with `dur`;
 * - `i`: an instant, `s` its scope (`t` thread, `p` process, `g` global);
 * - `C`: a counter sample; each numeric arg is a series (Perfetto names the track `name arg`);
 * - `s` / `f`: a flow's start and end, paired by `id` (with the same `cat` and `name`); `bp: "e"`
 *   binds the end to the slice that encloses it, as Perfetto's importer reads it;
 * - `M`: metadata (`process_name`, `thread_name`, `process_sort_index`, `thread_sort_index`).
 *
 * No writer library: the npm ones (`chrome-trace-event`, `trace-event-lib`) are Node streams
 * that stamp events with the real clock; a timeline of simulated time built as a pure value
 * needs only these types.
 */

export type Phase = 'B' | 'E' | 'X' | 'i' | 'C' | 's' | 'f' | 'M';

/** Every phase this module writes, and the only ones the checker (check.ts) accepts. */
export const phases: readonly Phase[] = ['B', 'E', 'X', 'i', 'C', 's', 'f', 'M'];

/** Arguments shown with an event: JSON values only (a bigint is written as a decimal string). */
export type Args = Record<string, unknown>;

export interface TraceEvent {
  ph: Phase;
  name: string;
  /** Microseconds. */
  ts: number;
  pid: number;
  tid: number;
  cat?: string;
  /** `X` only: microseconds. */
  dur?: number;
  /** `i` only: the instant's scope. */
  s?: 't' | 'p' | 'g';
  /** `s` / `f`: the flow's id. */
  id?: number;
  /** `f`: bind to the enclosing slice. */
  bp?: 'e';
  args?: Args;
}

export interface TraceFile {
  traceEvents: TraceEvent[];
  /** Free-form metadata about the trace (chrome://tracing shows it under "Metadata"). */
  otherData: Record<string, string | number>;
}

/** Nanoseconds as the format's microseconds (exact to the nanosecond below 2^53 ns, 104 days). */
export function micros(ns: number): number {
  return ns / 1000;
}

/** Args made JSON-safe: bigints become decimal strings, everything else as it is. */
export function jsonArgs(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return value.map(jsonArgs);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = jsonArgs(v);
    return out;
  }
  return value;
}

/**
 * The file's text: one event a line, so a diff or `grep` of two traces reads well. Each event's
 * keys in the order of `TraceEvent` (`ph`, `name`, `ts` first; Perfetto finds `ts` by scanning
 * the keys before it, and gives up at an array), its values never arrays.
 */
export function traceJson(file: TraceFile): string {
  const events = file.traceEvents.map((e) => JSON.stringify(e));
  return `{"traceEvents":[\n${events.join(',\n')}\n],\n"otherData":${JSON.stringify(file.otherData)}}\n`;
}
