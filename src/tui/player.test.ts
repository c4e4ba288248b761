import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { stateHash } from '../engine/hash.js';
import { parseScript } from '../engine/script.js';
import { Player, captionHold } from './player.js';
import { ringEntries } from '../engine/ring.js';

function load(path: string): Player {
  const parsed = parseScript(readFileSync(path, 'utf8'));
  if (!parsed.ok) throw new Error('parse');
  return new Player({}, parsed.script);
}

describe('the replay player', () => {
  it('plays to the end with every checkpoint matching', () => {
    const p = load('saves/examples/recorded-workload.pmu');
    while (!p.atEnd) p.step();
    expect(p.divergence).toBe(null);
    expect(p.lastCheck?.check.passed).toBe(true);
  });

  it('steps back and forward to the same world', () => {
    const p = load('saves/examples/recorded-workload.pmu');
    for (let i = 0; i < 120; i++) p.step();
    const here = stateHash(p.timeline.world);
    const next = p.next;
    for (let i = 0; i < 3; i++) expect(p.back()).toBe(true);
    expect(p.next).toBeLessThan(next);
    while (p.next < next) p.step();
    expect(stateHash(p.timeline.world)).toBe(here);
  });

  it('jumps to the next finding, and shows how a leak happened a few lines back', () => {
    const p = load('saves/examples/v4-unmap-stale.pmu');
    expect(p.nextFinding()).toBe(true);
    expect(ringEntries(p.timeline.world.findings)[0]!.code).toBe('access/stale');
    expect(p.script.lines[p.next - 1]!.text).toBe('munmap 100 3');
    // munmap, then the two expects and the mmap before it.
    for (let i = 0; i < 4; i++) p.back();
    expect(p.timeline.world.findingCounts.size).toBe(0);
    expect(p.script.lines[p.next]!.text).toBe('mmap 100 3');
  });

  it('looks for the next finding in slices: a caller may take its turn and go on', () => {
    const p = load('saves/examples/v4-unmap-stale.pmu');
    const turns: string[] = [];
    let r: string;
    do {
      let steps = 0;
      r = p.seekFinding(() => ++steps >= 2);
      turns.push(r);
    } while (r === 'more');
    expect(turns.length).toBeGreaterThan(2);
    expect(turns.at(-1)).toBe('found');
    expect(p.script.lines[p.next - 1]!.text).toBe('munmap 100 3');
  });

  it('keeps the first checkpoint that does not match', () => {
    const text = readFileSync('saves/examples/recorded-workload.pmu', 'utf8').replace(/^checkpoint [0-9a-f]{16}/m, 'checkpoint 0000000000000000');
    const parsed = parseScript(text);
    if (!parsed.ok) throw new Error('parse');
    const p = new Player({}, parsed.script);
    while (!p.atEnd) p.step();
    expect(p.divergence?.text).toMatch(/the file says 0000000000000000/);
  });

  it('steps back a line at a time, to the caption of the line it returns to', () => {
    const parsed = parseScript('pmuplay 1 seed=1\nsay "one"\nspawn a on 0\nsay "two"\nspawn b on 1\nsay "three"\n');
    if (!parsed.ok) throw new Error('parse');
    const p = new Player({}, parsed.script);
    while (!p.atEnd) p.step();
    expect([p.caption, p.playedLine, p.lastLine]).toEqual(['three', 6, 6]);
    // One line back for each `,`, as `.` plays one: each caption can be read again.
    const seen: [string | null, number][] = [];
    while (p.back()) seen.push([p.caption, p.playedLine]);
    expect(seen).toEqual([['two', 5], ['two', 4], ['one', 3], ['one', 2], [null, 0]]);
    expect(p.timeline.world.tasks.size).toBe(0);
  });
});

describe('how long a demo holds a caption', () => {
  it('long enough to read at 20 characters a second, at most 8 seconds, at the pace it plays', () => {
    const text = 'x'.repeat(100);
    // 5 seconds at 2 ticks a second: the line's own tick and 9 more.
    expect(captionHold(text, 2, 'spawn')).toBe(9);
    expect(captionHold(text, 10, 'spawn')).toBe(49);
    expect(captionHold('x'.repeat(400), 2, 'spawn')).toBe(15);
    expect(captionHold('hi', 2, 'spawn')).toBe(0);
  });

  it('not at all at max pace, or when the next line pauses on it', () => {
    expect(captionHold('x'.repeat(100), Infinity, 'spawn')).toBe(0);
    expect(captionHold('x'.repeat(100), 2, 'pause')).toBe(0);
  });
});

describe('a file with back lines', () => {
  function player(text: string): Player {
    const parsed = parseScript(text);
    if (!parsed.ok) throw new Error('parse');
    return new Player({}, parsed.script);
  }

  it('steps back across a back N line to the world before it, and plays on to the same end', () => {
    const p = player('pmuplay 1 seed=1\nspawn a on 0\ntick 10\nback 5\ntick 3\n');
    while (!p.atEnd) p.step();
    const end = stateHash(p.timeline.world);
    expect(p.timeline.world.step).toBe(9);
    p.back(); // the tick 3
    expect(p.timeline.world.step).toBe(6);
    p.back(); // the back 5: the world before it, at step 11
    expect([p.playedLine, p.timeline.world.step]).toEqual([3, 11]);
    while (!p.atEnd) p.step();
    expect(stateHash(p.timeline.world)).toBe(end);
    expect(p.divergence).toBe(null);
  });

  it('goes to the newest line that did a step, across back lines', () => {
    const p = player('pmuplay 1 seed=1\nspawn a on 0\ntick 10\nback 5\ntick 3\n');
    while (!p.atEnd) p.step();
    // Step 8 was done by the first tick 10 and again by the tick 3: the newest is the tick 3,
    // the last line played, so nothing moves; step 11 was done only by the first tick 10.
    expect(p.backTo(8)).toBe(false);
    expect(p.backTo(11)).toBe(true);
    expect([p.playedLine, p.timeline.world.step]).toEqual([3, 11]);
  });
});
