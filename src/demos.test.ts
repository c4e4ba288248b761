import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { captionLines } from './tui/Screen.js';
import { demoFileName, demoListing, listDemos, listingWidth, loadDemo, summaryLengthMax, teachingOrder } from './demos.js';

describe('the demos', () => {
  it('are listed tour first, each concern followed by its variants and its fix, each with a summary', () => {
    const names = listDemos().map((d) => d.name);
    expect(names[0]).toBe('tour');
    for (const name of names.filter((n) => n.endsWith('-fixed'))) {
      const concern = name.replace(/-fixed$/, '');
      const from = names.indexOf(concern);
      expect(from).toBeGreaterThan(0);
      expect(names.slice(from, names.indexOf(name)).every((n) => n.startsWith(concern))).toBe(true);
    }
    for (const concern of ['ipi-grants-others', 'unmap-ipi', 'unmap-ipi-oops', 'pmselr-channel', 'aarch32', 'mmap-lock-race', 'overflow-read', 'other-counters']) {
      expect(names).toContain(concern);
    }
    expect(listDemos().every((d) => d.summary.length > 10)).toBe(true);
  });

  it('are listed in teaching order (every bundled demo has its place), each with its design', () => {
    const all = listDemos();
    expect(all.map((d) => d.name)).toEqual(teachingOrder);
    const design = Object.fromEntries(all.map((d) => [d.name, d.design]));
    expect(design).toMatchObject({
      tour: 'v4',
      'ipi-grants-others-fixed': 'v5',
      'unmap-ipi-oops': 'v4 + fault cpumask-maintained',
      'mmap-lock-race': 'v4 + fault mmap-lock-skip, ipi manual',
      'mmap-lock-race-fixed': 'v4 + ipi manual',
      'offset-after-read': 'upstream',
      'pmselr-channel-fixed': 'hardened',
    });
    expect(demoListing(all).slice(1, 3)).toEqual(['  tour                     v4', '    a first look: tasks, an event, a mapping, and who may read which counter']);
  });

  it('the list fits 80 columns: each summary on its own line, short enough to fit it', () => {
    const all = listDemos();
    expect(all.filter((d) => d.summary.length > summaryLengthMax).map((d) => `${d.name}: ${d.summary.length}`)).toEqual([]);
    expect(demoListing(all).filter((l) => l.length > listingWidth)).toEqual([]);
  });

  it('each is named by a file a user can open: under the working directory, the path from it', () => {
    const tour = listDemos().find((d) => d.name === 'tour')!;
    const root = resolve(tour.path, '../../..');
    expect(demoFileName(tour, root)).toBe(join('saves', 'demos', 'tour.pmu'));
    expect(existsSync(resolve(root, demoFileName(tour, root)))).toBe(true);
    // Elsewhere (an installed package, run from any directory): the absolute path.
    const elsewhere = mkdtempSync(join(tmpdir(), 'pmuplay-cwd-'));
    expect(demoFileName(tour, elsewhere)).toBe(tour.path);
    expect(existsSync(resolve(elsewhere, demoFileName(tour, elsewhere)))).toBe(true);
  });

  it('an unknown name lists the known ones', () => {
    const r = loadDemo('nope');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toMatch(/^unknown demo 'nope' \(known: tour, ipi-grants-others, ipi-grants-others-fixed, /);
  });

  it('a demo with a broken line fails with the file and line before anything is shown', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pmuplay-demos-'));
    writeFileSync(join(dir, 'broken.pmu'), 'pmuplay 1 seed=1\n# summary: broken\nspawn a\nsay "unterminated\n');
    const r = loadDemo('broken', dir);
    expect(r).toEqual({ ok: false, message: `${join(dir, 'broken.pmu')}:4:5: unterminated string: expected a closing "` });
  });
});

describe('demo captions', () => {
  const says = listDemos().flatMap((d) => {
    const loaded = loadDemo(d.name);
    if (!loaded.ok) throw new Error(loaded.message);
    return loaded.script.lines.flatMap(({ line, command }) => (command.kind === 'say' ? [{ where: `${d.name}:${line}`, text: command.text }] : []));
  });

  // The screen's own wrapping (Screen.tsx): at most three lines, the last ending with … when
  // the text did not fit. A speaker presents at 120x36; a learner may have 80x24.
  it.each([120, 80])('none is cut at %i columns', (width) => {
    expect(says.length).toBeGreaterThan(50);
    const cut = says.filter(({ text }) => !text.endsWith('…') && captionLines(text, width).at(-1)!.endsWith('…'));
    expect(cut.map(({ where, text }) => `${where} (${text.length} characters)`)).toEqual([]);
  });
});
