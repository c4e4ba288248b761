/**
 * The "done when": every demo and every explorer counterexample exports a trace that
 * keeps the Trace Event Format's rules (check.ts), through the commands a user types:
 * `pmuplay demo NAME --headless --trace FILE` and `pmuplay explore FILE` (which writes a
 * `.trace.json` beside each counterexample). And every example script, under its own design.
 */
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listDemos } from '../demos.js';
import { parseScript, resolveConfig } from '../engine/script.js';
import { pmuplay } from '../test-main.js';
import { traceOf } from './play.js';
import { checkTrace } from './check.js';
import { traceJson } from './trace-event.js';

const dir = mkdtempSync(join(tmpdir(), 'pmuplay-traces-'));

/** What a viewer needs of every trace: slices, a task on some CPU, counters, metadata. */
function expectTimeline(text: string): void {
  expect(checkTrace(text)).toEqual([]);
  const events = (JSON.parse(text) as { traceEvents: { ph: string; name: string }[] }).traceEvents;
  const phases = new Set(events.map((e) => e.ph));
  for (const ph of ['M', 'B', 'E', 'X', 'C']) expect(phases).toContain(ph);
  expect(events.some((e) => e.ph === 'M' && e.name === 'process_name')).toBe(true);
}

describe('every demo exports a trace that keeps the format', () => {
  it.each(listDemos().map((d) => d.name))('%s', async (name) => {
    const file = join(dir, `${name}.json`);
    const r = await pmuplay('demo', name, '--headless', '--trace', file);
    expect(r.err).toBe('');
    expect(r.out).toContain(`-- traced `);
    const text = readFileSync(file, 'utf8');
    expectTimeline(text);
    // A narrated demo keeps its narration on the machine's track.
    expect(text).toContain('"cat":"say"');
  });
});

describe('every explorer counterexample (saves/explore under v4) exports a trace that keeps the format', () => {
  const scenarios = readdirSync('saves/explore').filter((f) => f.endsWith('.pmu')).sort();

  it.each(scenarios)('%s', async (scenario) => {
    const out = join(dir, scenario.replace(/\.pmu$/, ''));
    const r = await pmuplay('explore', join('saves/explore', scenario), '--out', out, '--policy', 'v4');
    expect(r.code).toBe(1);
    const recordings = readdirSync(out).filter((f) => f.endsWith('.pmu')).sort();
    const traces = readdirSync(out).filter((f) => f.endsWith('.trace.json')).sort();
    expect(recordings.length).toBeGreaterThan(0);
    // One beside each counterexample's recording, named after it.
    expect(traces).toEqual(recordings.map((f) => f.replace(/\.pmu$/, '.trace.json')));
    for (const t of traces) {
      const text = readFileSync(join(out, t), 'utf8');
      expectTimeline(text);
      // The finding the counterexample is about is on the timeline, explained.
      const code = t.replace(/\.trace\.json$/, '').split('.').at(-1)!.replace('-', '/');
      const found = (JSON.parse(text) as { traceEvents: { ph: string; name: string; args?: { explanation?: unknown } }[] }).traceEvents.find((e) => e.ph === 'i' && e.name === code);
      expect(found?.args?.explanation).toEqual(expect.arrayContaining([expect.stringMatching(/^rule: /)]));
    }
  });
});

describe('explore --json', () => {
  it('names each counterexample\'s timeline beside its recording', async () => {
    const out = join(dir, 'json');
    const r = await pmuplay('explore', 'saves/explore/other-mm.pmu', '--json', '--out', out);
    const found = r.out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>).filter((o) => o['type'] === 'found');
    expect(found.length).toBeGreaterThan(0);
    for (const f of found) {
      expect(f['perfetto']).toBe(f['trace']!.replace(/\.pmu$/, '.trace.json'));
      expect(checkTrace(readFileSync(f['perfetto']!, 'utf8'))).toEqual([]);
    }
  });
});

describe('every example script exports a trace that keeps the format', () => {
  const examples = readdirSync('saves/examples').filter((f) => f.endsWith('.pmu')).sort();

  it.each(examples)('%s', (name) => {
    const parsed = parseScript(readFileSync(join('saves/examples', name), 'utf8'));
    if (!parsed.ok) throw new Error(`${name} does not parse`);
    const file = traceOf(resolveConfig(parsed.script.header, {}), parsed.script.lines.map((l) => l.command));
    expect(checkTrace(traceJson(file))).toEqual([]);
    expect(file.otherData['steps']).toBeGreaterThan(0);
  });
});
