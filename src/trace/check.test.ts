import { describe, expect, it } from 'vitest';
import { checkTrace } from './check.js';

/** A trace of `events` (each given pid 1, tid 1 unless it says). */
const trace = (...events: object[]) => JSON.stringify({ traceEvents: events.map((e) => ({ pid: 1, tid: 1, name: 'x', ...e })) });

describe('the Trace Event format checker', () => {
  it('passes a trace that keeps every rule: nesting, B/E pairs, a flow between two slices, counters, metadata', () => {
    const ok = trace(
      { ph: 'M', name: 'process_name', ts: 0, args: { name: 'CPU 0' } },
      { ph: 'B', ts: 0 },
      { ph: 'X', ts: 1, dur: 5 },
      { ph: 'X', ts: 2, dur: 1 },
      { ph: 's', ts: 2, id: 7, cat: 'ipi' },
      { ph: 'i', ts: 3, s: 't' },
      { ph: 'E', ts: 10 },
      { ph: 'X', ts: 4, dur: 2, tid: 2 },
      { ph: 'f', ts: 4, id: 7, cat: 'ipi', bp: 'e', tid: 2 },
      { ph: 'C', ts: 0, args: { value: 1 } },
      { ph: 'C', ts: 3, args: { value: 2 } },
    );
    expect(checkTrace(ok)).toEqual([]);
    // The bare array form is the format too.
    expect(checkTrace(JSON.stringify([{ ph: 'i', name: 'x', ts: 0, pid: 1, tid: 1 }]))).toEqual([]);
  });

  it.each([
    ['not JSON', '{"traceEvents": [', /^not JSON/],
    ['no events', '{"events": []}', /no traceEvents array/],
    ['an unknown phase', trace({ ph: 'Q', ts: 0 }), /unknown ph "Q"/],
    ['a negative time', trace({ ph: 'i', ts: -1 }), /bad ts -1/],
    ['a pid that is no integer', trace({ ph: 'i', ts: 0, pid: 'a' }), /pid and tid must be integers/],
    ['a B never ended', trace({ ph: 'B', ts: 0 }), /1 B without E/],
    ['an E with nothing open', trace({ ph: 'E', ts: 0 }), /E on 1\/1 with no open slice/],
    ['an E named for another slice', trace({ ph: 'B', ts: 0, name: 'a' }, { ph: 'E', ts: 1, name: 'b' }), /E 'b' on 1\/1 ends the open slice 'a'/],
    ['a complete slice without a duration', trace({ ph: 'X', ts: 0 }), /without a duration/],
    ['slices that overlap without nesting', trace({ ph: 'X', ts: 0, dur: 5, name: 'a' }, { ph: 'X', ts: 3, dur: 5, name: 'b' }), /'b' on 1\/1 ends after 'a'/],
    ['an E inside a complete slice that ends later', trace({ ph: 'B', ts: 0 }, { ph: 'X', ts: 1, dur: 5 }, { ph: 'E', ts: 2 }), /slices do not nest/],
    ['time going back on a track', trace({ ph: 'i', ts: 5 }, { ph: 'i', ts: 4 }), /goes back in time/],
    ['a counter going back', trace({ ph: 'C', ts: 5, args: { value: 1 } }, { ph: 'C', ts: 4, args: { value: 1 } }), /counter x goes back in time/],
    ['a counter without numbers', trace({ ph: 'C', ts: 0, args: { value: 'high' } }), /numeric args/],
    ['a flow with no end', trace({ ph: 'X', ts: 0, dur: 5 }, { ph: 's', ts: 1, id: 3 }), /flow 3: 1 start\(s\) and 0 end\(s\)/],
    ['a flow that binds to no slice', trace({ ph: 's', ts: 1, id: 3 }, { ph: 'X', ts: 2, dur: 1 }, { ph: 'f', ts: 2, id: 3, bp: 'e' }), /flow 3 starts outside any slice/],
    ['a flow ending before it starts', trace({ ph: 'X', ts: 0, dur: 9 }, { ph: 'f', ts: 1, id: 3, bp: 'e' }, { ph: 's', ts: 5, id: 3 }), /flow 3: ends before it starts/],
    ['an instant of no known scope', trace({ ph: 'i', ts: 0, s: 'x' }), /instant scope "x"/],
    ['a key before traceEvents', JSON.stringify({ otherData: {}, traceEvents: [] }), /traceEvents is not the first key/],
    ['displayTimeUnit', JSON.stringify({ traceEvents: [], displayTimeUnit: 'ns' }), /Perfetto reads it as the unit of ts/],
    ['an array as an event value', trace({ ph: 'i', ts: 0, stack: [1] }), /an array as a top-level value/],
    ['a control character in a name', trace({ ph: 'i', ts: 0, name: 'a\x1bb' }), /a control character in a name/],
  ])('finds %s', (_what, text, problem) => {
    const problems = checkTrace(text);
    expect(problems.some((p) => problem.test(p))).toBe(true);
  });
});
