import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listDemos, loadDemo } from './demos.js';

describe('the demos', () => {
  it('are listed tour first, each concern followed by its fix, each with a summary', () => {
    const names = listDemos().map((d) => d.name);
    expect(names[0]).toBe('tour');
    for (const name of names.filter((n) => n.endsWith('-fixed'))) {
      expect(names.indexOf(name.replace(/-fixed$/, ''))).toBe(names.indexOf(name) - 1);
    }
    for (const concern of ['ipi-grants-others', 'unmap-ipi', 'unmap-ipi-oops', 'pmselr-channel', 'aarch32', 'mmap-lock-race', 'overflow-read', 'other-counters']) {
      expect(names).toContain(concern);
    }
    expect(listDemos().every((d) => d.summary.length > 10)).toBe(true);
  });

  it('an unknown name lists the known ones', () => {
    const r = loadDemo('nope');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toMatch(/^unknown demo 'nope' \(known: tour, aarch32, aarch32-fixed, /);
  });

  it('a demo with a broken line fails with the file and line before anything is shown', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pmuplay-demos-'));
    writeFileSync(join(dir, 'broken.pmu'), 'pmuplay 1 seed=1\n# summary: broken\nspawn a\nsay "unterminated\n');
    const r = loadDemo('broken', dir);
    expect(r).toEqual({ ok: false, message: `${join(dir, 'broken.pmu')}:4:5: unterminated string: expected a closing "` });
  });
});
